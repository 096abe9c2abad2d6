// The injection signals: the one registry (a new signal is one file and one
// line here, plus its name in INJECTION_SIGNALS), their default policy and
// the assessment that turns the facts into one `injection` signal report and
// one action. The session (LivenessSession) asks through an InjectionGate.
import type { TransportFacts } from '../../../common/injection.ts';
import type { SignalReport } from '../types.ts';
import { captureFactsSignal } from './captureFacts.ts';
import { encoderSignal } from './encoder.ts';
import { peerBindingSignal } from './peerBinding.ts';
import { frameTimingSignal, rtpTimingSignal } from './timing.ts';
import { INJECTION_SIGNALS, type InjectionOptions, type InjectionPolicy, type InjectionScore, type InjectionScorer, type InjectionSignal } from './types.ts';

export const INJECTION_SCORERS: readonly InjectionScorer[] = Object.freeze([captureFactsSignal, rtpTimingSignal, frameTimingSignal, encoderSignal, peerBindingSignal]);

/**
 * Every signal flags by default: the e2e tests and the demo publish Chromium's
 * fake camera, which is an injected stream, and the page's facts are the
 * client's word. An operator turns a signal to step_up or block
 * (LIVENESS_INJECTION_POLICY, LIVENESS_INJECTION_OVERRIDES).
 */
export const DEFAULT_INJECTION_OPTIONS: InjectionOptions = Object.freeze({
  policy: Object.freeze(Object.fromEntries(INJECTION_SIGNALS.map((s) => [s, 'flag'])) as Record<InjectionSignal, InjectionPolicy>),
  fireAt: 0.5,
  minTimingFrames: 30,
  // Measured on loopback with Chromium's fake camera while this 2-core
  // machine ran other builds (test/e2e/injection.test.ts logs it): RTP clock
  // against packet arrival drifted 1.0 % (event-loop lag delays arrival
  // stamps), decoded capture time against decode time 3.0 % with 255 ms RMS
  // latency jitter. The limits sit 5x, 3.3x and 3.9x above: a recording
  // re-timed from 25 to 30 fps (20 %) still fires both, a 2 % re-timing does not.
  maxDriftPpm: 50_000,
  maxDecodedDriftPpm: 100_000,
  minDriftSpanMs: 4000,
  maxResidualMs: 1000,
  // A sensor's frame intervals jitter by >= 0.1 ms; a generated stream's by ~0.
  minPageJitterMs: 0.05,
});

const RANK: Readonly<Record<InjectionPolicy | 'none', number>> = { none: 0, flag: 1, step_up: 2, block: 3 };

export interface InjectionAssessment {
  readonly scores: Readonly<Record<InjectionSignal, InjectionScore>>;
  readonly fired: readonly InjectionSignal[];
  /** The strongest policy among the fired signals. */
  readonly action: InjectionPolicy | 'none';
  /** The decision's `injection` signal: score = strongest evidence, passed = nothing blocks. */
  readonly report: SignalReport;
}

export function assessInjection(facts: TransportFacts, options: InjectionOptions = DEFAULT_INJECTION_OPTIONS, final = true): InjectionAssessment {
  const scores = {} as Record<InjectionSignal, InjectionScore>;
  const fired: InjectionSignal[] = [];
  let action: InjectionPolicy | 'none' = 'none';
  const values: Record<string, number | string | boolean | null> = {};
  let evaluated = false;
  let score = 0;
  for (const scorer of INJECTION_SCORERS) {
    const s = scorer.score(facts, options, final);
    scores[scorer.name] = s;
    values[scorer.name] = s.evaluated ? s.score : null;
    if (s.why !== null) values[`${scorer.name}.why`] = s.why;
    for (const [k, v] of Object.entries(s.values)) values[`${scorer.name}.${k}`] = v;
    if (!s.evaluated) continue;
    evaluated = true;
    score = Math.max(score, s.score);
    if (s.score >= options.fireAt) {
      fired.push(scorer.name);
      const p = options.policy[scorer.name];
      if (RANK[p] > RANK[action]) action = p;
    }
  }
  values['fired'] = fired.join(',');
  values['action'] = action;
  return { scores, fired, action, report: { evaluated, score, passed: action !== 'block', values } };
}

/** A session's view of its injection signals: whether they block now, whether they ask for one step-up, the report. */
export class InjectionGate {
  readonly #facts: () => TransportFacts;
  readonly #options: InjectionOptions;
  #steppedUp = false;

  constructor(facts: () => TransportFacts, options: InjectionOptions = DEFAULT_INJECTION_OPTIONS) {
    this.#facts = facts;
    this.#options = options;
  }

  /** Whether a fired signal's policy is block; `final` false (per frame) leaves out facts that may still arrive. */
  blocks(final: boolean): boolean {
    return this.#assess(final).action === 'block';
  }

  /** True once, when the final assessment's action is step_up: the session asks for one more challenge. */
  stepUp(): boolean {
    if (this.#steppedUp || this.#assess(true).action !== 'step_up') return false;
    this.#steppedUp = true;
    return true;
  }

  report(): SignalReport {
    const r = this.#assess(true).report;
    return this.#steppedUp ? { ...r, values: { ...r.values, steppedUp: true } } : r;
  }

  #assess(final: boolean): InjectionAssessment {
    let facts: TransportFacts;
    try {
      facts = this.#facts();
    } catch {
      // The transport went away: nothing more is known than before.
      return assessInjection(EMPTY_FACTS, this.#options, final);
    }
    return assessInjection(facts, this.#options, final);
  }
}

const EMPTY_FACTS: TransportFacts = Object.freeze({
  capture: null,
  rtp: null,
  decoded: null,
  encoder: null,
  peer: Object.freeze({ fingerprint: null, transportsConnected: 0, refused: 0 }),
});

export { INJECTION_POLICIES, INJECTION_SIGNALS } from './types.ts';
export type { InjectionOptions, InjectionPolicy, InjectionScore, InjectionScorer, InjectionSignal, InjectionSource } from './types.ts';
