// REST liveness sessions across two nodes on one PostgreSQL schema and one
// Redis prefix, with no sticky routing: uploads that alternate between the
// nodes reach the one engine session on the node that took the first frame
// (AffinityFrameEngine over RedisNodeLink), status and cancel work from
// either node, and a session whose owner stopped ends with `node_lost`
// within a bounded time. A forwarded upload travels as the client's JPEG
// bytes (watched on the Redis channel itself) and the owner decodes it to the
// pixels, decision and typed errors of a local upload. The link and the
// engine's time limits are tested on their own too (the owner's engine
// replaced by a recording double behind the SessionEngine seam; the real one
// runs in the two-node tests and the real per-frame engine in the encoded-upload test).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import sharp from 'sharp';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import type { RawFrame } from '../../models/types.ts';
import { FacegateError } from '../../common/errors.ts';
import { AffinityFrameEngine } from '../../src/cluster/AffinityFrameEngine.ts';
import { httpStatus } from '../../src/api/httpStatus.ts';
import { CLIP_SCHEDULES } from '../../scripts/eval/lib/clipRunner.ts';
import { decodeClip } from '../../scripts/eval/lib/decodeClip.ts';
import { FrameEngine } from '../../src/sessions/FrameEngine.ts';
import { decodeEncoded, decodeUpload, parseDataUrl, type EncodedImage } from '../../src/sessions/frameDecoder.ts';
import { encodedFrameInput, rawFrameInput, type FrameInput, type FrameStep, type SessionEngine } from '../../src/sessions/SessionEngine.ts';
import type { SessionRecord } from '../../common/session.ts';
import { RedisNodeLink } from '../../src/cluster/RedisNodeLink.ts';
import { PG_URL, REDIS_URL, dropSchema, runId } from './fixtures.ts';
import { startScheduledNode, type ScheduledNode } from './scheduledNode.ts';
import { joinSignaling } from './joinSignaling.ts';
import { encodeRtpClip } from '../support/rtpClip.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';

const SKIP_REDIS = REDIS_URL ? false : 'FACEGATE_TEST_REDIS_URL not set: cross-node affinity needs Redis';
const SKIP_BOTH = PG_URL && REDIS_URL ? false : 'FACEGATE_TEST_DATABASE_URL / FACEGATE_TEST_REDIS_URL not set: two nodes need PostgreSQL + Redis';
const VIDEO = new URL('../../../shared/video/', import.meta.url).pathname;
const FACE = new URL('../../../shared/faces/Matt_Damon/img29.jpg', import.meta.url).pathname;
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const log = pino({ level: 'silent' });

const tinyFrame = (): RawFrame => ({ data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), width: 2, height: 2, stride: 6, format: 'rgb24' });

function record(id: string): SessionRecord {
  const now = Date.now();
  return {
    id,
    token: `tok_${id}`,
    clientId: 'cl_test',
    kind: 'authentication',
    externalUserId: null,
    status: 'capturing',
    createdAt: now,
    expiresAt: now + 60_000,
    framesProcessed: 0,
    samples: [],
    lastFeedback: null,
    decision: null,
    ipHash: null,
    version: 1,
  };
}

/** Behind the SessionEngine seam: records what reached this node's engine and answers a fixed step (or the real engine's). */
class RecordingEngine implements SessionEngine {
  readonly frames: { sessionId: string; frame: RawFrame; source: EncodedImage | undefined }[] = [];
  readonly cancelled: string[] = [];
  answer: (session: SessionRecord, input: FrameInput) => Promise<FrameStep> = async () => ({
    kind: 'pending',
    feedback: 'blink',
    prompts: [{ type: 'prompt', id: 'c1', action: 'blink', text: 'Blink', timeoutMs: 4000 }, { type: 'progress', value: 0.5 }],
    timings: { analyze: 12.5 },
  });
  async processFrame(session: SessionRecord, input: FrameInput): Promise<FrameStep> {
    // As the real engines do: the pixels first (a bad upload stops here with its typed error).
    const frame = await input.pixels();
    this.frames.push({ sessionId: session.id, frame: { ...frame, data: Uint8Array.from(frame.data) }, source: input.source });
    return this.answer(session, input);
  }
  async cancel(session: SessionRecord): Promise<void> {
    this.cancelled.push(session.id);
  }
}

/** A node request as it crossed Redis: the header the sender packed and the body's bytes. */
interface Tapped {
  readonly channel: string;
  readonly header: { id: string; from: string; h: { op: string } & Record<string, unknown> };
  readonly body: Buffer;
}

/** Watches the node request channels under a prefix on a connection of its own: what the link really sent. */
async function tapRequests(url: string, prefix: string): Promise<{ readonly seen: Tapped[]; close(): Promise<void> }> {
  const sub = new Redis(url, { lazyConnect: true });
  await sub.connect();
  const seen: Tapped[] = [];
  sub.on('pmessageBuffer', (_pattern: string, channel: Buffer, m: Buffer) => {
    const n = m.readUInt32BE(0);
    seen.push({ channel: channel.toString(), header: JSON.parse(m.subarray(4, 4 + n).toString('utf8')) as Tapped['header'], body: m.subarray(4 + n) });
  });
  await sub.psubscribe(`${prefix}node:*:req`);
  return { seen, close: async () => void sub.disconnect() };
}

/** A JPEG of a real face at w x h, as a browser would upload it (q92), and the pixels a local upload of it gives. */
async function faceUpload(w: number, h: number): Promise<{ source: EncodedImage & { bytes: Buffer }; frame: RawFrame }> {
  const bytes = await sharp(FACE).resize(w, h, { fit: 'cover' }).jpeg({ quality: 92 }).toBuffer();
  return { source: { mime: 'image/jpeg', bytes }, frame: await decodeUpload(bytes, 'image/jpeg') };
}

/** An upload as the API hands it to the engine: decoded on first use, with the decodes counted. */
function uploadInput(source: EncodedImage, decodes: { n: number } = { n: 0 }): FrameInput {
  return encodedFrameInput(source, async (src) => {
    decodes.n++;
    return decodeEncoded(src, { maxBytes: MAX_IMAGE_BYTES });
  });
}

/** The typed error a promise rejects with, as the API would answer it. */
async function errorOf(p: Promise<unknown>): Promise<{ code: string; status: number | undefined; details: unknown }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FacegateError, `not a FacegateError: ${String(e)}`);
    return { code: e.code, status: httpStatus(e.code), details: e.details ?? null };
  }
  assert.fail('expected a rejection');
}

/** A step without its timings (those are wall-clock, different on every run). */
function untimed(step: FrameStep): unknown {
  if (step.kind === 'decided') return { ...step, verdict: { ...step.verdict, timings: {} } };
  const { timings: _t, ...rest } = step;
  return step.kind === 'sample' ? { ...rest, embedding: Array.from(step.embedding) } : rest;
}

describe('RedisNodeLink and AffinityFrameEngine on Redis', { skip: SKIP_REDIS, timeout: 30_000 }, () => {
  const prefix = `${runId()}:`;
  const opened: { close(): Promise<void> }[] = [];
  const open = async (leaseMs = 1500): Promise<RedisNodeLink> => {
    const l = await RedisNodeLink.open({ url: REDIS_URL!, prefix, leaseMs });
    opened.push(l);
    return l;
  };
  after(async () => {
    for (const l of opened) await l.close();
  });

  it('claim() gives a session to the first node that asks; owner() and isAlive() see it until that node closes', async () => {
    const a = await open();
    const b = await open();
    assert.equal(await b.owner('ses_claim'), null);
    assert.equal(await a.claim('ses_claim', 5000), a.nodeId);
    assert.equal(await b.claim('ses_claim', 5000), a.nodeId);
    assert.equal(await b.owner('ses_claim'), a.nodeId);
    assert.equal(await b.isAlive(a.nodeId), true);
    await a.close();
    assert.equal(await b.isAlive(a.nodeId), false);
    assert.deepEqual(await b.request(a.nodeId, { op: 'x' }, null, 2000), { kind: 'gone' });
  });

  it('uploads to a session owned by another node reach its engine and its answer comes back unchanged', async () => {
    const la = await open();
    const lb = await open();
    const ownerEngine = new RecordingEngine();
    const otherEngine = new RecordingEngine();
    const a = new AffinityFrameEngine({ local: ownerEngine, link: la, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
    const b = new AffinityFrameEngine({ local: otherEngine, link: lb, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
    const s = record('ses_fwd');
    const first = await a.processFrame(s, rawFrameInput(tinyFrame()));
    const forwarded = await b.processFrame(s, rawFrameInput(tinyFrame()));
    assert.deepEqual(forwarded, first);
    assert.equal(ownerEngine.frames.length, 2);
    assert.equal(otherEngine.frames.length, 0);
    assert.deepEqual(Array.from(ownerEngine.frames[1]!.frame.data), Array.from(tinyFrame().data));
    assert.deepEqual(b.stats, { forwarded: 1, served: 0 });
    assert.deepEqual(a.stats, { forwarded: 0, served: 1 });

    // The owner's typed error reaches the caller with its code.
    ownerEngine.answer = async () => {
      throw new FacegateError('image_too_small', 'face too small');
    };
    await assert.rejects(b.processFrame(s, rawFrameInput(tinyFrame())), (e: unknown) => e instanceof FacegateError && e.code === 'image_too_small' && httpStatus(e.code) === 422);

    // Cancel from the other node ends the owner's engine session.
    await b.cancel(s);
    assert.deepEqual(ownerEngine.cancelled, ['ses_fwd']);
    assert.deepEqual(otherEngine.cancelled, []);
  });

  it('a decided enrollment forwarded from its owner brings its template back, so the receiving node\'s service can commit it', async () => {
    const la = await open();
    const lb = await open();
    const ownerEngine = new RecordingEngine();
    const a = new AffinityFrameEngine({ local: ownerEngine, link: la, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
    const b = new AffinityFrameEngine({ local: new RecordingEngine(), link: lb, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
    const s = record('ses_tpl');
    await a.processFrame(s, rawFrameInput(tinyFrame()));
    const template = Float32Array.from({ length: 512 }, (_, i) => (i % 7) / 100);
    const decided: FrameStep = {
      kind: 'decided',
      verdict: { outcome: 'succeeded', reason: null, externalUserId: 'u1', similarity: null, scores: { blink: 1 }, timings: {} },
      template,
    };
    ownerEngine.answer = async () => decided;
    const forwarded = await b.processFrame(s, rawFrameInput(tinyFrame()));
    assert.equal(forwarded.kind, 'decided');
    assert.ok(forwarded.kind === 'decided' && forwarded.template instanceof Float32Array);
    assert.deepEqual(forwarded, decided);
  });

  it('a forwarded frame whose owner is alive but does not answer is a retryable 503 after forwardTimeoutMs', async () => {
    const la = await open();
    const lb = await open();
    // A stuck owner: its lease is kept, its engine never answers.
    la.serve(() => new Promise(() => {}));
    await la.claim('ses_stuck', 5000);
    const b = new AffinityFrameEngine({ local: new RecordingEngine(), link: lb, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log, forwardTimeoutMs: 300 });
    const t0 = Date.now();
    await assert.rejects(
      b.processFrame(record('ses_stuck'), rawFrameInput(tinyFrame())),
      (e: unknown) => e instanceof FacegateError && e.code === 'service_unavailable' && e.details?.['reason'] === 'owner_timeout',
    );
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  });

  it('a forwarded frame whose owner lost its lease (hung process, connection still open) ends the session with node_lost', async () => {
    const lb = await open();
    // A node that still holds its Redis subscription but stopped renewing its lease.
    const ghost = new Redis(REDIS_URL!, { lazyConnect: true });
    await ghost.connect();
    const setter = new Redis(REDIS_URL!, { lazyConnect: true });
    await setter.connect();
    opened.push({ close: async () => void ghost.disconnect() }, { close: async () => void setter.disconnect() });
    await ghost.subscribe(`${prefix}node:node_ghost:req`);
    await setter.set(`${prefix}owner:ses_ghost`, 'node_ghost', 'PX', 5000);
    const b = new AffinityFrameEngine({ local: new RecordingEngine(), link: lb, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log, forwardTimeoutMs: 300 });
    const t0 = Date.now();
    const step = await b.processFrame(record('ses_ghost'), rawFrameInput(tinyFrame()));
    assert.equal(step.kind, 'decided');
    assert.equal(step.kind === 'decided' ? step.verdict.reason : null, 'node_lost');
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  });

  it('a forwarded upload crosses Redis as its JPEG bytes; the owner decodes the pixels of a local upload and decides as it does locally', async () => {
    const la = await open();
    const lb = await open();
    const tap = await tapRequests(REDIS_URL!, prefix);
    opened.push(tap);
    const analyzer = await FaceAnalyzer.create();
    opened.push(analyzer);
    // The owner runs the real per-frame engine on the real models.
    const ownerEngine = new RecordingEngine();
    const real = new FrameEngine(analyzer);
    ownerEngine.answer = (session, input) => real.processFrame(session, input);
    const a = new AffinityFrameEngine({ local: ownerEngine, link: la, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
    const b = new AffinityFrameEngine({ local: new RecordingEngine(), link: lb, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
    const { source, frame } = await faceUpload(640, 480);
    const s = record('ses_encoded');

    const localDecodes = { n: 0 };
    const forwardedDecodes = { n: 0 };
    const local = await a.processFrame(s, uploadInput(source, localDecodes));
    const forwarded = await b.processFrame(s, uploadInput(source, forwardedDecodes));
    const raw = await b.processFrame(s, rawFrameInput(frame));
    // Each upload decoded once, where it was analysed: the node that forwarded one never decoded it.
    assert.equal(localDecodes.n, 1);
    assert.equal(forwardedDecodes.n, 0);

    // On the wire: the upload's own bytes (a few tens of KB), not its 0.9 MB of pixels; a frame with no source still goes raw.
    const toA = tap.seen.filter((m) => m.channel === `${prefix}node:${la.nodeId}:req`);
    assert.deepEqual(toA.map((m) => m.header.h.op), ['image', 'frame']);
    assert.equal(toA[0]!.body.length, source.bytes.length);
    assert.ok(toA[0]!.body.equals(source.bytes));
    assert.ok(source.bytes.length * 10 < frame.data.length, `${source.bytes.length} B of JPEG for ${frame.data.length} B of pixels`);
    assert.equal(toA[1]!.body.length, 640 * 480 * 3);

    // The owner decoded the same pixels as a local upload and got the same decision from them.
    assert.equal(ownerEngine.frames.length, 3);
    for (const seen of ownerEngine.frames) {
      assert.deepEqual([seen.frame.width, seen.frame.height, seen.frame.stride, seen.frame.format], [640, 480, 640 * 3, 'rgb24']);
      assert.ok(Buffer.from(seen.frame.data).equals(Buffer.from(frame.data)));
    }
    assert.equal(ownerEngine.frames[1]!.source?.bytes.length, source.bytes.length);
    assert.equal(local.kind, 'sample', JSON.stringify(untimed(local)));
    assert.deepEqual(untimed(forwarded), untimed(local));
    assert.deepEqual(untimed(raw), untimed(local));
    assert.deepEqual(b.stats, { forwarded: 2, served: 0 });
    assert.deepEqual(a.stats, { forwarded: 0, served: 2 });
  });

  it('a corrupt, mislabelled or oversized forwarded image is the typed 4xx a local upload of it gets; the owner keeps serving', async () => {
    const la = await open();
    const lb = await open();
    const ownerEngine = new RecordingEngine();
    const maxBytes = 64 * 1024;
    const a = new AffinityFrameEngine({ local: ownerEngine, link: la, loadClientKey: async () => null, maxImageBytes: maxBytes, log });
    const b = new AffinityFrameEngine({ local: new RecordingEngine(), link: lb, loadClientKey: async () => null, maxImageBytes: maxBytes, log });
    const { source, frame } = await faceUpload(320, 240);
    const s = record('ses_corrupt');
    await a.processFrame(s, uploadInput(source));
    const png = await sharp(FACE).resize(64, 64).png().toBuffer();
    const cases: { name: string; image: EncodedImage; code: string; status: number }[] = [
      { name: 'truncated JPEG', image: { mime: 'image/jpeg', bytes: source.bytes.subarray(0, source.bytes.length >> 1) }, code: 'image_corrupt', status: 422 },
      { name: 'not an image', image: { mime: 'image/jpeg', bytes: Buffer.from('this is not a picture, just text') }, code: 'image_corrupt', status: 422 },
      { name: 'PNG sent as JPEG', image: { mime: 'image/jpeg', bytes: png }, code: 'image_unsupported', status: 415 },
      { name: 'over the size limit', image: { mime: 'image/jpeg', bytes: Buffer.alloc(maxBytes + 1, 0xff) }, code: 'image_too_large', status: 413 },
      { name: 'empty', image: { mime: 'image/jpeg', bytes: Buffer.alloc(0) }, code: 'image_empty', status: 422 },
    ];
    for (const c of cases) {
      // What the API's own boundary answers for the same upload on the node that took it.
      const b64 = Buffer.from(c.image.bytes).toString('base64');
      const localError = await errorOf(
        (async () => {
          const { mime, bytes } = parseDataUrl(`data:${c.image.mime};base64,${b64}`, { maxBytes });
          await decodeUpload(bytes, mime);
        })(),
      );
      const decodes = { n: 0 };
      const forwardedError = await errorOf(b.processFrame(s, uploadInput(c.image, decodes)));
      assert.equal(decodes.n, 0, `${c.name}: decoded on the node that forwarded it`);
      assert.deepEqual(forwardedError, localError, c.name);
      assert.equal(forwardedError.code, c.code, c.name);
      assert.equal(forwardedError.status, c.status, c.name);
    }
    // None reached the owner's engine, and the owner still serves the next good upload.
    assert.equal(ownerEngine.frames.length, 1);
    const next = await b.processFrame(s, uploadInput(source));
    assert.equal(next.kind, 'pending');
    assert.equal(ownerEngine.frames.length, 2);
    assert.deepEqual(a.stats, { forwarded: 0, served: 1 });
  });
});

interface View {
  status: string;
  frames_processed?: number;
  feedback?: string;
  prompts?: { type: string; action?: string }[];
  decision: { outcome: string; reason: string | null; external_user_id: string | null; scores: Record<string, number> } | null;
}

describe('REST liveness sessions on two nodes without sticky routing', { skip: SKIP_BOTH, timeout: 240_000 }, () => {
  const schema = runId();
  let analyzer: FaceAnalyzer;
  let a: ScheduledNode;
  let b: ScheduledNode;
  let clientId: string;
  let clip: Buffer[];

  const startNode = (tag: string): Promise<ScheduledNode> =>
    startScheduledNode({
      tmpPrefix: `facegate-${tag}-`,
      schedule: () => CLIP_SCHEDULES.blink,
      analyzer,
      env: {
        DATABASE_URL: PG_URL!,
        REDIS_URL: REDIS_URL!,
        // Both nodes must read each other's tokens and client keys.
        JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
        MASTER_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
        // One counted 1:1 failure locks the user out: a node loss must not count.
        LOCKOUT_FAILURES: '1',
      },
      node: { dbSchema: schema, redisPrefix: `${schema}:`, affinity: { leaseMs: 1500, forwardTimeoutMs: 5000 } },
    });

  before(async () => {
    analyzer = await FaceAnalyzer.create();
    a = await startNode('a');
    b = await startNode('b');
    clientId = (await a.node.service.tenants.createClient('two nodes')).clientId;
    clip = [];
    for await (const { frame } of decodeClip(path.join(VIDEO, 'genuine', 'liveportrait_d0.mp4'), { fps: 10 })) {
      clip.push(
        await sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), {
          raw: { width: frame.width, height: frame.height, channels: 3 },
        })
          .jpeg({ quality: 90 })
          .toBuffer(),
      );
    }
  });

  after(async () => {
    await b?.close();
    await a?.close();
    await analyzer?.close();
    await dropSchema(schema);
  });

  const session = async (kind: 'enrollment' | 'authentication', user: string | null): Promise<string> =>
    (await a.node.service.sessions.create({ clientId, kind, externalUserId: user, ipHash: null })).token;

  const upload = async (node: ScheduledNode, token: string, kind: string, jpeg: Buffer): Promise<{ status: number; body: View }> => {
    const res = await fetch(`${node.node.url}/api/auth/${kind}/process-frame`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_token: token, image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }),
    });
    return { status: res.status, body: (await res.json()) as View };
  };

  const status = async (node: ScheduledNode, token: string): Promise<View> => {
    const res = await fetch(`${node.node.url}/api/auth/session/${token}/status`);
    assert.equal(res.status, 200);
    return (await res.json()) as View;
  };

  it('a genuine clip uploaded alternately to node A and node B runs one engine session and enrols the user', async () => {
    const token = await session('enrollment', 'ana');
    const tap = await tapRequests(REDIS_URL!, `${schema}:`);
    const sentToB: Buffer[] = [];
    const prompts: string[] = [];
    let last: View | undefined;
    const start = Date.now();
    for (let i = 0; i < clip.length; i++) {
      // At the clip's own pace (10 fps), as a camera would.
      const wait = start + i * 100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (i % 2 === 1) sentToB.push(clip[i]!);
      const r = await upload(i % 2 === 0 ? a : b, token, 'enrollment', clip[i]!);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      last = r.body;
      for (const p of last.prompts ?? []) if (p.type === 'prompt' && p.action) prompts.push(p.action);
      if (last.decision) break;
    }
    assert.ok(prompts.includes('blink'), `prompts: ${prompts.join(',')}`);
    assert.equal(last?.status, 'succeeded', JSON.stringify({ last, signals: a.decisions.at(-1)?.signals }));
    assert.equal(typeof last?.decision?.scores['blink'], 'number');
    // One engine session, on A (it took the first frame): B forwarded its uploads.
    assert.equal(a.decisions.length, 1);
    assert.equal(b.decisions.length, 0);
    assert.ok((b.node.affinity?.stats.forwarded ?? 0) > 5);
    assert.equal(b.node.affinity?.stats.served, 0);
    // Each upload B forwarded crossed Redis as the client's JPEG, byte for byte.
    await tap.close();
    const frames = tap.seen.filter((m) => m.header.h.op !== 'cancel');
    assert.equal(frames.length, b.node.affinity?.stats.forwarded);
    assert.deepEqual(frames.map((m) => m.header.h.op), frames.map(() => 'image'));
    assert.deepEqual(frames.map((m) => m.body.length), sentToB.map((j) => j.length));
    assert.ok(frames.every((m, k) => m.body.equals(sentToB[k]!)));
    assert.notEqual(await b.node.service.store.getUser(clientId, 'ana'), null);
    assert.equal((await status(b, token)).status, 'succeeded');
  });

  it('the same still photo uploaded alternately to both nodes fails with liveness_failed', async () => {
    // Identification (1:N): a failure here counts toward no user's lockout.
    const token = await session('authentication', null);
    const jpeg = readFileSync(path.join(VIDEO, '..', 'stills', 'silentface_image_T1.jpg'));
    let last: View | undefined;
    for (let i = 0; i < 40 && !last?.decision; i++) {
      // Node B takes the first frame this time.
      const r = await upload(i % 2 === 0 ? b : a, token, 'authentication', jpeg);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      last = r.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last?.status, 'failed');
    assert.equal(last?.decision?.reason, 'liveness_failed', JSON.stringify(last?.decision));
    assert.equal(b.decisions.length, 1);
    assert.equal((await status(a, token)).decision?.reason, 'liveness_failed');
  });

  it('status and cancel from the node that does not own the session: DELETE on B ends the engine session on A', async () => {
    const token = await session('authentication', null);
    for (let i = 0; i < 3; i++) assert.equal((await upload(a, token, 'authentication', clip[i]!)).status, 200);
    const seen = await status(b, token);
    assert.equal(seen.status, 'capturing');
    assert.equal(seen.frames_processed, 3);
    assert.equal(a.node.engines.sessionCount, 1);

    const res = await fetch(`${b.node.url}/api/auth/session/${token}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as View).status, 'cancelled');
    assert.equal(a.node.engines.sessionCount, 0);
    assert.equal((await status(a, token)).status, 'cancelled');
    const late = await upload(a, token, 'authentication', clip[3]!);
    assert.equal(late.status, 409);
  });

  it('a live WebRTC session on node A ends within ~1 s when its session is cancelled on node B (DELETE), and its engine session is cancelled', async () => {
    const rtp = await encodeRtpClip({ file: path.join(VIDEO, 'genuine', 'liveportrait_d0.mp4'), codec: 'VP8', seconds: 6, fps: 15, width: 640, height: 480 });
    const token = await session('enrollment', 'live-cancel');
    const { signaling, stop } = await joinSignaling(a.node.url, token);
    const publisher = new SyntheticPublisher(signaling, { codec: 'VP8', packets: rtp });
    const seen = a.decisions.length;
    let closedAfterMs = -1;
    try {
      await publisher.start();
      assert.equal(a.node.pool.sessionCount, 1);
      const cancelledAt = Date.now();
      const res = await fetch(`${b.node.url}/api/auth/session/${token}`, { method: 'DELETE' });
      assert.equal(res.status, 200);
      const end = Date.now() + 10_000;
      while (a.node.pool.sessionCount > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      closedAfterMs = Date.now() - cancelledAt;
    } finally {
      await publisher.close();
      stop();
    }
    assert.ok(closedAfterMs >= 0 && closedAfterMs < 3000, `node A closed the live session ${closedAfterMs} ms after the cancel on B`);
    assert.equal(a.decisions.slice(seen).find((d) => d.subjectId === 'live-cancel')?.outcome, 'cancelled');
    assert.equal((await status(a, token)).status, 'cancelled');
    assert.equal(await a.node.service.store.getUser(clientId, 'live-cancel'), null);
  });

  it('owner node stopped mid-session: the next upload on the other node ends the session with node_lost at once; a new session works', async () => {
    const token = await session('authentication', 'ana');
    for (let i = 0; i < 3; i++) assert.equal((await upload(a, token, 'authentication', clip[i]!)).status, 200);
    await a.close();

    const t0 = Date.now();
    const r = await upload(b, token, 'authentication', clip[3]!);
    const took = Date.now() - t0;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'failed');
    assert.equal(r.body.decision?.reason, 'node_lost');
    assert.ok(took < 5000, `took ${took} ms`);
    assert.equal((await status(b, token)).decision?.reason, 'node_lost');
    // Not the user's fault: with LOCKOUT_FAILURES=1 a counted failure would refuse this new 1:1 session.
    const again = (await b.node.service.sessions.create({ clientId, kind: 'authentication', externalUserId: 'ana', ipHash: null })).token;
    const first = await upload(b, again, 'authentication', clip[0]!);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'capturing');
  });
});
