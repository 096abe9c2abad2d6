// Fault tests (issue 13) against a real mediasoup worker pool, real ffmpeg
// decoders and werift publishers on loopback: a worker SIGKILLed mid-session
// ends the sessions it carried with media_worker_died and is replaced in
// under a second while a session on the other worker keeps decoding; an
// ffmpeg decoder killed ends its session with decoder_failed, the others go on.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { MediaWorkerPool } from '../../media/MediaWorkerPool.ts';
import type { LiveSession } from '../../media/LiveSession.ts';
import type { SessionEndReason } from '../../media/types.ts';
import { encodeRtpClip, type RtpClipPacket } from '../support/rtpClip.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';

const CLIP = new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url).pathname;
let clip: RtpClipPacket[];
let pool: MediaWorkerPool;

before(async () => {
  clip = await encodeRtpClip({ file: CLIP, codec: 'VP8', seconds: 2, fps: 15 });
  pool = await MediaWorkerPool.create({ workers: 2, listenIp: '127.0.0.1', rtcPort: 0, frameRate: 10, logger: pino({ level: 'silent' }), pingIntervalMs: 300 });
});
after(() => pool.close());

const until = async (cond: () => boolean, ms: number, stepMs = 50): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, stepMs));
  return cond();
};

interface Live {
  readonly session: LiveSession;
  readonly publisher: SyntheticPublisher;
  readonly ends: SessionEndReason[];
  frames: number;
  close(): Promise<void>;
}

async function live(id: string): Promise<Live> {
  const session = await pool.createSession({ sessionId: id });
  const l: Live = {
    session,
    publisher: new SyntheticPublisher(session, { codec: 'VP8', packets: clip }),
    ends: [],
    frames: 0,
    async close() {
      await l.publisher.close();
      await session.close();
    },
  };
  session.setSink({ onFrame: () => void l.frames++, onEnd: (r) => void l.ends.push(r) });
  await l.publisher.start();
  assert.ok(await until(() => l.frames >= 3, 12_000), `${id}: frames ${l.frames}`);
  return l;
}

test('a mediasoup worker SIGKILLed mid-session: its session ends media_worker_died, the worker is back in < 1 s, the other session goes on', async (t) => {
  const a = await live('fault-worker-a');
  const b = await live('fault-worker-b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const workers = pool.toJSON().workers;
  assert.equal(workers.length, 2);
  assert.ok(workers.every((w) => w.sessions === 1), 'one session per worker');
  const victim = workers.find((w) => w.index === 0)!;
  const replacedBefore = pool.toJSON().workersReplaced;
  // Which session is on the victim: the one that ends.
  const t0 = performance.now();
  process.kill(victim.pid!, 'SIGKILL');
  assert.ok(await until(() => pool.toJSON().workersReplaced === replacedBefore + 1 && pool.toJSON().workers.length === 2, 5000, 10));
  const replacedMs = performance.now() - t0;
  assert.ok(replacedMs < 1000, `worker replaced in ${replacedMs.toFixed(0)} ms`);
  assert.ok(await until(() => a.ends.length + b.ends.length === 1, 5000));
  const [doomed, survivor] = a.ends.length === 1 ? [a, b] : [b, a];
  assert.deepEqual(doomed.ends, ['media_worker_died']);
  assert.equal(doomed.session.endReason, 'media_worker_died');
  const seen = survivor.frames;
  assert.ok(await until(() => survivor.frames >= seen + 5, 8000), `the other session kept decoding (${survivor.frames - seen} more frames)`);
  assert.deepEqual(survivor.ends, []);
  // The replacement takes new sessions.
  const fresh = await pool.createSession({ sessionId: 'fault-worker-after' });
  await fresh.createTransport('send');
  await fresh.close();
});

test('an ffmpeg decoder killed mid-session: that session ends decoder_failed, the other goes on', async (t) => {
  const a = await live('fault-ffmpeg-a');
  const b = await live('fault-ffmpeg-b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const pid = a.session.toJSON().pipeline?.decoder.pid;
  assert.ok(pid !== undefined, 'the decoder runs');
  process.kill(pid, 'SIGKILL');
  assert.ok(await until(() => a.ends.length === 1, 5000));
  assert.deepEqual(a.ends, ['decoder_failed']);
  const seen = b.frames;
  assert.ok(await until(() => b.frames >= seen + 5, 8000), `the other session kept decoding (${b.frames - seen} more frames)`);
  assert.deepEqual(b.ends, []);
});
