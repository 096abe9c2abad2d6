// Per-frame cost of REST session affinity across nodes (AffinityFrameEngine
// over RedisNodeLink): two links on one Redis, each node's engine replaced by
// one that takes the frame's pixels (decoding an upload, as every real engine
// does first) and answers at once, so routing and decoding are timed. The frame is a JPEG
// of a real face photo (../shared/faces) at 640x480 and 1280x720. Prints the
// median and p95 per upload for a session owned by the receiving node (one
// claim round trip) and for one owned by the other node (claim + the frame
// through Redis to the owner + the reply), forwarded both ways side by side:
// as raw pixels (a frame with no encoded source) and as the encoded upload
// (decoded once, by the owner, included in the time; the receiving node
// never decodes it), with the bytes per frame each puts through Redis; and
// the decode of that JPEG alone, which the receiving node also paid for each
// forwarded upload before it stopped decoding them. Raw and encoded uploads
// alternate so that both see the same machine load.
//   node --import tsx scripts/bench/affinity.ts [--json] [--redis redis://127.0.0.1:6379/0] [--frames 200]
import { performance } from 'node:perf_hooks';
import crypto from 'node:crypto';
import path from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import type { RawFrame } from '../../models/types.ts';
import { AffinityFrameEngine } from '../../src/cluster/AffinityFrameEngine.ts';
import { decodeEncoded, decodeUpload, type EncodedImage } from '../../src/sessions/frameDecoder.ts';
import { encodedFrameInput, rawFrameInput, type FrameInput, type FrameStep, type SessionEngine } from '../../src/sessions/SessionEngine.ts';
import type { SessionRecord } from '../../common/session.ts';
import { RedisNodeLink } from '../../src/cluster/RedisNodeLink.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { quantile } from '../lib/stats.ts';

const { values } = parseScriptArgs({
  name: 'bench:affinity',
  usage: 'usage: node --import tsx scripts/bench/affinity.ts [--json] [--redis redis://127.0.0.1:6379/0] [--frames 200]',
  options: {
    json: { type: 'boolean' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0' },
    frames: { type: 'number', default: 200, valid: (n) => Number.isInteger(n) && n >= 10, invalid: '--frames must be an integer >= 10' },
  },
  allowPositionals: false,
});
const { json, redis: url, frames } = values;
const PHOTO = path.join(import.meta.dirname, '..', '..', '..', 'shared', 'faces', 'Matt_Damon', 'img29.jpg');
// A browser's canvas.toDataURL('image/jpeg') default is 0.92.
const JPEG_QUALITY = 92;
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** Takes the pixels (an upload is decoded here, once) and answers at once: the timing is routing plus that decode. */
const instant: SessionEngine = {
  async processFrame(_session: SessionRecord, input: FrameInput): Promise<FrameStep> {
    await input.pixels();
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

interface Stat {
  readonly median: number;
  readonly p95: number;
}

function stat(ms: number[]): Stat {
  return { median: quantile(ms, 0.5, 'floor'), p95: quantile(ms, 0.95, 'floor') };
}

/** Times each call in turn, round after round (after 20 warm-up rounds): the calls share the same load. */
async function timeInterleaved(calls: readonly (() => Promise<unknown>)[]): Promise<Stat[]> {
  for (let i = 0; i < 20; i++) for (const c of calls) await c();
  const ms = calls.map((): number[] => []);
  for (let i = 0; i < frames; i++) {
    for (const [k, c] of calls.entries()) {
      const t0 = performance.now();
      await c();
      ms[k]!.push(performance.now() - t0);
    }
  }
  return ms.map(stat);
}

const prefix = `bench_affinity_${process.pid}:`;
const log = pino({ level: 'silent' });
const la = await RedisNodeLink.open({ url, prefix });
const lb = await RedisNodeLink.open({ url, prefix });
try {
  const a = new AffinityFrameEngine({ local: instant, link: la, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
  const b = new AffinityFrameEngine({ local: instant, link: lb, loadClientKey: async () => null, maxImageBytes: MAX_IMAGE_BYTES, log });
  const results: Record<string, unknown>[] = [];
  for (const [w, h] of [[640, 480], [1280, 720]] as const) {
    const jpeg = await sharp(PHOTO).resize(w, h, { fit: 'cover' }).jpeg({ quality: JPEG_QUALITY }).toBuffer();
    const source: EncodedImage = { mime: 'image/jpeg', bytes: jpeg };
    // The pixels a local upload of this JPEG gives (what the raw path sends).
    const frame: RawFrame = await decodeUpload(jpeg, 'image/jpeg');
    const s = session();
    // An upload as the API hands it over: decoded on first use, where it is analysed.
    const upload = (): FrameInput => encodedFrameInput(source, (src) => decodeEncoded(src, { maxBytes: MAX_IMAGE_BYTES }));
    await a.processFrame(s, upload()); // A owns it from here on.
    const [local, raw, encoded, decode] = await timeInterleaved([
      () => a.processFrame(s, upload()),
      () => b.processFrame(s, rawFrameInput(frame)),
      () => b.processFrame(s, upload()),
      () => decodeUpload(jpeg, 'image/jpeg'),
    ]);
    results.push({
      frame: `${w}x${h}`,
      bytes: frame.data.length,
      encodedBytes: jpeg.length,
      localMedianMs: local!.median,
      localP95Ms: local!.p95,
      forwardedMedianMs: raw!.median,
      forwardedP95Ms: raw!.p95,
      encodedMedianMs: encoded!.median,
      encodedP95Ms: encoded!.p95,
      decodeMedianMs: decode!.median,
      decodeP95Ms: decode!.p95,
    });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ redis: url.replace(/\/\/[^@]*@/, '//'), frames, photo: path.relative(path.join(import.meta.dirname, '..', '..'), PHOTO), jpegQuality: JPEG_QUALITY, results })}\n`);
  } else {
    const ms = (r: Record<string, unknown>, k: string): string => `median ${(r[`${k}MedianMs`] as number).toFixed(2)} ms (p95 ${(r[`${k}P95Ms`] as number).toFixed(2)})`;
    process.stdout.write(`JPEG q${JPEG_QUALITY} of ${path.basename(path.dirname(PHOTO))}/${path.basename(PHOTO)}, ${frames} uploads per column, Redis ${url.replace(/\/\/[^@]*@/, '//')}\n`);
    for (const r of results) {
      process.stdout.write(
        `${String(r.frame).padEnd(9)} owner-local (decode included) ${ms(r, 'local')}  decode alone ${ms(r, 'decode')}\n` +
          `${''.padEnd(9)} forwarded raw     ${String(r.bytes).padStart(8)} B/frame  ${ms(r, 'forwarded')}\n` +
          `${''.padEnd(9)} forwarded encoded ${String(r.encodedBytes).padStart(8)} B/frame  ${ms(r, 'encoded')}  (owner decode included; ${((r.bytes as number) / (r.encodedBytes as number)).toFixed(1)}x fewer bytes)\n`,
      );
    }
  }
} finally {
  await la.close();
  await lb.close();
}
