// Types of the injection signals: each one scores the transport facts a
// live session gathered (common/injection.ts) as evidence of an injected
// stream (a virtual camera, a re-streamed recording, a synthetic sender, a
// second peer), 0..1 where 1 is the strongest evidence, and the operator's
// policy says what a signal that fires does: flag it in the verdict, ask
// for one more challenge (step_up), or fail the session (block).
import type { InjectionPolicy, InjectionSignal, TransportFacts } from '../../../common/injection.ts';

export { INJECTION_POLICIES, INJECTION_SIGNALS, type InjectionPolicy, type InjectionSignal } from '../../../common/injection.ts';

export interface InjectionOptions {
  readonly policy: Readonly<Record<InjectionSignal, InjectionPolicy>>;
  /** A signal fires at or above this score. */
  readonly fireAt: number;
  /** Frames a timing signal needs before it is evaluated. */
  readonly minTimingFrames: number;
  /** RTP media-clock drift against the packet arrival clock, in ppm, above which the clock is not the sender's capture clock. */
  readonly maxDriftPpm: number;
  /** The same for decoded frames (capture time against decode time, which this server's load also moves), ppm. */
  readonly maxDecodedDriftPpm: number;
  /** Span of arrival times the drift needs, ms (a short span's slope is network jitter). */
  readonly minDriftSpanMs: number;
  /** RMS latency jitter of decoded frames around the clock fit above which delivery is bursty (re-streamed), ms. */
  readonly maxResidualMs: number;
  /** Page frame intervals steadier than this (standard deviation, ms) are a synthetic source. */
  readonly minPageJitterMs: number;
}

/** One signal's score. */
export interface InjectionScore {
  /** False while the facts it needs are missing (e.g. too few frames yet). */
  readonly evaluated: boolean;
  /** 0..1, 1 = strongest evidence of injection. */
  readonly score: number;
  /** The rule that gave the score (null: nothing suspicious). */
  readonly why: string | null;
  readonly values: Readonly<Record<string, number | string | boolean | null>>;
}

/** One injection signal: a pure scorer of the facts. `final`: the session is deciding (missing facts now count). */
export interface InjectionScorer {
  readonly name: InjectionSignal;
  score(facts: TransportFacts, options: InjectionOptions, final: boolean): InjectionScore;
}

/** Where a live session's facts come from (the bridge passes media's LiveSession.transportFacts) and its policy. */
export interface InjectionSource {
  readonly facts: () => TransportFacts;
  readonly options?: InjectionOptions;
}

export const notScored = (values: InjectionScore['values'] = {}): InjectionScore => ({ evaluated: false, score: 0, why: null, values });
