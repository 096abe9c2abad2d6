// eval:pose — fits and measures head pose from the 68 landmarks
// (models/landmarkPose.ts) against the pose model on ../shared: every face
// image (DIR/faces/<identity>/*) and clip frames (DIR/video/**/*.mp4, --fps),
// biggest face, landmarks + pose model. Identities and clips are split in
// three by name; one third is held out. Prints yaw / pitch / frontalness error
// p50 / p95 on the held-out third (and on frames within 25 degrees of frontal,
// where the engine's gate decides), beside the nose-offset heuristic the
// engine used without the pose model; --write refits on everything and writes
// models/landmarkPoseWeights.ts.
//
//   npm run eval:pose -- [DIR] [--json] [--fps F] [--lambda L] [--write]
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../models/decodeImage.ts';
import { FaceAnalyzer, frontalnessFromPose } from '../../models/FaceAnalyzer.ts';
import { frontalnessFromLandmarks } from '../../models/faceGeometry.ts';
import { LANDMARK_POSE_FEATURES, landmarkPoseFeatures } from '../../models/landmarkPose.ts';
import type { RawFrame } from '../../models/types.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { percentile } from '../lib/stats.ts';
import { decodeClip } from './lib/decodeClip.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = parseScriptArgs({
  name: 'eval:pose',
  usage: 'usage: npm run eval:pose -- [DIR] [--json] [--fps F] [--lambda L] [--write]',

  options: {
    json: { type: 'boolean' },
    write: { type: 'boolean' },
    fps: { type: 'number', default: 4, valid: (n) => n > 0 && n <= 10, invalid: '--fps must be in (0, 10]' },
    lambda: { type: 'number', default: 0.01, valid: (n) => n >= 0, invalid: '--lambda must be >= 0' },
  },
});

interface Sample {
  readonly group: string;
  readonly x: Float64Array;
  readonly yaw: number;
  readonly pitch: number;
  readonly frontalHeuristic: number;
}

async function collect(analyzer: FaceAnalyzer, dir: string, fps: number): Promise<Sample[]> {
  const out: Sample[] = [];
  const add = async (group: string, frame: RawFrame): Promise<void> => {
    const f = (await analyzer.analyze(frame, { stages: ['landmarks', 'pose'], maxFaces: 1 })).faces[0];
    if (!f?.landmarks || !f.pose) return;
    const flat = f.landmarks.flatMap((p) => [p.x, p.y]);
    out.push({ group, x: landmarkPoseFeatures(f.landmarks), yaw: f.pose.yaw, pitch: f.pose.pitch, frontalHeuristic: frontalnessFromLandmarks(flat) });
  };
  const faces = path.join(dir, 'faces');
  for (const id of readdirSync(faces).sort()) {
    const d = path.join(faces, id);
    if (!statSync(d).isDirectory()) continue;
    for (const file of readdirSync(d).filter((n) => /\.(jpe?g|png|webp)$/i.test(n)).sort()) {
      await add(`face:${id}`, await decodeImage(readFileSync(path.join(d, file))));
    }
  }
  const clips: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.mp4')) clips.push(p);
    }
  };
  walk(path.join(dir, 'video'));
  for (const clip of clips) for await (const { frame } of decodeClip(clip, { fps })) await add(`clip:${path.basename(clip)}`, frame);
  return out;
}

/** Ridge regression: (X'X + lambda I) w = X'y by Gaussian elimination (137 unknowns); the intercept is not penalised. */
function fit(samples: readonly Sample[], target: (s: Sample) => number, lambda: number): Float64Array {
  const n = LANDMARK_POSE_FEATURES;
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  for (const s of samples) {
    const y = target(s);
    for (let i = 0; i < n; i++) {
      const xi = s.x[i]!;
      const row = a[i]!;
      for (let j = 0; j < n; j++) row[j]! += xi * s.x[j]!;
      row[n]! += xi * y;
    }
  }
  for (let i = 0; i < n - 1; i++) a[i]![i]! += lambda * samples.length + 1e-9;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const p = a[c]![c]!;
    if (Math.abs(p) < 1e-12) throw new Error('singular system: more samples or a larger --lambda');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = a[r]![c]! / p;
      if (k === 0) continue;
      for (let j = c; j <= n; j++) a[r]![j]! -= k * a[c]![j]!;
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i]![n]! / a[i]![i]!);
}

const dot = (w: Float64Array, x: Float64Array): number => w.reduce((s, v, i) => s + v * x[i]!, 0);
const q = (v: number[]): { p50: number; p95: number; n: number } => ({ p50: round(percentile(v, 50)), p95: round(percentile(v, 95)), n: v.length });
const round = (v: number): number => Math.round(v * 1000) / 1000;

function errors(test: readonly Sample[], wy: Float64Array, wp: Float64Array) {
  const rows = test.map((s) => {
    const yaw = dot(wy, s.x);
    const pitch = dot(wp, s.x);
    const truth = frontalnessFromPose(s);
    return {
      near: Math.hypot(s.yaw, s.pitch + 8) <= 25,
      yaw: Math.abs(yaw - s.yaw),
      pitch: Math.abs(pitch - s.pitch),
      frontal: Math.abs(frontalnessFromPose({ yaw, pitch }) - truth),
      heuristic: Math.abs(s.frontalHeuristic - truth),
    };
  });
  const summary = (r: typeof rows) => ({
    yaw_err_deg: q(r.map((e) => e.yaw)),
    pitch_err_deg: q(r.map((e) => e.pitch)),
    frontalness_err: q(r.map((e) => e.frontal)),
    heuristic_frontalness_err: q(r.map((e) => e.heuristic)),
  });
  return { all: summary(rows), near_frontal: summary(rows.filter((e) => e.near)) };
}

async function main(): Promise<void> {
  const dir = path.resolve(args.positionals[0] ?? path.join(ROOT, '..', 'shared'));
  const analyzer = await FaceAnalyzer.create({ parallel: false });
  let samples: Sample[];
  try {
    samples = await collect(analyzer, dir, args.values.fps);
  } finally {
    await analyzer.close();
  }
  const groups = [...new Set(samples.map((s) => s.group))].sort();
  const held = new Set(groups.filter((_, i) => i % 3 === 2));
  const train = samples.filter((s) => !held.has(s.group));
  const test = samples.filter((s) => held.has(s.group));
  const lambda = args.values.lambda;
  const report = {
    samples: samples.length,
    groups: groups.length,
    train: train.length,
    held_out: test.length,
    lambda,
    pose_model_yaw_range: [round(Math.min(...samples.map((s) => s.yaw))), round(Math.max(...samples.map((s) => s.yaw)))],
    held_out_errors: errors(test, fit(train, (s) => s.yaw, lambda), fit(train, (s) => s.pitch, lambda)),
    // The ridge strength's effect (held-out yaw / pitch p95 near frontal), to choose --lambda.
    lambda_scan: [0, 1e-4, 1e-3, 1e-2, 1e-1].map((l) => {
      const e = errors(test, fit(train, (s) => s.yaw, l), fit(train, (s) => s.pitch, l)).near_frontal;
      return { lambda: l, yaw_p95: e.yaw_err_deg.p95, pitch_p95: e.pitch_err_deg.p95, frontalness_p95: e.frontalness_err.p95 };
    }),
  };
  if (args.values.write) {
    const wy = fit(samples, (s) => s.yaw, lambda);
    const wp = fit(samples, (s) => s.pitch, lambda);
    const fmt = (w: Float64Array): string => `Object.freeze([\n    ${Array.from(w, (v) => v.toPrecision(9)).join(', ')},\n  ])`;
    const file = path.join(ROOT, 'models', 'landmarkPoseWeights.ts');
    writeFileSync(
      file,
      `// Generated by scripts/eval/poseFit.ts --write (${samples.length} faces from ${groups.length} identities and clips, lambda ${lambda}): do not edit.\n` +
        `export const LANDMARK_POSE_WEIGHTS: { readonly yaw: readonly number[]; readonly pitch: readonly number[] } = Object.freeze({\n  yaw: ${fmt(wy)},\n  pitch: ${fmt(wp)},\n});\n`,
    );
  }
  process.stdout.write(args.values.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
}

await main();
