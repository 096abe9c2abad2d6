// rtp_timing and frame_timing: the server's own clocks. rtp_timing reads the
// RTP frames (the sender's media clock against packet arrival): a sender that
// stamps frames from a counter (a synthetic or scripted publisher) has one
// media interval and a coefficient of variation near 0, which a camera's
// capture clock never has; a media clock that runs at another rate than
// ours (a file re-timed on the way, a stream paced by something other than
// a capture clock) drifts. frame_timing reads the decoded frames (capture
// time against decode time): the same drift, and delivery in bursts (a
// relay that buffers and re-sends) as a large latency jitter around the fit.
// Harder to fake than the page's word, but a careful injector can add jitter.
import type { FrameTimingFacts } from '../../../common/injection.ts';
import type { InjectionOptions, InjectionScore, InjectionScorer } from './types.ts';
import { notScored } from './types.ts';

/** At most this many distinct intervals (0.1 ms) and this CV make a clock synthetic. */
const PERIODIC_DISTINCT = 2;
const PERIODIC_CV = 0.001;

function timingValues(f: FrameTimingFacts): InjectionScore['values'] {
  const r = (x: number, d = 1000) => Math.round(x * d) / d;
  return {
    frames: f.frames,
    meanIntervalMs: r(f.meanIntervalMs),
    arrivalJitterMs: r(f.arrivalJitterMs),
    mediaIntervalCv: r(f.mediaIntervalCv, 1e5),
    distinctMediaIntervals: f.distinctMediaIntervals,
    driftPpm: Math.round(f.driftPpm),
    residualMs: r(f.residualMs),
  };
}

function drifting(f: FrameTimingFacts, o: InjectionOptions, maxPpm: number): boolean {
  return f.spanMs >= o.minDriftSpanMs && Math.abs(f.driftPpm) > maxPpm;
}

/** Scores `f` by the first rule that holds (each gives its score and name), once it has enough frames. */
function scoreTiming(f: FrameTimingFacts | null, o: InjectionOptions, rules: readonly (readonly [(f: FrameTimingFacts) => boolean, number, string])[]): InjectionScore {
  if (f === null || f.frames < o.minTimingFrames) return notScored(f === null ? {} : { frames: f.frames });
  const values = timingValues(f);
  const hit = rules.find(([rule]) => rule(f));
  return hit === undefined ? { evaluated: true, score: 0, why: null, values } : { evaluated: true, score: hit[1], why: hit[2], values };
}

export const rtpTimingSignal: InjectionScorer = {
  name: 'rtp_timing',
  score: (facts, o) =>
    scoreTiming(facts.rtp, o, [
      [(f) => f.distinctMediaIntervals <= PERIODIC_DISTINCT && f.mediaIntervalCv < PERIODIC_CV, 1, 'periodic_clock'],
      [(f) => drifting(f, o, o.maxDriftPpm), 1, 'clock_drift'],
    ]),
};

export const frameTimingSignal: InjectionScorer = {
  name: 'frame_timing',
  score: (facts, o) =>
    scoreTiming(facts.decoded, o, [
      [(f) => drifting(f, o, o.maxDecodedDriftPpm), 1, 'clock_drift'],
      [(f) => f.residualMs > o.maxResidualMs, 0.7, 'bursty_delivery'],
    ]),
};
