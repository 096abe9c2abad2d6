// The documented frame WebSocket (`/ws/auth/process-image/{session_token}/`)
// on a real node (port 0, embedded store, the real liveness engine with the
// clip's blink schedule): the documented JavaScript client flow, written with
// `ws`, enrolls a real face from a clip and then authenticates it; garbage on
// the socket gets `error` messages and the node stays up; unknown and
// finished sessions are refused with their close codes; a burst of frames is
// analysed latest-frame-wins with the dropped ones counted.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { FRAME_SOCKET_CLOSE, frameSocketPath, FrameSocketServerMessage } from '../../../common/protocol/frameSocket.ts';
import { CLIP_SCHEDULES } from '../../../scripts/eval/lib/clipRunner.ts';
import { defaultMaxPayload } from '../../../src/ws/FrameSocketServer.ts';
import { startScheduledNode, type ScheduledNode } from '../scheduledNode.ts';
import { clipDataUrls, restCaller, type ClipFrame, type RestCaller } from './frameSocketFixture.ts';

const VIDEO = new URL('../../../../shared/video/', import.meta.url).pathname;
const CLIP = path.join(VIDEO, 'genuine', 'liveportrait_d0.mp4');
const USER = 'ws-user-1';

/** The documented client (FaceRecognitionWebSocket) as a test helper: every server message is checked against the schema. */
class FrameClient {
  readonly messages: FrameSocketServerMessage[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  constructor(baseUrl: string, token: string) {
    this.ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${frameSocketPath(token)}`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'the server sends JSON text');
      this.messages.push(FrameSocketServerMessage.parse(JSON.parse(String(data))));
      for (const w of this.#waiters.splice(0)) w();
    });
    this.ws.on('close', () => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m));
  }

  sendFrame(frameData: string): void {
    this.send({ type: 'process_frame', frame_data: frameData, timestamp: new Date().toISOString() });
  }

  of<T extends FrameSocketServerMessage['type']>(type: T): Extract<FrameSocketServerMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<FrameSocketServerMessage, { type: T }> => m.type === type);
  }

  /** Resolves once `pred` holds over the messages so far (or the socket closed), within `ms`. */
  async until(pred: (ms: readonly FrameSocketServerMessage[]) => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this.messages) && this.ws.readyState !== WebSocket.CLOSED) {
      const left = end - Date.now();
      if (left <= 0) assert.fail(`timed out; messages: ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

describe('frame WebSocket /ws/auth/process-image/{session_token}/', { timeout: 150_000 }, () => {
  let fixture: ScheduledNode;
  let frames: ClipFrame[];
  let rest: RestCaller;
  const clients: FrameClient[] = [];
  const connect = async (token: string): Promise<FrameClient> => {
    const c = new FrameClient(fixture.node.url, token);
    clients.push(c);
    await c.opened;
    return c;
  };

  /** Sends the clip at its own pace (fire and forget, as the documented client's timer does) until the session's final message. */
  const runClip = async (c: FrameClient, final: FrameSocketServerMessage['type']): Promise<void> => {
    const start = Date.now();
    for (const f of frames) {
      if (c.messages.some((m) => m.type === final || m.type === 'error') || c.ws.readyState !== WebSocket.OPEN) break;
      const wait = start + f.t - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (c.ws.readyState === WebSocket.OPEN) c.sendFrame(f.dataUrl);
    }
    await c.until((ms) => ms.some((m) => m.type === final || m.type === 'error'), 20_000);
  };

  before(async () => {
    fixture = await startScheduledNode({ tmpPrefix: 'facegate-ws-', schedule: () => CLIP_SCHEDULES.blink });
    frames = await clipDataUrls(CLIP, 10, 85);
    rest = await restCaller(fixture.node, 'ws client');
  });

  after(async () => {
    for (const c of clients) c.close();
    await fixture?.close();
  });

  it('the documented client flow enrolls a real face from a clip: liveness_instruction (blink), enrollment_progress, enrollment_complete, then close 1000', async () => {
    const token = await rest.newSession('enrollment', USER);
    const c = await connect(token);
    await runClip(c, 'enrollment_complete');
    const done = c.of('enrollment_complete')[0];
    assert.ok(done, `no enrollment_complete: ${JSON.stringify(c.messages.filter((m) => m.type === 'error'))} ${JSON.stringify(fixture.decisions.at(-1)?.signals)}`);
    assert.equal(done.session_token, token);
    assert.equal(done.user_id, USER);
    assert.equal(done.liveness_verified, true);
    assert.equal(typeof done.scores['blink'], 'number');
    assert.ok(c.of('liveness_instruction').some((m) => m.instruction === 'blink' && m.message.length > 0), JSON.stringify(c.of('liveness_instruction')));
    const progress = c.of('enrollment_progress');
    assert.ok(progress.length > 0);
    assert.ok(progress.every((p) => p.session_token === token && p.target_samples === fixture.node.config.service.enrollSamples));
    assert.deepEqual(await c.closed, { code: FRAME_SOCKET_CLOSE.done, reason: 'session succeeded' });
    const clientId = (await fixture.node.service.sessions.get(token)).clientId;
    assert.equal((await fixture.node.service.store.listTemplates(clientId, USER)).length, 1);
  });

  it('the documented client flow then authenticates the same face: authentication_result authenticated with user_id and confidence', async () => {
    const token = await rest.newSession('authentication', USER);
    const c = await connect(token);
    await runClip(c, 'authentication_result');
    const r = c.of('authentication_result')[0];
    assert.ok(r, `no authentication_result: ${JSON.stringify(c.messages.filter((m) => m.type === 'error'))}`);
    assert.equal(r.authenticated, true, JSON.stringify(r));
    assert.equal(r.user_id, USER);
    assert.ok((r.confidence ?? 0) >= fixture.node.config.service.matchThreshold, JSON.stringify(r));
    assert.equal(r.liveness_passed, true);
    assert.ok(r.processing_time_ms >= 0);
    assert.ok(c.of('processing').length > 0, 'undecided frames are answered with processing');
    assert.equal((await c.closed).code, FRAME_SOCKET_CLOSE.done);
    assert.equal((await rest.call('GET', `/api/auth/session/${token}/status`)).status, 'succeeded');
  });

  it('garbage on the socket gets error messages, a frame over the max payload closes with 1009, and the node stays up', async () => {
    const token = await rest.newSession('authentication');
    const c = await connect(token);
    const maxBytes = fixture.node.config.service.maxImageBytes;
    const cases: { readonly name: string; readonly send: unknown; readonly code: string }[] = [
      { name: 'not JSON', send: '{"type": "process_frame", ', code: 'invalid_request' },
      { name: 'JSON that is not an object', send: '42', code: 'validation_error' },
      { name: 'unknown type', send: { type: 'upload_everything' }, code: 'validation_error' },
      { name: 'process_frame without frame_data', send: { type: 'process_frame' }, code: 'validation_error' },
      { name: 'frame_data of the wrong type', send: { type: 'process_frame', frame_data: 17 }, code: 'validation_error' },
      { name: 'binary garbage', send: Buffer.from([0xff, 0x00, 0xd8, 0x13, 0x37, 0x00, 0x80]), code: 'invalid_request' },
      { name: 'frame_data that is not a data URL', send: { type: 'process_frame', frame_data: 'hello there' }, code: 'validation_error' },
      { name: 'a frame that is not an image', send: { type: 'process_frame', frame_data: `data:image/jpeg;base64,${Buffer.from('this is not a picture, just text').toString('base64')}` }, code: 'image_corrupt' },
      { name: 'a GIF', send: { type: 'process_frame', frame_data: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' }, code: 'image_unsupported' },
      { name: 'a huge frame (over the image limit, under the payload limit)', send: { type: 'process_frame', frame_data: `data:image/jpeg;base64,${'A'.repeat(Math.ceil((maxBytes * 4) / 3) + 4096)}` }, code: 'image_too_large' },
    ];
    for (const k of cases) {
      const seen = c.messages.length;
      c.send(k.send);
      await c.until((ms) => ms.length > seen);
      const m = c.messages[seen]!;
      assert.equal(m.type, 'error', `${k.name}: ${JSON.stringify(m)}`);
      assert.equal(m.type === 'error' ? m.error_code : null, k.code, `${k.name}: ${JSON.stringify(m)}`);
    }
    c.send({ type: 'ping' });
    await c.until((ms) => ms.at(-1)?.type === 'pong');
    // The session is untouched by all that: a real frame is still analysed.
    c.sendFrame(frames[0]!.dataUrl);
    await c.until((ms) => ms.at(-1)?.type === 'processing');
    // Over the connection's max payload: ws ends the connection (1009) without reading it into memory.
    c.send(Buffer.alloc(defaultMaxPayload(maxBytes) + 1, 0x41).toString());
    assert.equal((await c.closed).code, FRAME_SOCKET_CLOSE.tooBig);
    const health = await fetch(`${fixture.node.url}/health`);
    assert.equal(health.status, 200);
    const again = await connect(token);
    again.send({ type: 'ping' });
    await again.until((ms) => ms.some((m) => m.type === 'pong'));
    again.close();
  });

  it('an unknown token and a finished session are refused with an error and their close codes; socket.io upgrades still reach socket.io', async () => {
    const unknown = await connect('no-such-session-token');
    assert.deepEqual((await unknown.closed).code, FRAME_SOCKET_CLOSE.unknownSession);
    assert.equal(unknown.of('error')[0]?.error_code, 'not_found');
    const odd = new FrameClient(fixture.node.url, 'x'.repeat(300));
    clients.push(odd);
    assert.equal((await odd.closed).code, FRAME_SOCKET_CLOSE.unknownSession);

    const token = await rest.newSession('authentication');
    await rest.call('DELETE', `/api/auth/session/${token}`);
    const finished = await connect(token);
    assert.equal((await finished.closed).code, FRAME_SOCKET_CLOSE.sessionFinished);
    assert.deepEqual(finished.of('error')[0]?.details, { status: 'cancelled' });

    const io = new WebSocket(`${fixture.node.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const first = await new Promise<string>((resolve, reject) => {
      io.once('message', (d) => resolve(String(d)));
      io.once('error', reject);
    });
    assert.match(first, /^0\{"sid"/, 'engine.io open packet');
    io.close();
  });

  it('an idle socket closes with 4409 when its session expires (the service decides it expired)', async () => {
    const short = await startScheduledNode({ tmpPrefix: 'facegate-ws-ttl-', schedule: () => CLIP_SCHEDULES.blink, analyzer: fixture.analyzer, env: { SESSION_TTL_S: '10' } });
    try {
      const shortRest = await restCaller(short.node, 'ttl client');
      const token = await shortRest.newSession('authentication');
      const c = new FrameClient(short.node.url, token);
      clients.push(c);
      await c.opened;
      const t0 = Date.now();
      const closed = await c.closed;
      assert.equal(closed.code, FRAME_SOCKET_CLOSE.sessionFinished);
      assert.ok(Date.now() - t0 < 12_000);
      assert.deepEqual(c.of('error')[0]?.details, { status: 'expired' });
      assert.equal((await shortRest.call('GET', `/api/auth/session/${token}/status`)).status, 'expired');
    } finally {
      await short.close();
    }
  });

  it('a burst of frames is analysed latest-frame-wins: one waiting frame at most, the replaced ones counted in frames_dropped', async () => {
    const token = await rest.newSession('authentication');
    const c = await connect(token);
    const burst = 8;
    for (let i = 0; i < burst; i++) c.sendFrame(frames[i]!.dataUrl);
    // The first frame is analysed, the last waits, the ones between are replaced.
    await c.until((ms) => {
      const p = ms.filter((m) => m.type === 'processing');
      return p.length > 0 && p.length + (p.at(-1)?.type === 'processing' ? p.at(-1)!.frames_dropped : 0) >= burst;
    });
    await new Promise((r) => setTimeout(r, 500));
    const replies = c.of('processing');
    const dropped = replies.at(-1)!.frames_dropped;
    assert.equal(replies.length + dropped, burst, JSON.stringify(replies));
    assert.ok(dropped >= 1 && replies.length >= 2, `analysed ${replies.length}, dropped ${dropped}`);
    assert.equal(replies.at(-1)!.frames_processed, replies.length);
    c.send({ type: 'cancel' });
    assert.deepEqual(await c.closed, { code: FRAME_SOCKET_CLOSE.done, reason: 'session cancelled' });
    assert.equal((await rest.call('GET', `/api/auth/session/${token}/status`)).status, 'cancelled');
  });
});
