// SessionService's engine seam for engines with their own state machine (the
// liveness engine): 'pending' steps return the engine's prompts, 'decided'
// steps and live-path verdicts settle the session once, with their scores,
// and failed 1:1 verdicts count toward the user's lockout (a node_lost one
// does not); cancel reaches the engine's own session. The engine here
// is a scripted double behind the SessionEngine seam; the real liveness
// engine runs behind it in liveNode.test.ts. Also: FACEGATE_DEMO resolution.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { FacegateService } from '../../src/FacegateService.ts';
import { rawFrameInput, type FrameStep, type SessionEngine } from '../../src/sessions/SessionEngine.ts';
import type { SessionRecord, SessionVerdict } from '../../common/session.ts';
import { ColourAnalyzer, tempDir, testConfig } from './fixtures.ts';

/** Answers each frame with the next scripted step. */
class ScriptedEngine implements SessionEngine {
  steps: FrameStep[] = [];
  readonly cancelled: string[] = [];
  failCancel = false;
  async processFrame(): Promise<FrameStep> {
    const s = this.steps.shift();
    if (!s) throw new Error('no scripted step left');
    return s;
  }
  async cancel(session: SessionRecord): Promise<void> {
    this.cancelled.push(session.id);
    if (this.failCancel) throw new Error('engine cancel failed');
  }
}

const frame = { data: new Uint8Array(16 * 16 * 3), width: 16, height: 16, stride: 48, format: 'rgb24' as const };

const verdict = (o: Partial<SessionVerdict> = {}): SessionVerdict => ({
  outcome: 'failed',
  reason: 'spoof_suspected',
  externalUserId: null,
  similarity: null,
  scores: { passive: 0.2, artefacts: 0.9, spoof: 0.8 },
  timings: { analyzeMsTotal: 120 },
  ...o,
});
/** An L2-normalised 512-d template, one per seed. */
const emb = (seed: number): Float32Array => {
  const v = Float32Array.from({ length: 512 }, (_, i) => Math.sin(seed * 7.1 + i * 0.37));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
/** A live-path verdict after 12 analysed frames. */
const live = (o: Partial<SessionVerdict> = {}, template?: Float32Array) =>
  [template ? { kind: 'decided' as const, verdict: verdict(o), template } : { kind: 'decided' as const, verdict: verdict(o) }, 12] as const;

describe('SessionService with a stateful session engine', () => {
  let dir: string;
  let svc: FacegateService;
  const engine = new ScriptedEngine();
  let clientId: string;

  before(async () => {
    dir = tempDir();
    svc = await FacegateService.start(testConfig(dir, { name: 'embedded' }, { LOCKOUT_FAILURES: '1' }), {
      log: pino({ level: 'silent' }),
      analyzer: new ColourAnalyzer(),
      engine,
    });
    clientId = (await svc.tenants.createClient('seam test')).clientId;
    await svc.tenants.loadClientKey(clientId);
    const id = `tpl_${crypto.randomBytes(6).toString('hex')}`;
    const emb = new Float32Array(512).fill(1 / Math.sqrt(512));
    await svc.store.enroll(clientId, 'alice', [{ id, ciphertext: svc.keys.encryptTemplate(clientId, id, emb) }]);
  });

  after(async () => {
    await svc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('processFrame() with a pending step keeps the session capturing and returns the prompts', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'bob', ipHash: null });
    engine.steps.push({
      kind: 'pending',
      feedback: 'blink',
      prompts: [{ type: 'prompt', id: 'c1', action: 'blink', text: 'Blink', timeoutMs: 5000 }],
      timings: { analyze: 3 },
    });
    const r = await svc.sessions.processFrame(s.token, 'enrollment', rawFrameInput(frame));
    assert.equal(r.session.status, 'capturing');
    assert.equal(r.feedback, 'blink');
    assert.deepEqual(r.prompts?.map((p) => (p.type === 'prompt' ? p.action : p.type)), ['blink']);
    assert.equal((await svc.sessions.get(s.token)).lastFeedback, 'blink');
  });

  it('processFrame() with a decided step settles the session with the verdict and its per-signal scores', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'carol', ipHash: null });
    engine.steps.push({ kind: 'decided', verdict: verdict() });
    const r = await svc.sessions.processFrame(s.token, 'enrollment', rawFrameInput(frame));
    assert.equal(r.feedback, 'decided');
    assert.equal(r.session.status, 'failed');
    assert.equal(r.session.decision?.reason, 'spoof_suspected');
    assert.deepEqual(r.session.decision?.scores, { passive: 0.2, artefacts: 0.9, spoof: 0.8 });
    await assert.rejects(svc.sessions.processFrame(s.token, 'enrollment', rawFrameInput(frame)), { code: 'conflict' });
  });

  it('recordLiveVerdict() keeps the first decision of a session already decided', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'dave', ipHash: null });
    const first = await svc.sessions.recordLiveVerdict(s.token, ...live({ outcome: 'succeeded', reason: null, scores: { blink: 1 } }, emb(3)));
    assert.equal(first.status, 'succeeded');
    assert.equal(first.decision?.externalUserId, 'dave');
    assert.equal(first.framesProcessed, 12);
    assert.equal((await svc.store.listTemplates(clientId, 'dave')).length, 1, 'the service commits the enrollment template once');
    const again = await svc.sessions.recordLiveVerdict(s.token, ...live());
    assert.equal(again.status, 'succeeded');
    assert.equal(await svc.sessions.authorize(s.token), null);
    await svc.sessions.recordLiveVerdict(s.token, ...live({ outcome: 'succeeded', reason: null }, emb(4)));
    assert.equal((await svc.store.listTemplates(clientId, 'dave')).length, 1, 'a decided session commits nothing more');
  });

  it('processFrame() with a decided enrollment commits its template once, to the store and the index', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'gina', ipHash: null });
    engine.steps.push({ kind: 'decided', verdict: verdict({ outcome: 'succeeded', reason: null }), template: emb(6) });
    const r = await svc.sessions.processFrame(s.token, 'enrollment', rawFrameInput(frame));
    assert.equal(r.session.status, 'succeeded');
    assert.equal(r.session.decision?.externalUserId, 'gina');
    const rows = await svc.store.listTemplates(clientId, 'gina');
    assert.equal(rows.length, 1);
    const stored = svc.keys.decryptTemplate(clientId, rows[0]!.id, rows[0]!.ciphertext);
    assert.ok(Math.abs(stored.reduce((a, x, i) => a + x * emb(6)[i]!, 0) - 1) < 1e-5);
    assert.equal((await svc.gallery.search(clientId, emb(6), 1))[0]?.templateId, rows[0]!.id);
  });

  it('cancel() ends the engine\'s own session too; an engine that fails to cancel does not fail the cancel', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'erin', ipHash: null });
    const rec = await svc.sessions.cancel(s.token);
    assert.equal(rec.status, 'cancelled');
    assert.deepEqual(engine.cancelled, [s.id]);
    engine.failCancel = true;
    const t = await svc.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'erin', ipHash: null });
    assert.equal((await svc.sessions.cancel(t.token)).status, 'cancelled');
    engine.failCancel = false;
    // Already decided: the engine is not asked again.
    await svc.sessions.cancel(s.token);
    assert.deepEqual(engine.cancelled, [s.id, t.id]);
  });

  it('a 1:1 session that ends with node_lost (its engine\'s node stopped) does not count toward the lockout (LOCKOUT_FAILURES=1)', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'authentication', externalUserId: 'alice', ipHash: null });
    engine.steps.push({ kind: 'decided', verdict: verdict({ reason: 'node_lost', scores: {} }) });
    const r = await svc.sessions.processFrame(s.token, 'authentication', rawFrameInput(frame));
    assert.equal(r.session.status, 'failed');
    assert.equal(r.session.decision?.reason, 'node_lost');
    const again = await svc.sessions.create({ clientId, kind: 'authentication', externalUserId: 'alice', ipHash: null });
    assert.equal(again.status, 'created');
  });

  it('a 1:1 live step_up_required (the no-gesture path: every passive check held) does not count toward the lockout (LOCKOUT_FAILURES=1)', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'authentication', externalUserId: 'gina', ipHash: null });
    const rec = await svc.sessions.recordLiveVerdict(s.token, ...live({ reason: 'step_up_required' }));
    assert.equal(rec.status, 'failed');
    assert.equal(rec.decision?.reason, 'step_up_required');
    const again = await svc.sessions.create({ clientId, kind: 'authentication', externalUserId: 'gina', ipHash: null });
    assert.equal(again.status, 'created');
    // The control: any other failure of the same user does lock (LOCKOUT_FAILURES=1).
    await svc.sessions.recordLiveVerdict(again.token, ...live({ reason: 'challenge_failed' }));
    await assert.rejects(svc.sessions.create({ clientId, kind: 'authentication', externalUserId: 'gina', ipHash: null }), { code: 'rate_limit_exceeded' });
  });

  it('a failed 1:1 live verdict counts toward the user lockout (LOCKOUT_FAILURES=1)', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'authentication', externalUserId: 'alice', ipHash: null });
    const rec = await svc.sessions.recordLiveVerdict(s.token, ...live({ reason: 'challenge_timeout' }));
    assert.equal(rec.decision?.reason, 'challenge_timeout');
    assert.equal(rec.decision?.externalUserId, null);
    await assert.rejects(svc.sessions.create({ clientId, kind: 'authentication', externalUserId: 'alice', ipHash: null }), {
      code: 'rate_limit_exceeded',
    });
  });

  it('recordLiveVerdict() for an enrollment cancelled meanwhile stores no template (the session record says it never happened)', async () => {
    const s = await svc.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'frank', ipHash: null });
    await svc.sessions.cancel(s.token);
    const rec = await svc.sessions.recordLiveVerdict(s.token, ...live({ outcome: 'succeeded', reason: null }, emb(5)));
    assert.equal(rec.status, 'cancelled');
    assert.equal(await svc.store.getUser(clientId, 'frank'), null);
  });
});

describe('loadConfig() FACEGATE_DEMO', () => {
  it('auto turns the demo route on for a loopback HOST and off otherwise; on/off override', () => {
    assert.equal(loadConfig({ HOST: '127.0.0.1' }).server.demo, true);
    assert.equal(loadConfig({ HOST: 'localhost' }).server.demo, true);
    assert.equal(loadConfig({ HOST: '::1' }).server.demo, true);
    assert.equal(loadConfig({}).server.demo, true);
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).server.demo, false);
    assert.equal(loadConfig({ HOST: '192.168.1.10' }).server.demo, false);
    assert.equal(loadConfig({ HOST: '0.0.0.0', FACEGATE_DEMO: 'on' }).server.demo, true);
    assert.equal(loadConfig({ HOST: '127.0.0.1', FACEGATE_DEMO: 'off' }).server.demo, false);
    assert.throws(() => loadConfig({ FACEGATE_DEMO: 'yes' }), { code: 'config_invalid' });
  });
});
