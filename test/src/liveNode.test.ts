// Integration: the real composition (FacegateNode: media worker pool, service
// on an embedded store + in-memory state in a temp data dir, one liveness
// engine per client, SDK/demo router, socket.io signaling on port 0) driven
// by a werift publisher that sends an encoded genuine clip through
// signaling. The verdict must reach SessionService: the REST status endpoint
// shows it with per-signal scores, and the enrolled user is in the store.
// The challenge schedule is fixed to what the recording contains (a blink)
// through the test-only engine factory; the service draws its own otherwise.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeRtpClip, type RtpClipPacket } from '../support/rtpClip.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';
import type { FacegateNode } from '../../src/FacegateNode.ts';
import { DemoVisitor } from '../support/demoVisitor.ts';
import type { Decision } from '../../src/engine/index.ts';
import { joinSignaling } from './joinSignaling.ts';
import { startScheduledNode, type ScheduledNode } from './scheduledNode.ts';
import { CLIP_SCHEDULES } from '../../scripts/eval/lib/clipRunner.ts';
import { decodeClip } from '../../scripts/eval/lib/decodeClip.ts';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const VIDEO = new URL('../../../shared/video/', import.meta.url).pathname;


interface StatusView {
  status: string;
  external_user_id: string | null;
  decision: { outcome: string; reason: string | null; external_user_id: string | null; similarity: number | null; scores: Record<string, number> } | null;
}

describe('FacegateNode live path', { timeout: 110_000 }, () => {
  let fixture: ScheduledNode;
  let decisions: Decision[];
  let node: FacegateNode;
  // One demo visitor for the whole suite: it enrols first, then authenticates.
  let demoVisitor: DemoVisitor | undefined;
  const visitor = (): DemoVisitor => (demoVisitor ??= new DemoVisitor(node.url));
  let clip: RtpClipPacket[];

  before(async () => {
    fixture = await startScheduledNode({
      tmpPrefix: 'facegate-node-',
      schedule: () => CLIP_SCHEDULES.blink,
      node: { clientIceConsentTimeoutS: 0, heartbeatIntervalMs: 2000 },
    });
    ({ node, decisions } = fixture);
    // Sent at the pipeline's 4:3 output size: a square picture would be
    // padded with black bars, which the artefact cue reads as a screen frame.
    // Looped so the blink (~2.6 s) recurs.
    clip = await encodeRtpClip({ file: path.join(VIDEO, 'genuine', 'liveportrait_d0.mp4'), codec: 'VP8', seconds: 6, fps: 15, width: 640, height: 480 });
  });

  after(async () => {
    await fixture?.close();
  });

  const status = async (token: string): Promise<StatusView> => {
    const res = await fetch(`${node.url}/api/auth/session/${token}/status`);
    assert.equal(res.status, 200);
    return (await res.json()) as StatusView;
  };

  const runClip = async (token: string): Promise<{ view: StatusView; publisher: SyntheticPublisher }> => {
    const { signaling, stop } = await joinSignaling(node.url, token);
    const publisher = new SyntheticPublisher(signaling, { codec: 'VP8', packets: clip });
    try {
      await publisher.start();
      const end = Date.now() + 40_000;
      let view = await status(token);
      while (view.decision === null && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 250));
        view = await status(token);
      }
      // The data channel result follows the service verdict closely.
      const until = Date.now() + 3000;
      while (!publisher.received.some((m) => m.type === 'result') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return { view, publisher };
    } finally {
      await publisher.close();
      stop();
    }
  };

  it('GET /health reports the media workers up', async () => {
    const res = await fetch(`${node.url}/health`);
    const body = (await res.json()) as { components: Record<string, string> };
    assert.equal(body.components['media'], 'up');
  });

  it('GET / serves the demo kiosk page and /sdk/facegate.js the SDK', async () => {
    const page = await fetch(`${node.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const sdk = await fetch(`${node.url}/sdk/facegate.js`);
    assert.equal(sdk.status, 200);
    assert.match(sdk.headers.get('content-type') ?? '', /javascript/);
  });

  it('a genuine blink clip published through signaling enrols the demo user; the status endpoint shows the verdict with per-signal scores', async () => {
    const token = await visitor().session();
    assert.equal((await status(token)).status, 'created');

    const { view, publisher } = await runClip(token);
    assert.equal(view.status, 'succeeded', JSON.stringify(decisions.at(-1)?.signals));
    assert.equal(view.decision?.outcome, 'succeeded');
    assert.equal(view.decision?.external_user_id, visitor().subject);
    assert.equal(typeof view.decision?.scores['passive'], 'number');
    assert.equal(typeof view.decision?.scores['blink'], 'number');
    assert.equal(typeof view.decision?.scores['spoof'], 'number');
    const clientId = await node.demo!.clientId();
    assert.notEqual(await node.service.store.getUser(clientId, visitor().subject), null);
    assert.equal((await node.service.store.listTemplates(clientId, visitor().subject)).length, 1);
    const result = publisher.received.find((m) => m.type === 'result');
    assert.equal(result?.type === 'result' ? result.outcome : undefined, 'pass', JSON.stringify(publisher.received.map((m) => m.type)));
    // The page's result carries the committed decision's signed verdict token.
    assert.equal(typeof (result?.type === 'result' ? result.data?.['verdict_token'] : undefined), 'string');
    // A decided session's token no longer opens a live session.
    assert.equal(await node.service.sessions.authorize(token), null);
  });

  it('after enrolment the demo route hands out an authentication session that the same person passes (1:1 match)', async () => {
    const token = await visitor().session();
    const before = await status(token);
    assert.equal((before as unknown as { kind: string }).kind, 'authentication');

    const { view } = await runClip(token);
    assert.equal(view.status, 'succeeded', JSON.stringify(decisions.at(-1)?.signals));
    assert.equal(view.decision?.external_user_id, visitor().subject);
    assert.ok((view.decision?.similarity ?? 0) >= node.config.service.matchThreshold);
  });

  it('face login over the data channel: an account enrolled live logs in live, and the page result carries its tokens and the verdict token', async () => {
    const c = await node.service.tenants.createClient('Accounts');
    const post = async (p: string, body: unknown, bearer?: string): Promise<Record<string, unknown>> => {
      const res = await fetch(`${node.url}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify(body),
      });
      assert.ok(res.status < 300, `${p}: ${res.status} ${await res.clone().text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const clientToken = String((await post('/api/auth/client', { api_key: c.apiKey })).access_token);
    const userId = String((await post('/api/auth/register/', { email: 'live@example.com', password: 'Live-login-passw0rd' }, clientToken)).user_id);
    const enrolment = await post('/api/auth/enrollment', { external_user_id: userId }, clientToken);
    assert.equal((await runClip(String(enrolment.session_token))).view.status, 'succeeded', JSON.stringify(decisions.at(-1)?.signals));

    const login = await post('/api/auth/authentication', {}, clientToken);
    const { view, publisher } = await runClip(String(login.session_token));
    assert.equal(view.status, 'succeeded', JSON.stringify(decisions.at(-1)?.signals));
    const result = publisher.received.find((m) => m.type === 'result');
    const data = (result?.type === 'result' ? result.data : undefined) ?? {};
    const tokens = data['tokens'] as { access: string; user_id: string } | undefined;
    assert.equal(tokens?.user_id, userId);
    assert.equal(typeof data['verdict_token'], 'string');
    const profile = await fetch(`${node.url}/api/auth/profile/`, { headers: { authorization: `Bearer ${tokens!.access}` } });
    assert.equal(profile.status, 200);
    assert.equal(((await profile.json()) as { face_enrolled: boolean }).face_enrolled, true);
  });

  interface FrameView extends StatusView {
    feedback: string;
    prompts?: { type: string; action?: string; timeoutMs?: number }[];
  }

  const upload = async (token: string, kind: string, jpeg: Buffer): Promise<FrameView> => {
    const res = await fetch(`${node.url}/api/auth/${kind}/process-frame`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_token: token, image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as FrameView;
  };

  it('REST process-frame runs the liveness engine: the challenge comes back as a prompt and a genuine clip passes with per-signal scores', async () => {
    const token = await visitor().session();
    assert.equal((await status(token)).status, 'created');
    const prompts: string[] = [];
    let last: FrameView | undefined;
    const start = Date.now();
    // Uploaded at the clip's own pace (its capture times), as a camera would.
    for await (const { frame, t } of decodeClip(path.join(VIDEO, 'genuine', 'liveportrait_d0.mp4'), { fps: 10 })) {
      const wait = start + t - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const jpeg = await sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), {
        raw: { width: frame.width, height: frame.height, channels: 3 },
      }).jpeg({ quality: 90 }).toBuffer();
      last = await upload(token, 'authentication', jpeg);
      for (const p of last.prompts ?? []) if (p.type === 'prompt' && p.action) prompts.push(p.action);
      if (last.decision) break;
    }
    assert.ok(prompts.includes('blink'), `prompts: ${prompts.join(',')}`);
    assert.equal(last?.status, 'succeeded', JSON.stringify(decisions.at(-1)?.signals));
    assert.equal(last?.decision?.external_user_id, visitor().subject);
    assert.equal(typeof last?.decision?.scores['blink'], 'number');
    assert.equal((await status(token)).status, 'succeeded');
  });

  it('REST process-frame with the same still photo every frame fails the session with liveness_failed', async () => {
    const token = await visitor().session();
    const jpeg = readFileSync(path.join(VIDEO, '..', 'stills', 'silentface_image_T1.jpg'));
    let last: FrameView | undefined;
    for (let i = 0; i < 30 && !last?.decision; i++) {
      last = await upload(token, 'authentication', jpeg);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last?.status, 'failed');
    assert.equal(last?.decision?.reason, 'liveness_failed', JSON.stringify(last?.decision));
    assert.equal(typeof last?.decision?.scores['motion'], 'number');
  });

  it('a live enrollment cancelled (DELETE) while the engine collects evidence: the live session ends within ~1 s (session_ended), the engine session is cancelled, no template is stored', async () => {
    const { clientId } = await node.service.tenants.createClient('cancel race');
    await node.service.tenants.loadClientKey(clientId);
    const s = await node.service.sessions.create({ clientId, kind: 'enrollment', externalUserId: 'cancelled-user', ipHash: null });
    const { signaling, stop } = await joinSignaling(node.url, s.token);
    const publisher = new SyntheticPublisher(signaling, { codec: 'VP8', packets: clip });
    const seen = decisions.length;
    let closedAfterMs = -1;
    try {
      await publisher.start();
      assert.equal(node.pool.sessionCount, 1);
      // Cancelled (DELETE from any node: the record is shared) while the engine is still collecting evidence.
      const cancelledAt = Date.now();
      assert.equal((await node.service.sessions.cancel(s.token)).status, 'cancelled');
      const end = Date.now() + 10_000;
      while (node.pool.sessionCount > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      closedAfterMs = Date.now() - cancelledAt;
    } finally {
      await publisher.close();
      stop();
    }
    // The publisher was still sending: the server ended the live session because its service session ended.
    assert.ok(closedAfterMs >= 0 && closedAfterMs < 3000, `live session closed ${closedAfterMs} ms after the cancel`);
    const d = decisions.slice(seen).find((x) => x.subjectId === 'cancelled-user');
    assert.equal(d?.outcome, 'cancelled', `the engine session was cancelled, not decided: ${JSON.stringify(d?.outcome)}`);
    assert.equal(d?.template, undefined);
    assert.equal((await status(s.token)).status, 'cancelled');
    assert.equal(await node.service.store.getUser(clientId, 'cancelled-user'), null);
    assert.equal(await node.service.gallery.size(clientId), 0);
  });

  it('a join with an unknown token is refused and opens no live session', async () => {
    await assert.rejects(joinSignaling(node.url, 'not-a-session-token'));
    assert.equal(node.pool.sessionCount, 0);
  });
});
