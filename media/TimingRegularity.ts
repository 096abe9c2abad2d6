// How regular a stream of frames is, and how its media clock runs against
// our arrival clock: one processor fed (mediaTimeMs, arrivalMs) per frame,
// used twice per session (InjectionProbe): on RTP frames (RTP timestamp
// clock vs packet arrival) and on decoded frames (capture time vs decode
// time). A synthetic sender that stamps frames from a counter has exactly
// one media interval; a camera's capture clock jitters by fractions of a
// millisecond. A stream re-timed from a file at another rate, or whose
// clock is not the sender's wall clock, drifts against ours.
import type { FrameTimingFacts } from '../common/injection.ts';
import { mean, stdDev as std } from '../common/vector.ts';

/** Frames kept (the last ones): about 20 s at 15 fps. */
const MAX_SAMPLES = 300;
/** Windows of the lower envelope the drift is fitted to. */
const ENVELOPE_WINDOWS = 5;

/**
 * Drift of the media clock against the arrival clock, ppm, from the lower
 * envelope of transit (arrival - media time): queueing, a loaded event loop
 * and decode lag only ever add delay, so the fastest frame of each window
 * shows the clocks' own offset, and the slope of those minima is the drift.
 * Null with too few frames for the windows.
 */
function envelopeDriftPpm(m: readonly number[], a: readonly number[]): number | null {
  const n = m.length;
  if (n < ENVELOPE_WINDOWS * 3) return null;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let w = 0; w < ENVELOPE_WINDOWS; w++) {
    const from = Math.floor((w * n) / ENVELOPE_WINDOWS);
    const to = Math.floor(((w + 1) * n) / ENVELOPE_WINDOWS);
    let best = from;
    for (let i = from; i < to; i++) if (a[i]! - m[i]! < a[best]! - m[best]!) best = i;
    xs.push(m[best]!);
    ys.push(a[best]! - m[best]!);
  }
  const xm = mean(xs);
  const ym = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - xm) * (ys[i]! - ym);
    sxx += (xs[i]! - xm) ** 2;
  }
  if (sxx <= 0) return null;
  // Transit grows by k ms per media ms: arrival runs at 1 + k per media ms, the media clock at 1 / (1 + k).
  const k = sxy / sxx;
  return (1 / (1 + k) - 1) * 1e6;
}

export class TimingRegularity {
  readonly #media: number[] = [];
  readonly #arrival: number[] = [];

  /** One frame: its media-clock time and its arrival time, both ms. Non-finite or backwards media times are ignored. */
  processInput(mediaTimeMs: number, arrivalMs: number): void {
    if (!Number.isFinite(mediaTimeMs) || !Number.isFinite(arrivalMs)) return;
    const last = this.#media.at(-1);
    if (last !== undefined && mediaTimeMs <= last) return;
    this.#media.push(mediaTimeMs);
    this.#arrival.push(arrivalMs);
    if (this.#media.length > MAX_SAMPLES) {
      this.#media.shift();
      this.#arrival.shift();
    }
  }

  get frames(): number {
    return this.#media.length;
  }

  /** The statistics, or null before three frames. */
  toJSON(): FrameTimingFacts | null {
    const m = this.#media;
    const a = this.#arrival;
    const n = m.length;
    if (n < 3) return null;
    const mediaIntervals: number[] = [];
    const arrivalIntervals: number[] = [];
    for (let i = 1; i < n; i++) {
      mediaIntervals.push(m[i]! - m[i - 1]!);
      arrivalIntervals.push(a[i]! - a[i - 1]!);
    }
    const mediaMean = mean(mediaIntervals);
    // Least squares of arrival on media time: slope 1 when both clocks run at one rate.
    const mm = mean(m);
    const am = mean(a);
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (m[i]! - mm) * (a[i]! - am);
      sxx += (m[i]! - mm) ** 2;
    }
    const slope = sxx > 0 ? sxy / sxx : 1;
    let rss = 0;
    for (let i = 0; i < n; i++) rss += (a[i]! - (am + slope * (m[i]! - mm))) ** 2;
    return {
      frames: n,
      spanMs: a[n - 1]! - a[0]!,
      meanIntervalMs: mean(arrivalIntervals),
      arrivalJitterMs: std(arrivalIntervals),
      mediaIntervalCv: mediaMean > 0 ? std(mediaIntervals) / mediaMean : 0,
      distinctMediaIntervals: new Set(mediaIntervals.map((d) => Math.round(d * 10))).size,
      driftPpm: envelopeDriftPpm(m, a) ?? (slope > 0 ? (1 / slope - 1) * 1e6 : 0),
      residualMs: Math.sqrt(rss / n),
    };
  }
}

