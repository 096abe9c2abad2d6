// The types a LivenessSession is created with (beside it, as mediasoup keeps
// RouterTypes.ts beside Router.ts).
import type { PlannedChallenge } from './challengePlan.ts';
import type { InjectionSource } from './injection/index.ts';
import type { EngineMode } from './types.ts';

export interface SessionInit {
  readonly id: string;
  readonly kind: EngineMode;
  /** Verification: the claimed subject; enrollment: the subject to enrol. */
  readonly subjectId?: string;
  readonly createdAt: number;
  readonly rttMs?: number;
  /** Whether the transport can paint colour flashes (the live path). */
  readonly flash?: boolean;
  /**
   * Test-only: a fixed schedule that a recording can contain. Challenges are
   * then issued as soon as capture is done and the reaction floor is not applied.
   */
  readonly fixedSchedule?: readonly PlannedChallenge[];
  /** A plan drawn by the caller (live semantics: delays, reaction floor); default: drawn here. */
  readonly plan?: readonly PlannedChallenge[];
  /**
   * The no-flash/no-gesture path: no challenge is asked (the user cannot follow
   * a flash or a gesture and the client's policy allows it). The session
   * observes SessionOptions.noGestureObserveMs after capture and decides on the
   * passive checks (artefacts, the still check, identity, injection, the match);
   * where they all hold it ends failed with step_up_required, never succeeded.
   */
  readonly noGesture?: boolean;
  /** Frames arrive as uploads (REST, frame socket): the analysis schedule counts them (SessionOptions.uploadFrameMs). */
  readonly uploaded?: boolean;
  /** The live transport's facts and injection policy (injection/); absent: the signal is not evaluated. */
  readonly injection?: InjectionSource;
}
