// Colour-flash score distribution on recorded clips, offline: each clip's
// face is lit by a simulated screen (test/support/screenLight.ts) and read back
// through the engine's skin-patch measurement, as on the live path, for many
// random sequences, latencies, RTTs and frame drops. Modes: reflect (in step,
// display + camera latency 40..250 ms), ignore (no response: a replay),
// other (any other random sequence of distinct colours: a guess), reversed (the right
// colours in the wrong order), late (in step, 700 ms behind), shifted (the
// asked colours one whole step late, the first step another colour, painted
// on time: the alignment a lag window wider than a step would accept).
// Prints, per mode and screen gain, the pass rate and correlation quantiles,
// and the margins to the thresholds; then, for the face that reflects, the
// pass rate by extra delay on top of the display and camera latency (how
// fast a relay that re-renders the face would have to be).
//
//   node --import tsx scripts/eval/flash.ts [--seeds N] [--step-ms MS] [--json] [DIR]
//
// DIR defaults to ../shared/video; its genuine/ and attack/ clips are used
// (attack clips, being replays, only as 'ignore').
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import type { Box, RawFrame } from '../../models/types.ts';
import { lightFace } from '../../test/support/screenLight.ts';
import { decodeClip } from './lib/decodeClip.ts';
import { measureArtefacts } from '../../src/engine/signals/artefacts.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../src/engine/options.ts';
import { DEFAULT_FLASH_OPTIONS, FLASH_PALETTE, generateFlashSequence, scoreFlash, type FlashScore } from '../../src/engine/signals/colorFlash.ts';
import type { ColorStep } from '../../src/engine/types.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { quantile } from '../lib/stats.ts';

type Mode = 'reflect' | 'ignore' | 'other' | 'reversed' | 'late' | 'shifted';
const MODES: readonly Mode[] = ['reflect', 'ignore', 'other', 'reversed', 'late', 'shifted'];
const DELAYS = [0, 100, 200, 300, 400, 500, 600, 700, 800] as const;
const GAINS = [0.2, 0.1, 0.05] as const;
const STEPS = DEFAULT_SESSION_OPTIONS.flashSteps;

const FPS = 10;
/** Frames the analyzer drops when busy, on average. */
const DROP = 0.3;

const { values, positionals, fail } = parseScriptArgs({
  name: 'eval:flash',
  usage: 'usage: node --import tsx scripts/eval/flash.ts [--seeds N>=1] [--step-ms MS>=50] [--json] [DIR]',
  options: {
    seeds: { type: 'number', default: 20, valid: (n) => Number.isFinite(n) && n >= 1, invalid: '--seeds needs a number >= 1' },
    json: { type: 'boolean' },
    // The live session's shortest step by default (it stretches only when the engine analyses fewer than 8 frames a second).
    'step-ms': { type: 'number', default: DEFAULT_SESSION_OPTIONS.flashStepMs, valid: (n) => Number.isFinite(n) && n >= 50, invalid: '--step-ms needs a number >= 50' },
  },
});
if (positionals.length > 1) fail('one DIR only');
const DIR = positionals[0] ?? new URL('../../../shared/video/', import.meta.url).pathname;
const SEEDS = values.seeds;
const STEP_MS = values['step-ms'];

/** Deterministic per-seed randomness (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ClipFrames {
  readonly name: string;
  readonly label: 'genuine' | 'attack';
  /** Per frame: t and the skin patch mean unlit (index 0) and lit by each palette colour, per gain. */
  readonly frames: { t: number; skin: Map<number, [number, number, number][]> }[];
}

async function prepare(analyzer: FaceAnalyzer, file: string, label: 'genuine' | 'attack'): Promise<ClipFrames> {
  const frames: ClipFrames['frames'] = [];
  for await (const { frame, t } of decodeClip(file, { fps: FPS, maxSeconds: 6 })) {
    const box: Box | undefined = (await analyzer.analyze(frame, { stages: [] })).faces[0]?.box;
    if (box === undefined) continue;
    const skin = new Map<number, [number, number, number][]>();
    for (const gain of GAINS) {
      const states: [number, number, number][] = [];
      for (const rgb of [null, ...FLASH_PALETTE]) {
        const lit: RawFrame = { data: lightFace(frame, box, rgb, gain), width: frame.width, height: frame.height, stride: frame.width * 3, format: 'rgb24' };
        states.push([...measureArtefacts(lit, box).sample.skinRgb] as [number, number, number]);
      }
      skin.set(gain, states);
    }
    frames.push({ t, skin });
  }
  return { name: path.basename(file), label, frames };
}

function randomInt(r: () => number): (max: number) => number {
  return (max) => Math.floor(r() * max);
}

function trial(clip: ClipFrames, mode: Mode, gain: number, seed: number, extraDelayMs = 0): FlashScore {
  let h = seed * 7919;
  for (const ch of clip.name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  const r = rng(h);
  const asked = generateFlashSequence({ steps: STEPS, stepMs: STEP_MS, randomInt: randomInt(r) });
  let shown: readonly ColorStep[] | null = asked;
  if (mode === 'ignore') shown = null;
  if (mode === 'reversed') shown = asked.map((c, i) => ({ ...c, rgb: asked[asked.length - 1 - i]!.rgb }));
  if (mode === 'shifted') {
    const unused = FLASH_PALETTE.find((p) => !asked.some((c) => c.rgb === p))!;
    shown = asked.map((c, i) => ({ ...c, rgb: i === 0 ? unused : asked[i - 1]!.rgb }));
  }
  if (mode === 'other') {
    for (;;) {
      const o = generateFlashSequence({ steps: STEPS, stepMs: STEP_MS, randomInt: randomInt(r) });
      if (o.some((c, i) => c.rgb !== asked[i]!.rgb)) {
        shown = o;
        break;
      }
    }
  }
  const rtt = 10 + r() * 140;
  // The RTT the server measured: the true one give or take 20 %.
  const measuredRtt = rtt * (0.8 + 0.4 * r());
  const latency = 40 + r() * 210 + (mode === 'late' ? 700 : 0) + extraDelayMs;
  const sentAt = 300 + r() * 400;
  const samples: { t: number; rgb: [number, number, number] }[] = [];
  for (const f of clip.frames) {
    if (r() < DROP) continue;
    const rel = f.t - sentAt - rtt / 2 - latency;
    const k = shown?.findIndex((c) => rel >= c.startMs && rel < c.startMs + c.durationMs) ?? -1;
    const painted = k >= 0 ? shown![k]!.rgb : null;
    const state = painted === null ? 0 : 1 + FLASH_PALETTE.findIndex((p) => p === painted);
    samples.push({ t: f.t, rgb: f.skin.get(gain)![state]! });
  }
  return scoreFlash(samples, asked, sentAt, measuredRtt);
}

/** The nearest-rank quantile (an observed correlation, never interpolated). */
const q = (xs: readonly number[], p: number): number => quantile(xs, p, 'round');

const analyzer = await FaceAnalyzer.create();
const clips: ClipFrames[] = [];
try {
  for (const label of ['genuine', 'attack'] as const) {
    const dir = path.join(DIR, label);
    for (const f of readdirSync(dir).filter((n) => /\.(mp4|mov|webm|mkv)$/i.test(n)).sort()) clips.push(await prepare(analyzer, path.join(dir, f), label));
  }
} finally {
  await analyzer.close();
}

interface Row {
  mode: Mode;
  gain: number;
  trials: number;
  passRate: number;
  correlation: { min: number; p05: number; p50: number; p95: number; max: number };
  stepsMatched: { p50: number; min: number; max: number };
  amplitude: { p05: number; p50: number; p95: number };
  /** Which gate failed, per failed trial (the first that did, in this order; window: the best alignment lay outside it). */
  failedOn: { window: number; coverage: number; correlation: number; amplitude: number; steps: number };
}
function failures(scores: readonly FlashScore[]): Row['failedOn'] {
  const o = DEFAULT_FLASH_OPTIONS;
  const out = { window: 0, coverage: 0, correlation: 0, amplitude: 0, steps: 0 };
  for (const s of scores) {
    if (s.passed) continue;
    if (!s.inWindow) out.window++;
    else if (s.stepsCovered < Math.max(2, Math.ceil(STEPS * o.minMatchedFraction))) out.coverage++;
    else if (s.correlation < o.minCorrelation) out.correlation++;
    else if (s.amplitude < o.minAmplitude) out.amplitude++;
    else out.steps++;
  }
  return out;
}

const rows: Row[] = [];
for (const gain of GAINS) {
  for (const mode of MODES) {
    const scores: FlashScore[] = [];
    for (const clip of clips) {
      if (clip.label === 'attack' && mode !== 'ignore') continue;
      for (let seed = 1; seed <= SEEDS; seed++) scores.push(trial(clip, mode, gain, seed));
    }
    const c = scores.map((s) => s.correlation);
    rows.push({
      mode,
      gain,
      trials: scores.length,
      passRate: scores.filter((s) => s.passed).length / scores.length,
      correlation: { min: q(c, 0), p05: q(c, 0.05), p50: q(c, 0.5), p95: q(c, 0.95), max: q(c, 1) },
      stepsMatched: { p50: q(scores.map((s) => s.stepsMatched), 0.5), min: q(scores.map((s) => s.stepsMatched), 0), max: q(scores.map((s) => s.stepsMatched), 1) },
      amplitude: { p05: q(scores.map((s) => s.amplitude), 0.05), p50: q(scores.map((s) => s.amplitude), 0.5), p95: q(scores.map((s) => s.amplitude), 0.95) },
      failedOn: failures(scores),
    });
  }
}

/** The reflecting face, delayed: pass rate by extra delay at the middle gain. */
const DELAY_GAIN = 0.1;
const byDelay = DELAYS.map((delayMs) => {
  let passed = 0;
  let trials = 0;
  for (const clip of clips) {
    if (clip.label !== 'genuine') continue;
    for (let seed = 1; seed <= SEEDS; seed++, trials++) if (trial(clip, 'reflect', DELAY_GAIN, seed, delayMs).passed) passed++;
  }
  return { delayMs, trials, passRate: passed / trials };
});

if (values.json) {
  process.stdout.write(`${JSON.stringify({ clips: clips.map((c) => ({ name: c.name, label: c.label, frames: c.frames.length })), seeds: SEEDS, stepMs: STEP_MS, minCorrelation: DEFAULT_FLASH_OPTIONS.minCorrelation, rows, delay: { gain: DELAY_GAIN, rows: byDelay } }, null, 2)}\n`);
} else {
  console.log(`clips: ${clips.map((c) => `${c.name} (${c.label}, ${c.frames.length} frames)`).join(', ')}`);
  console.log(`seeds per clip: ${SEEDS}; step ${STEP_MS} ms; minCorrelation ${DEFAULT_FLASH_OPTIONS.minCorrelation}; frames dropped ${DROP * 100}%`);
  console.log('gain  mode      trials  pass   corr min   p05    p50    p95    max   steps p50/min/max  amplitude p05/p50/p95   failed on window/cover/corr/ampl/steps');
  for (const r of rows) {
    const c = r.correlation;
    console.log(
      `${r.gain.toFixed(2)}  ${r.mode.padEnd(9)} ${String(r.trials).padStart(6)}  ${(r.passRate * 100).toFixed(1).padStart(5)}%  ${[c.min, c.p05, c.p50, c.p95, c.max].map((v) => v.toFixed(3).padStart(6)).join(' ')}   ${r.stepsMatched.p50}/${r.stepsMatched.min}/${r.stepsMatched.max}        ${[r.amplitude.p05, r.amplitude.p50, r.amplitude.p95].map((v) => v.toFixed(4)).join('/')}   ${Object.values(r.failedOn).join('/')}`,
    );
  }
  console.log(`\nreflect at gain ${DELAY_GAIN}, delayed on top of the 40..250 ms display + camera latency (a relay):`);
  console.log(`delay ms   ${byDelay.map((d) => String(d.delayMs).padStart(6)).join('')}`);
  console.log(`pass       ${byDelay.map((d) => `${(d.passRate * 100).toFixed(1)}%`.padStart(6)).join('')}`);
}
