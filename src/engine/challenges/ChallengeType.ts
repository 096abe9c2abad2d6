// The plug-in interface every liveness challenge implements: its prompt text,
// how a plan draws it and what it paints, how it scores the session's evidence
// while it is active, and what the decision reports when it never scored. The
// session state machine knows challenges only through this interface; the one
// list of them is ./index.ts.
import type { FaceStage } from '../../../models/types.ts';
import type { FrameEvidence } from '../FrameEvidence.ts';
import type { PlanOptions, SessionOptions } from '../options.ts';
import type { Challenge, ChallengeKind, ColorStep, SignalName, SignalReport } from '../types.ts';

export type SignalReports = Partial<Record<SignalName, SignalReport>>;

/** What a challenge adds to its prompt when it is issued. */
export interface ChallengeSetup {
  /** Colours the page paints (colour flash). */
  readonly colors?: readonly ColorStep[];
  /** Least time from issue to deadline the challenge needs to be scored, ms (0: the planned window). */
  readonly minWindowMs: number;
}

/** The state of one active challenge, seen at one frame. */
export interface ChallengeContext<K extends ChallengeKind = ChallengeKind> {
  /** Capture time of the frame being processed, ms. */
  readonly t: number;
  readonly kind: K;
  readonly challenge: Challenge;
  /** Earliest engine time an answer may start (the reaction floor). */
  readonly notBefore: number;
  /** Times the prompt asks for its answer (1 unless the plan drew more). */
  readonly count: number;
  /**
   * A live prompt: the answer must be caused by it (reaction window, no such
   * motion before it). False for a fixed schedule a recording plays against.
   */
  readonly prompted: boolean;
  /** Engine time the prompt left for the page. */
  readonly sentAt: number;
  /** Last measured data-channel round trip, and the fastest of the session (null until one is measured). */
  readonly rttMs: number;
  readonly rttMinMs: number | null;
  readonly evidence: FrameEvidence;
  readonly options: SessionOptions;
}

/** One frame's verdict on the active challenge. */
export interface ChallengeEvaluation {
  /** Signal reports this evaluation measured (they replace earlier ones of the same name). */
  readonly reports: SignalReports;
  /** Set once answered: when the answer was detected and when the response began (null: no human reaction). */
  readonly answer?: { readonly answeredAt: number; readonly respondedAt: number | null };
  /** The challenge was scored and failed (it does not wait for its deadline). */
  readonly failed?: boolean;
}

export interface ChallengeType<K extends ChallengeKind = ChallengeKind> {
  /** Kinds this challenge answers (a recorded schedule may name any of them). */
  readonly kinds: readonly K[];
  /** Kinds a random plan draws one of (this challenge's family). */
  readonly draws: readonly K[];
  /** Only on a transport that can paint the screen (the live path). */
  readonly needsFlash: boolean;
  /** While active, the frame gate accepts a face that is not frontal. */
  readonly turnsFace: boolean;
  /** The answer's start is a human reaction (timed against the prompt). */
  readonly timesReaction: boolean;
  /**
   * Model stages this challenge scores on, run on every frame while it is
   * active; outside their challenge they run at the session's sparse cadence.
   */
  readonly needs: readonly FaceStage[];
  /** Text the page shows for `kind`, asked `count` times (default once). */
  prompt(kind: K, count?: number): string;
  /** Counts a random plan draws one of (blink: 1..3 blinks); absent: the kind is asked once. */
  readonly counts?: readonly number[];
  /** Live prompts: the quiet period before the prompt the answer's cause check looks at, ms (0: none). */
  quietMs(options: SessionOptions): number;
  /**
   * Live prompts: whether the prompt may go out at `t`, due since `dueAt`
   * (e.g. only after a quiet period the evidence shows); absent: whenever due.
   */
  canIssue?(evidence: FrameEvidence, t: number, dueAt: number, options: SessionOptions): boolean;
  /** Time the user has to answer, ms. */
  windowMs(options: PlanOptions): number;
  /** What the prompt carries beyond its kind, drawn when it is issued. */
  setup(evidence: FrameEvidence, options: SessionOptions): ChallengeSetup;
  evaluate(context: ChallengeContext<K>): ChallengeEvaluation;
  /** What the decision reports for a planned challenge that never scored. */
  report(): SignalReports;
}
