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
      // Media time per arrival time is 1/slope.
      driftPpm: slope > 0 ? (1 / slope - 1) * 1e6 : 0,
      residualMs: Math.sqrt(rss / n),
    };
  }
}

