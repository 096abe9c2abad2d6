// Colour-flash signal. The server draws a random colour sequence after media
// flows; the page paints it full-screen; light reflected by a real face near
// the screen shifts the skin's chromaticity in step with the sequence. A
// replay recorded earlier cannot follow a sequence nobody knew in advance.
// The analysis correlates observed skin chromaticity with the painted colours'
// chromaticity over a range of lags: the prompt reaches the page rtt/2 after
// it was sent, and display + camera latency add at most maxLagMs on top; a
// response outside that window (too early or too late) does not count.
// No colour repeats within a sequence, so a response shifted by whole steps
// (a late replay, a wrong order) never lines up with the asked one. The
// search runs half a step beyond the window on both sides, and a response whose
// best alignment lies outside the window fails: a response a little too late
// does not pass on the part of each step that still overlaps, and since a
// step lasts longer than the window is wide (minFlashStepMs), a guess that
// is right but a step off cannot line up inside it.
import { randomInt } from 'node:crypto';
import { DEFAULT_FLASH_BASE_COLORS, DEFAULT_FLASH_INTENSITY, DEFAULT_FLASH_NOTICE_MS, DEFAULT_FLASH_SATURATION } from '../../../common/defaults.ts';
import type { ColorStep } from '../types.ts';

export type PaletteColor = readonly [number, number, number];

/** Hues the flash draws from (one per palette colour, all distinct in chromaticity); no pure red. */
export const FLASH_BASE_COLORS: readonly PaletteColor[] = DEFAULT_FLASH_BASE_COLORS;

export interface FlashPaletteOptions {
  /** 0..1: each colour is mixed with its own grey (Rec. 601 luma) by 1 - saturation. */
  readonly saturation: number;
  /** 0..1: the colours are scaled by it (screen brightness of the flash). */
  readonly intensity: number;
}

/** The default look: lower saturation and brightness than the full primaries (photosensitivity and comfort). */
export const DEFAULT_FLASH_PALETTE_OPTIONS: FlashPaletteOptions = Object.freeze({ saturation: DEFAULT_FLASH_SATURATION, intensity: DEFAULT_FLASH_INTENSITY });

/** The painted palette: `base` desaturated toward grey and scaled by the intensity, rounded to sRGB 0..255. */
export function flashPalette(base: readonly PaletteColor[], o: FlashPaletteOptions = DEFAULT_FLASH_PALETTE_OPTIONS): PaletteColor[] {
  if (!(o.saturation > 0 && o.saturation <= 1)) throw new TypeError('flash saturation must be in (0, 1]');
  if (!(o.intensity > 0 && o.intensity <= 1)) throw new TypeError('flash intensity must be in (0, 1]');
  return base.map((c) => {
    const grey = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    const mix = (v: number): number => Math.max(0, Math.min(255, Math.round(o.intensity * (grey + o.saturation * (v - grey)))));
    return Object.freeze([mix(c[0]), mix(c[1]), mix(c[2])] as const);
  });
}

/** The default palette (FLASH_BASE_COLORS at the default saturation and intensity). */
export const FLASH_PALETTE: readonly PaletteColor[] = Object.freeze(flashPalette(FLASH_BASE_COLORS));

export interface FlashSequenceOptions {
  readonly steps: number;
  readonly stepMs: number;
  /** Uniform random integer in [0, max): crypto by default, seeded in tests. */
  readonly randomInt?: (max: number) => number;
  /** The colours drawn from (default FLASH_PALETTE); all distinct. */
  readonly palette?: readonly PaletteColor[];
  /** Ms before the first colour (a notice on the page comes first). */
  readonly leadMs?: number;
}

/** A random sequence of distinct palette colours (a CSPRNG permutation prefix). */
export function generateFlashSequence(options: FlashSequenceOptions): ColorStep[] {
  const rnd = options.randomInt ?? ((max: number) => randomInt(max));
  const palette = options.palette ?? FLASH_PALETTE;
  const lead = options.leadMs ?? 0;
  if (!(Number.isInteger(options.steps) && options.steps >= 2 && options.steps <= palette.length)) {
    throw new TypeError(`a flash sequence needs 2..${palette.length} steps`);
  }
  if (!(options.stepMs >= 50)) throw new TypeError('flash steps must last at least 50 ms');
  if (!(lead >= 0)) throw new TypeError('flash lead must be >= 0 ms');
  const order = palette.map((_, i) => i);
  for (let i = 0; i < options.steps; i++) {
    const j = i + rnd(order.length - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, options.steps).map((c, i) => ({ rgb: palette[c]!, startMs: lead + i * options.stepMs, durationMs: options.stepMs }));
}

export interface SkinSample {
  readonly t: number;
  readonly rgb: readonly [number, number, number];
}

export interface FlashOptions {
  /** Largest display + camera latency searched beyond rtt/2, ms (a later response fails). */
  readonly maxLagMs: number;
  /**
   * Largest RTT the window honours, ms. The RTT is measured with pongs the
   * client controls: one that holds every pong back from the start would
   * otherwise widen the window enough to relay the colours through a
   * rendering step. A genuine link slower than this fails the flash (fail closed).
   */
  readonly maxRttMs: number;
  /** Earliest response searched relative to rtt/2, ms: negative for the capture-time mapping's error. */
  readonly minLagMs: number;
  readonly lagStepMs: number;
  readonly minCorrelation: number;
  /** Minimum RMS chromaticity response (0..1 units); below it the face did not react. */
  readonly minAmplitude: number;
  /**
   * Fraction of the steps whose mean response must point to the painted colour
   * rather than to any other palette colour (each step decoded on its own), with
   * at most one covered step decoding otherwise: a real pipeline (canvas or
   * camera, VP8, dropped frames) smears the odd step, a guess gets two or more
   * wrong in all but 6 of the 720 five-step sequences.
   */
  readonly minMatchedFraction: number;
  /** The colours sequences are drawn from, and each step is decoded against (flashPalette()). */
  readonly palette: readonly PaletteColor[];
  /** Ms between the prompt (the page's notice that the screen will change colour) and the first colour. */
  readonly noticeMs: number;
}

export const DEFAULT_FLASH_OPTIONS: FlashOptions = Object.freeze({
  maxLagMs: 400,
  maxRttMs: 600,
  minLagMs: -40,
  lagStepMs: 20,
  minCorrelation: 0.6,
  minAmplitude: 0.003,
  minMatchedFraction: 0.75,
  palette: FLASH_PALETTE,
  noticeMs: DEFAULT_FLASH_NOTICE_MS,
});

export interface FlashScore {
  readonly passed: boolean;
  /** Best correlation, clipped to 0..1. */
  readonly score: number;
  readonly correlation: number;
  readonly amplitude: number;
  /** Lag of the best alignment after the send, ms (rtt/2 + display and camera latency). */
  readonly lagMs: number;
  /** Whether that lag lies in the window (a best alignment outside it fails). */
  readonly inWindow: boolean;
  /** Steps whose mean response decodes to the painted colour at that lag. */
  readonly stepsMatched: number;
  /** Steps with at least one frame at that lag. */
  readonly stepsCovered: number;
  readonly samples: number;
}

function chroma(rgb: readonly [number, number, number]): [number, number, number] {
  const s = rgb[0] + rgb[1] + rgb[2];
  return s > 0 ? [rgb[0] / s, rgb[1] / s, rgb[2] / s] : [1 / 3, 1 / 3, 1 / 3];
}

/**
 * Shortest step the scorer can tell apart from its neighbours: longer than the
 * lag window is wide (maxLagMs - minLagMs) by a lag step. With shorter steps a
 * response one step late (or a guess painted one step off) lines up inside
 * the window and matches all but one step.
 */
export function minFlashStepMs(options: FlashOptions = DEFAULT_FLASH_OPTIONS): number {
  return options.maxLagMs - Math.min(0, options.minLagMs) + options.lagStepMs;
}

/**
 * How far beyond the lag window scoreFlash searches, ms: half the longest
 * step. Further out a response overlaps each step by less than half and
 * fails on its own; nearer in, a late response (or a guess one step off)
 * aligns best outside the window and fails for that.
 */
export function flashSearchReachMs(sequence: readonly ColorStep[]): number {
  return Math.ceil(Math.max(0, ...sequence.map((c) => c.durationMs)) / 2);
}

/**
 * Time after the page receives a sequence by which every alignment scoreFlash
 * searches has all its frames, ms: the last step's end, the lag window and the
 * reach beyond it. The session scores the flash then, and its deadline comes later.
 */
export function flashSettleMs(sequence: readonly ColorStep[], options: FlashOptions = DEFAULT_FLASH_OPTIONS): number {
  const end = Math.max(0, ...sequence.map((c) => c.startMs + c.durationMs));
  return end + options.maxLagMs + flashSearchReachMs(sequence);
}

/** The RTT the flash window uses: the measured one, capped at maxRttMs. */
export function flashRtt(rttMs: number, options: FlashOptions = DEFAULT_FLASH_OPTIONS): number {
  return Math.min(Math.max(0, rttMs), options.maxRttMs);
}

type Rgb = [number, number, number];

/** The samples that fall into a step of `sequence` at one lag: painted and observed chromaticity, and the step. */
interface Alignment {
  readonly exp: Rgb[];
  readonly obs: Rgb[];
  readonly stepOf: number[];
}

function align(samples: readonly SkinSample[], sequence: readonly ColorStep[], sentAt: number, lag: number): Alignment {
  const a: Alignment = { exp: [], obs: [], stepOf: [] };
  for (const s of samples) {
    const rel = s.t - sentAt - lag;
    const k = sequence.findIndex((c) => rel >= c.startMs && rel < c.startMs + c.durationMs);
    if (k < 0) continue;
    a.stepOf.push(k);
    a.exp.push(chroma(sequence[k]!.rgb));
    a.obs.push(chroma(s.rgb));
  }
  return a;
}

/** Pearson correlation of painted and observed chromaticity over all channels, and the observed RMS response. */
function correlate({ exp, obs }: Alignment): { corr: number; amplitude: number; me: number[]; mo: number[] } {
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
  return { corr, amplitude: Math.sqrt(soo / obs.length), me, mo };
}

/**
 * Decodes each covered step alone: its mean deviation from the flash-wide mean
 * must be closest in direction to the painted colour's deviation. Returns the steps that match.
 */
function matchedSteps(
  a: Alignment,
  covered: ReadonlySet<number>,
  sequence: readonly ColorStep[],
  me: readonly number[],
  mo: readonly number[],
  colors: readonly PaletteColor[],
): number {
  const palette = colors.map(chroma);
  let matched = 0;
  for (const k of covered) {
    const d = [0, 0, 0];
    let n = 0;
    for (let i = 0; i < a.obs.length; i++) {
      if (a.stepOf[i] !== k) continue;
      for (let c = 0; c < 3; c++) d[c]! += a.obs[i]![c]! - mo[c]!;
      n++;
    }
    let bestC = -1;
    let bestCos = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < palette.length; p++) {
      const v = palette[p]!.map((x, c) => x - me[c]!);
      const dot = v[0]! * d[0]! + v[1]! * d[1]! + v[2]! * d[2]!;
      const cos = dot / (Math.hypot(v[0]!, v[1]!, v[2]!) * Math.hypot(d[0]!, d[1]!, d[2]!) || 1);
      if (cos > bestCos) [bestCos, bestC] = [cos, p];
    }
    const painted = sequence[k]!.rgb;
    const decoded = colors[bestC];
    if (n > 0 && decoded !== undefined && decoded.every((v, c) => v === painted[c])) matched++;
  }
  return matched;
}

/**
 * Scores skin samples against a sequence whose prompt was sent at `sentAt`
 * (engine clock; the samples are on it too). The window runs from
 * rtt/2 + minLagMs (the page cannot paint a colour before it arrives) to
 * rtt/2 + maxLagMs; lags half a step either side of it are searched too, and
 * a best alignment there fails (inWindow false).
 */
export function scoreFlash(
  samples: readonly SkinSample[],
  sequence: readonly ColorStep[],
  sentAt: number,
  rttMs: number,
  options: FlashOptions = DEFAULT_FLASH_OPTIONS,
): FlashScore {
  const rtt = flashRtt(rttMs, options);
  const minLag = Math.max(0, rtt / 2 + options.minLagMs);
  const maxLag = Math.max(0, rtt / 2) + options.maxLagMs;
  const needSteps = Math.max(2, Math.ceil(sequence.length * options.minMatchedFraction));
  // The best alignment found is reported even when it fails (negative correlation included).
  let best: FlashScore = { passed: false, score: 0, correlation: Number.NEGATIVE_INFINITY, amplitude: 0, lagMs: minLag, inWindow: true, stepsMatched: 0, stepsCovered: 0, samples: 0 };
  // Half a step beyond the window on each side: the best alignment must fall inside it.
  const reach = flashSearchReachMs(sequence);
  const before = Math.floor(Math.min(minLag, reach) / options.lagStepMs);
  for (let i = -before; minLag + i * options.lagStepMs <= maxLag + reach; i++) {
    const lag = minLag + i * options.lagStepMs;
    const inWindow = i >= 0 && lag <= maxLag;
    const a = align(samples, sequence, sentAt, lag);
    const covered = new Set(a.stepOf);
    if (covered.size < needSteps || a.exp.length < 4) continue;
    const { corr, amplitude, me, mo } = correlate(a);
    if (!(corr > best.correlation)) continue;
    const matched = matchedSteps(a, covered, sequence, me, mo, options.palette);
    best = {
      passed: inWindow && corr >= options.minCorrelation && amplitude >= options.minAmplitude && matched >= needSteps && matched >= covered.size - 1,
      score: Math.max(0, Math.min(1, corr)),
      correlation: corr,
      amplitude,
      lagMs: lag,
      inWindow,
      stepsMatched: matched,
      stepsCovered: covered.size,
      samples: a.exp.length,
    };
  }
  return Number.isFinite(best.correlation) ? best : { ...best, correlation: 0 };
}
