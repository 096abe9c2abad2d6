import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FfmpegDecoder } from '../../media/FfmpegDecoder.ts';
import type { ClientMessage } from '../../common/protocol/dataChannel.ts';
import type { LiveSessionHandle } from '../../media/FrameSink.ts';
import { encodeRtpClip, type RtpClipPacket } from '../support/rtpClip.ts';
import { ServerPeer } from '../../media/ServerPeer.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';
import type { DecodedFrame, SessionEndReason } from '../../media/types.ts';
import { SignalingClient, startLiveServer, type LiveServer } from './liveServer.ts';

const CLIP = new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url).pathname;

interface SessionLog {
  handle: LiveSessionHandle;
  frames: DecodedFrame[];
  messages: ClientMessage[];
  ends: SessionEndReason[];
}

let server: LiveServer;
let clip: RtpClipPacket[];
const sessions = new Map<string, SessionLog>();

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
};

before(async () => {
  clip = await encodeRtpClip({ file: CLIP, codec: 'VP8', seconds: 2, fps: 15 });
  server = await startLiveServer({
    heartbeatIntervalMs: 400,
    sinkFactory: (handle) => {
      const log: SessionLog = { handle, frames: [], messages: [], ends: [] };
      sessions.set(handle.sessionId, log);
      return {
        onFrame: (f) => void log.frames.push(f),
        onMessage: (m) => void log.messages.push(m),
        onEnd: (r) => void log.ends.push(r),
      };
    },
  });
});
after(() => server.close());

async function assertNothingLeaked(): Promise<void> {
  assert.ok(await until(() => server.pool.sessionCount === 0, 3000), 'sessions closed');
  assert.equal(await server.pool.transportCount(), 0);
  assert.equal(FfmpegDecoder.openProcesses, 0);
  assert.equal(ServerPeer.openPeers, 0);
}

test('signaling join with an invalid token answers unauthorized and opens no session', async (t) => {
  const c = await SignalingClient.connect(server.url);
  t.after(() => c.close());
  assert.deepEqual(await c.request('join', { token: 'forged.token' }), {
    ok: false,
    error: { code: 'unauthorized', message: 'invalid or expired session token' },
  });
  const early = await c.request('createTransport', { direction: 'send' });
  assert.equal(early.ok, false);
  if (!early.ok) assert.equal(early.error.code, 'unauthorized');
  assert.equal(server.pool.sessionCount, 0);
});

test('signaling answers malformed requests with invalid_request and keeps the connection', async (t) => {
  const c = await SignalingClient.connect(server.url);
  t.after(() => c.close());
  for (const [name, data] of [
    ['explode', {}],
    ['join', { token: 42 }],
    ['join', null],
  ] as const) {
    const r = await c.request(name, data);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'invalid_request', `${name} ${JSON.stringify(data)}`);
  }
  await c.call('join', { token: server.token() });
  const bad = await c.request('connectTransport', { transportId: 'nope', dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] } });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.error.code, 'invalid_request');
  assert.equal(c.socket.connected, true);
  c.close();
  await assertNothingLeaked();
});

test('a publisher over signaling gets frames decoded and data channel messages both ways; disconnect cleans everything', async (t) => {
  const c = await SignalingClient.connect(server.url);
  t.after(() => c.close());
  const signaling = await c.join(server.token());
  const heartbeat = setInterval(() => void c.request('heartbeat', {}).catch(() => undefined), 200);
  t.after(() => clearInterval(heartbeat));
  const publisher = new SyntheticPublisher(signaling, { codec: 'VP8', packets: clip });
  t.after(() => publisher.close());
  await publisher.start();
  const log = sessions.get(signaling.sessionId);
  assert.ok(log);
  assert.ok(log.handle.send({ type: 'prompt', id: 'turn', action: 'turn_left', text: 'Turn left' }));
  assert.ok(await until(() => publisher.received.some((m) => m.type === 'prompt'), 5000));
  assert.ok(publisher.send({ type: 'ack', ref: 'turn' }));
  assert.ok(await until(() => log.messages.some((m) => m.type === 'ack'), 5000));
  assert.ok(await until(() => log.frames.length >= 5 && log.handle.rttMs !== undefined, 10_000), `frames ${log.frames.length}`);
  assert.equal(log.frames[0]?.image.width, 640);
  assert.equal(FfmpegDecoder.openProcesses, 1);
  assert.equal(ServerPeer.openPeers, 1);
  clearInterval(heartbeat);
  c.close();
  publisher.close();
  assert.ok(await until(() => log.ends.length === 1, 3000));
  assert.deepEqual(log.ends, ['client_gone']);
  await assertNothingLeaked();
});

test('a client that goes silent has its session closed with client_silent', async (t) => {
  const c = await SignalingClient.connect(server.url);
  t.after(() => c.close());
  const signaling = await c.join(server.token());
  await c.call('createTransport', { direction: 'send' });
  const log = sessions.get(signaling.sessionId);
  assert.ok(await until(() => (log?.ends.length ?? 0) === 1, 3000));
  assert.deepEqual(log?.ends, ['client_silent']);
  assert.ok(await until(() => !c.socket.connected, 2000));
  await assertNothingLeaked();
});

test('leave ends the session with client_left and a second join on the same token conflicts while live', async (t) => {
  const token = server.token();
  const a = await SignalingClient.connect(server.url);
  t.after(() => a.close());
  const joined = await a.join(token);
  const b = await SignalingClient.connect(server.url);
  t.after(() => b.close());
  const dup = await b.request('join', { token });
  assert.equal(dup.ok, false);
  if (!dup.ok) assert.equal(dup.error.code, 'conflict');
  await a.call('leave', {});
  const log = sessions.get(joined.sessionId);
  assert.ok(await until(() => (log?.ends.length ?? 0) === 1, 3000));
  assert.deepEqual(log?.ends, ['client_left']);
  await assertNothingLeaked();
});

test('a media worker that dies is announced to its clients as sessionClosed media_worker_died', async (t) => {
  const c = await SignalingClient.connect(server.url);
  t.after(() => c.close());
  await c.join(server.token());
  await c.call('createTransport', { direction: 'send' });
  const pid = server.pool.toJSON().workers[0]?.pid;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGKILL');
  assert.ok(await until(() => c.notifications.length === 1, 5000));
  assert.deepEqual(c.notifications, [{ name: 'sessionClosed', data: { reason: 'media_worker_died' } }]);
  assert.ok(await until(() => !c.socket.connected, 3000));
  assert.ok(await until(() => server.pool.toJSON().workers.length === 1, 5000), 'worker replaced');
  await assertNothingLeaked();
});

test('the SDK router serves the SDK bundle and the demo page', async () => {
  const sdk = await fetch(`${server.url}/sdk/facegate.js`);
  assert.equal(sdk.status, 200);
  assert.match(sdk.headers.get('content-type') ?? '', /javascript/);
  const js = await sdk.text();
  assert.match(js, /Facegate/);
  const page = await fetch(`${server.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script src="\/sdk\/demo\.js"><\/script>/);
});
