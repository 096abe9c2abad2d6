// Colour-flash signal. The server draws a random colour sequence after media
// flows; the page paints it full-screen; light reflected by a real face near
// the screen shifts the skin's chromaticity in step with the sequence. A
// replay recorded earlier cannot follow a sequence nobody knew in advance.
// The analysis correlates observed skin chromaticity with the painted colours'
// chromaticity over a range of display lags (which must respect the RTT).
import { randomInt } from 'node:crypto';
import type { ColorStep } from '../types.ts';

export const FLASH_PALETTE: readonly (readonly [number, number, number])[] = Object.freeze([
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [255, 0, 255],
  [0, 255, 255],
]);

export interface FlashSequenceOptions {
  readonly steps: number;
  readonly stepMs: number;
  /** Uniform random integer in [0, max): crypto by default, seeded in tests. */
  readonly randomInt?: (max: number) => number;
}

/** A random sequence of palette colours, consecutive colours distinct. */
export function generateFlashSequence(options: FlashSequenceOptions): ColorStep[] {
  const rnd = options.randomInt ?? ((max: number) => randomInt(max));
  if (!(options.steps >= 2)) throw new TypeError('a flash sequence needs at least 2 steps');
  if (!(options.stepMs >= 50)) throw new TypeError('flash steps must last at least 50 ms');
  const out: ColorStep[] = [];
  let prev = -1;
  for (let i = 0; i < options.steps; i++) {
    let c = rnd(FLASH_PALETTE.length);
    if (c === prev) c = (c + 1 + rnd(FLASH_PALETTE.length - 1)) % FLASH_PALETTE.length;
    prev = c;
    out.push({ rgb: FLASH_PALETTE[c]!, startMs: i * options.stepMs, durationMs: options.stepMs });
  }
  return out;
}

export interface SkinSample {
  readonly t: number;
  readonly rgb: readonly [number, number, number];
}

export interface FlashOptions {
  /** Largest display + capture latency searched beyond rtt/2, ms. */
  readonly maxLagMs: number;
  readonly lagStepMs: number;
  readonly minCorrelation: number;
  /** Minimum RMS chromaticity response (0..1 units); below it the face did not react. */
  readonly minAmplitude: number;
}

export const DEFAULT_FLASH_OPTIONS: FlashOptions = Object.freeze({
  maxLagMs: 400,
  lagStepMs: 20,
  minCorrelation: 0.6,
  minAmplitude: 0.003,
});

export interface FlashScore {
  readonly passed: boolean;
  /** Best correlation, clipped to 0..1. */
  readonly score: number;
  readonly correlation: number;
  readonly amplitude: number;
  readonly lagMs: number;
  readonly samples: number;
}

function chroma(rgb: readonly [number, number, number]): [number, number, number] {
  const s = rgb[0] + rgb[1] + rgb[2];
  return s > 0 ? [rgb[0] / s, rgb[1] / s, rgb[2] / s] : [1 / 3, 1 / 3, 1 / 3];
}

/**
 * Scores skin samples against a sequence shown from `issuedAt`. Lags below
 * rtt/2 are not searched: the page cannot paint a colour before it arrives.
 */
export function scoreFlash(
  samples: readonly SkinSample[],
  sequence: readonly ColorStep[],
  issuedAt: number,
  rttMs: number,
  options: FlashOptions = DEFAULT_FLASH_OPTIONS,
): FlashScore {
  const minLag = Math.max(0, rttMs / 2);
  let best: FlashScore = { passed: false, score: 0, correlation: 0, amplitude: 0, lagMs: minLag, samples: 0 };
  for (let lag = minLag; lag <= minLag + options.maxLagMs; lag += options.lagStepMs) {
    const exp: [number, number, number][] = [];
    const obs: [number, number, number][] = [];
    const steps = new Set<number>();
    for (const s of samples) {
      const rel = s.t - issuedAt - lag;
      const k = sequence.findIndex((c) => rel >= c.startMs && rel < c.startMs + c.durationMs);
      if (k < 0) continue;
      steps.add(k);
      exp.push(chroma(sequence[k]!.rgb));
      obs.push(chroma(s.rgb));
    }
    if (steps.size < 2 || exp.length < 4) continue;
    const me = [0, 1, 2].map((c) => exp.reduce((a, v) => a + v[c]!, 0) / exp.length);
    const mo = [0, 1, 2].map((c) => obs.reduce((a, v) => a + v[c]!, 0) / obs.length);
    let see = 0;
    let soo = 0;
    let seo = 0;
    for (let i = 0; i < exp.length; i++) {
      for (let c = 0; c < 3; c++) {
        const e = exp[i]![c]! - me[c]!;
        const o = obs[i]![c]! - mo[c]!;
        see += e * e;
        soo += o * o;
        seo += e * o;
      }
    }
    const corr = see > 0 && soo > 0 ? seo / Math.sqrt(see * soo) : 0;
    const amplitude = Math.sqrt(soo / obs.length);
    if (corr > best.correlation) {
      best = {
        passed: corr >= options.minCorrelation && amplitude >= options.minAmplitude,
        score: Math.max(0, Math.min(1, corr)),
        correlation: corr,
        amplitude,
        lagMs: lag,
        samples: exp.length,
      };
    }
  }
  return best;
}
