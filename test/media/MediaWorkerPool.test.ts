import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { FfmpegDecoder } from '../../media/FfmpegDecoder.ts';
import type { ClientMessage } from '../../common/protocol/dataChannel.ts';
import { MediaWorkerPool } from '../../media/MediaWorkerPool.ts';
import { encodeRtpClip, type RtpClipPacket } from '../support/rtpClip.ts';
import { ServerPeer } from '../../media/ServerPeer.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';
import type { DecodedFrame, SessionEndReason, VideoCodec } from '../../media/types.ts';

const CLIP = new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url).pathname;
const logger = pino({ level: 'silent' });
const clips = new Map<VideoCodec, RtpClipPacket[]>();
let pool: MediaWorkerPool;

before(async () => {
  clips.set('VP8', await encodeRtpClip({ file: CLIP, codec: 'VP8', seconds: 2, fps: 15 }));
  clips.set('H264', await encodeRtpClip({ file: CLIP, codec: 'H264', seconds: 2, fps: 15 }));
  pool = await MediaWorkerPool.create({ workers: 1, listenIp: '127.0.0.1', rtcPort: 0, frameRate: 10, logger, pingIntervalMs: 300 });
});
after(() => pool.close());

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
};

test('MediaWorkerPool.create() listens on one UDP and one TCP port per worker', async () => {
  const [ports] = await pool.ports();
  assert.equal(ports?.udp.length, 1);
  assert.equal(ports?.tcp.length, 1);
  assert.ok((ports?.udp[0] ?? 0) > 0);
});

test('LiveSession decodes a werift publisher VP8 track at 10 fps and carries data channel messages both ways', async (t) => {
  const session = await pool.createSession({ sessionId: 'vp8-session', clientId: 'kiosk-1' });
  t.after(() => session.close());
  const frames: DecodedFrame[] = [];
  const emittedAt: number[] = [];
  const messages: ClientMessage[] = [];
  const ends: SessionEndReason[] = [];
  session.setSink({ onFrame: (f) => void (frames.push(f), emittedAt.push(performance.now())), onMessage: (m) => void messages.push(m), onEnd: (r) => void ends.push(r) });
  const publisher = new SyntheticPublisher(session, { codec: 'VP8', packets: clips.get('VP8') ?? [] });
  t.after(() => publisher.close());
  await publisher.start();
  assert.throws(() => session.send({ type: 'progress', value: 2 }), TypeError);
  assert.equal(session.send({ type: 'prompt', id: 'p1', action: 'blink', text: 'Blink now' }), true);
  assert.ok(await until(() => publisher.received.some((m) => m.type === 'prompt'), 5000), 'prompt reached the publisher');
  assert.ok(publisher.send({ type: 'ack', ref: 'p1' }));
  assert.ok(await until(() => messages.some((m) => m.type === 'ack' && m.ref === 'p1'), 5000), 'ack reached the server');
  assert.ok(await until(() => frames.length >= 10 && session.rttMs !== undefined, 12000), `frames ${frames.length}, rtt ${session.rttMs}`);
  const f = frames.at(-1);
  assert.equal(f?.image.width, 640);
  assert.equal(f?.image.height, 480);
  assert.equal(f?.image.data.length, 640 * 480 * 3);
  const stats = session.toJSON();
  assert.equal(stats.pipeline?.clock.anchored, true);
  assert.ok(
    await until(() => (session.toJSON().pipeline?.clock.senderReports ?? 0) >= 1, 6000),
    'RTCP sender reports reach the server peer',
  );
  for (const x of frames) assert.ok(x.captureTimeMs <= x.arrivalTimeMs && x.arrivalTimeMs <= x.decodedAtMs);
  assert.ok((session.rttMs ?? -1) >= 0);
  // Cadence: one frame per 100 ms slot at most, never closer than half a slot.
  const gaps = emittedAt.slice(1).map((x, i) => x - (emittedAt[i] ?? 0));
  assert.ok(gaps.every((g) => g >= 45), `gaps ${gaps.join(',')}`);
  const span = (emittedAt.at(-1) ?? 0) - (emittedAt[0] ?? 0);
  assert.ok(emittedAt.length <= span / 100 + 2, `${emittedAt.length} frames in ${span} ms`);
  await session.close('client_left');
  assert.deepEqual(ends, ['client_left']);
});

test('LiveSession.observer announces each RTT change as rtt and the end once as close, after the sink\'s onEnd', async (t) => {
  const session = await pool.createSession({ sessionId: 'observer-session' });
  t.after(() => session.close());
  const order: string[] = [];
  const rtts: number[] = [];
  session.setSink({ onFrame: () => {}, onEnd: (r) => void order.push(`onEnd:${r}`) });
  session.observer.on('rtt', (ms) => void rtts.push(ms));
  session.observer.on('close', (r) => void order.push(`close:${r}`));
  const publisher = new SyntheticPublisher(session, { codec: 'VP8', packets: clips.get('VP8') ?? [] });
  t.after(() => publisher.close());
  await publisher.start();
  assert.ok(await until(() => rtts.length >= 1, 12000), 'a pong produced an rtt event');
  assert.equal(rtts.at(-1), session.rttMs);
  for (let i = 1; i < rtts.length; i++) assert.notEqual(rtts[i], rtts[i - 1], `only changes are announced: ${rtts.join(',')}`);
  await session.close('client_left');
  await session.close('client_left');
  assert.deepEqual(order, ['onEnd:client_left', 'close:client_left']);
});

test('LiveSession decodes a werift publisher H264 track', async (t) => {
  const session = await pool.createSession({ sessionId: 'h264-session' });
  t.after(() => session.close());
  const frames: DecodedFrame[] = [];
  session.setSink({ onFrame: (f) => void frames.push(f) });
  const publisher = new SyntheticPublisher(session, { codec: 'H264', packets: clips.get('H264') ?? [] });
  t.after(() => publisher.close());
  await publisher.start();
  assert.ok(await until(() => frames.length >= 10, 8000), `frames ${frames.length}`);
  assert.equal(session.toJSON().pipeline?.depacketizer.codec, 'H264');
  await session.close('client_left');
});

test('LiveSession.close() leaves no transports, werift peers or ffmpeg processes behind', async (t) => {
  const session = await pool.createSession({ sessionId: 'leak-check' });
  t.after(() => session.close());
  session.setSink({ onFrame: () => {} });
  const publisher = new SyntheticPublisher(session, { codec: 'VP8', packets: clips.get('VP8') ?? [] });
  t.after(() => publisher.close());
  await publisher.start();
  assert.ok(await until(() => FfmpegDecoder.openProcesses === 1, 3000), `ffmpeg processes: ${FfmpegDecoder.openProcesses}`);
  assert.equal(ServerPeer.openPeers, 1);
  assert.equal(await pool.transportCount(), 4);
  await session.close('client_gone');
  await session.close('client_gone');
  publisher.close();
  assert.equal(FfmpegDecoder.openProcesses, 0);
  assert.equal(ServerPeer.openPeers, 0);
  assert.equal(await pool.transportCount(), 0);
  assert.equal(pool.sessionCount, 0);
});

test('LiveSession drops frames while the sink is still busy with the previous one, never queues them', async (t) => {
  const session = await pool.createSession({ sessionId: 'busy-sink' });
  t.after(() => session.close());
  const starts: number[] = [];
  session.setSink({
    onFrame: async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 350));
    },
  });
  const publisher = new SyntheticPublisher(session, { codec: 'VP8', packets: clips.get('VP8') ?? [] });
  t.after(() => publisher.close());
  await publisher.start();
  assert.ok(await until(() => starts.length >= 4, 10_000), `frames ${starts.length}`);
  const gaps = starts.slice(1).map((x, i) => x - (starts[i] ?? 0));
  assert.ok(gaps.every((g) => g >= 340), `gaps ${gaps.join(',')}`);
  assert.ok(session.toJSON().framesDroppedBusySink >= 4);
  await session.close();
});

test('MediaWorkerPool.createSession() rejects a session id that is already live with conflict', async () => {
  const session = await pool.createSession({ sessionId: 'dup' });
  await assert.rejects(pool.createSession({ sessionId: 'dup' }), { code: 'conflict' });
  await session.close();
});

test('a media worker that dies ends its sessions with media_worker_died and is replaced', async () => {
  const session = await pool.createSession({ sessionId: 'doomed' });
  const ends: SessionEndReason[] = [];
  session.setSink({ onFrame: () => {}, onEnd: (r) => void ends.push(r) });
  await session.createTransport('send');
  const pid = pool.toJSON().workers[0]?.pid;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGKILL');
  assert.ok(await until(() => ends.length === 1, 5000));
  assert.deepEqual(ends, ['media_worker_died']);
  assert.equal(session.endReason, 'media_worker_died');
  assert.ok(await until(() => pool.toJSON().workersReplaced === 1 && pool.toJSON().workers.length === 1, 5000));
  assert.notEqual(pool.toJSON().workers[0]?.pid, pid);
  const fresh = await pool.createSession({ sessionId: 'after-death' });
  await fresh.createTransport('send');
  await fresh.close();
  assert.equal(FfmpegDecoder.openProcesses, 0);
});

test('a live session keeps decoding past mediasoup ICE consent timeout (regression: server peer cut off at 30 s)', async (t) => {
  // The client here is a werift peer too, so its transports also need consent checking off.
  const longPool = await MediaWorkerPool.create({ workers: 1, listenIp: '127.0.0.1', rtcPort: 0, frameRate: 10, logger, clientIceConsentTimeoutS: 0 });
  t.after(() => longPool.close());
  const session = await longPool.createSession({ sessionId: 'long' });
  const frames: number[] = [];
  session.setSink({ onFrame: () => void frames.push(Date.now()) });
  const publisher = new SyntheticPublisher(session, { codec: 'VP8', packets: clips.get('VP8') ?? [] });
  t.after(() => publisher.close());
  await publisher.start();
  await new Promise((r) => setTimeout(r, 34_000));
  const recent = frames.filter((x) => x > Date.now() - 2000).length;
  assert.ok(recent >= 15, `frames in the last 2 s: ${recent}`);
  await session.close();
});
