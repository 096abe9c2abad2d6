// Per-frame cost of REST session affinity across nodes (AffinityFrameEngine
// over RedisNodeLink): two links on one Redis, each node's engine replaced by
// one that answers at once, so only the routing is timed. Prints the median
// and p95 per upload for a session owned by the receiving node (one claim
// round trip) and for one owned by the other node (claim + the frame through
// Redis to the owner + the reply), per frame size.
//   node --import tsx scripts/bench-affinity.ts [--json] [--redis redis://127.0.0.1:6379/0] [--frames 200]
import { performance } from 'node:perf_hooks';
import crypto from 'node:crypto';
import { pino } from 'pino';
import type { RawFrame } from '../models/types.ts';
import { AffinityFrameEngine } from '../src/live/AffinityFrameEngine.ts';
import type { FrameStep, SessionEngine } from '../src/sessions/SessionEngine.ts';
import type { SessionRecord } from '../src/sessions/SessionRecord.ts';
import { RedisNodeLink } from '../src/state/RedisNodeLink.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : d;
};
const url = opt('--redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const frames = Number(opt('--frames', '200'));
if (!Number.isInteger(frames) || frames < 10) throw new TypeError('--frames must be an integer >= 10');

/** Answers every frame at once: the timing is the routing alone. */
const instant: SessionEngine = {
  async processFrame(): Promise<FrameStep> {
    return { kind: 'pending', feedback: 'accepted', prompts: [], timings: { analyze: 0 } };
  },
};

function session(): SessionRecord {
  const now = Date.now();
  const id = `ses_bench_${crypto.randomBytes(6).toString('hex')}`;
  return {
    id, token: id, clientId: 'cl_bench', kind: 'authentication', externalUserId: null, status: 'capturing',
    createdAt: now, expiresAt: now + 60_000, framesProcessed: 0, samples: [], lastFeedback: null, decision: null, ipHash: null, version: 1,
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function time(engine: AffinityFrameEngine, s: SessionRecord, frame: RawFrame): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 20; i++) await engine.processFrame(s, frame);
  const ms: number[] = [];
  for (let i = 0; i < frames; i++) {
    const t0 = performance.now();
    await engine.processFrame(s, frame);
    ms.push(performance.now() - t0);
  }
  ms.sort((x, y) => x - y);
  return { median: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

const prefix = `bench_affinity_${process.pid}:`;
const log = pino({ level: 'silent' });
const la = await RedisNodeLink.open({ url, prefix });
const lb = await RedisNodeLink.open({ url, prefix });
try {
  const a = new AffinityFrameEngine({ local: instant, link: la, loadClientKey: async () => null, log });
  const b = new AffinityFrameEngine({ local: instant, link: lb, loadClientKey: async () => null, log });
  const results: Record<string, unknown>[] = [];
  for (const [w, h] of [[640, 480], [1280, 720]] as const) {
    const frame: RawFrame = { data: crypto.randomBytes(w * h * 3), width: w, height: h, stride: w * 3, format: 'rgb24' };
    const s = session();
    await a.processFrame(s, frame); // A owns it from here on.
    const local = await time(a, s, frame);
    const forwarded = await time(b, s, frame);
    results.push({ frame: `${w}x${h}`, bytes: frame.data.length, localMedianMs: local.median, localP95Ms: local.p95, forwardedMedianMs: forwarded.median, forwardedP95Ms: forwarded.p95 });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ redis: url.replace(/\/\/[^@]*@/, '//'), frames, results })}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(
        `${String(r.frame).padEnd(10)} ${String(r.bytes).padStart(8)} B  owner-local median ${(r.localMedianMs as number).toFixed(2)} ms (p95 ${(r.localP95Ms as number).toFixed(2)})` +
          `  forwarded median ${(r.forwardedMedianMs as number).toFixed(2)} ms (p95 ${(r.forwardedP95Ms as number).toFixed(2)})\n`,
      );
    }
  }
} finally {
  await la.close();
  await lb.close();
}
