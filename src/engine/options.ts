// The engine's tunables: one session's options and their measured defaults,
// and the challenge-plan options. Pure data: the session, the evidence
// processor and the challenge plug-ins read them; nothing here reads the
// environment (the service maps its config onto these in src/bridge/sessionOptions.ts).
import { DEFAULT_FLASH_STEPS } from '../../common/defaults.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../../models/similarity.ts';
import { DEFAULT_GATE_OPTIONS, type GateOptions } from './frameGate.ts';
import { DEFAULT_FUSION_OPTIONS, type FusionOptions } from './fusion.ts';
import { DEFAULT_BLINK_OPTIONS, type BlinkOptions } from './signals/blink.ts';
import { DEFAULT_FLASH_OPTIONS, type FlashOptions } from './signals/colorFlash.ts';
import { DEFAULT_TURN_OPTIONS, type TurnOptions } from './signals/headTurn.ts';
import { DEFAULT_IDENTITY_OPTIONS, type IdentityOptions } from './signals/identity.ts';

export interface PlanOptions {
  /** Challenges per session where the flash is drawn (it is always one of them; LIVENESS_CHALLENGES). */
  readonly count: number;
  /**
   * Challenges per session where the transport cannot paint a flash (REST, an
   * opt-out): more, since blinks and turns leave a recording far more chance
   * than a flash (scripts/eval/lib/chanceAcceptance.ts).
   */
  readonly countWithoutFlash: number;
  /** Whether the transport can paint a colour sequence (live path yes, REST no). */
  readonly flash: boolean;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly blinkWindowMs: number;
  readonly turnWindowMs: number;
  readonly flashWindowMs: number;
  readonly randomInt?: (max: number) => number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = Object.freeze({
  count: 2,
  // Two blinks and two turns: under 1 in 200 per session for a recording (eval:kiosk prints the derivation).
  countWithoutFlash: 4,
  flash: false,
  minDelayMs: 200,
  maxDelayMs: 800,
  blinkWindowMs: 5000,
  turnWindowMs: 6000,
  flashWindowMs: 4000,
});

export interface SessionOptions {
  readonly ttlMs: number;
  /** Failed or unanswered challenges tolerated before the session fails (1 = no retry). */
  readonly maxAttempts: number;
  /** Good frames collected before the first challenge (baseline pose, identity reference). */
  readonly minCaptureFrames: number;
  /** Frames with one face needed before a verdict (artefacts, passive, motion). */
  readonly minEvidenceFrames: number;
  /** Without a good frame for this long the session fails with the commonest gate reason. */
  readonly gateTimeoutMs: number;
  /** The no-gesture path (SessionInit.noGesture): how long it observes after capture before deciding, ms. */
  readonly noGestureObserveMs: number;
  /** Consecutive frames with more than one face that fail the session. */
  readonly multiFaceFrames: number;
  /**
   * Below this median cell difference (gray levels, ArtefactSample.cellDiff)
   * over the last `staticFrames` frames the scene is a still picture.
   */
  readonly staticDiff: number;
  readonly staticFrames: number;
  /** Fastest plausible human reaction after the prompt reaches the page, ms. */
  readonly minReactionMs: number;
  /** Embeddings at least this often (ms) while the decision still needs identity samples (enrollment: its samples). */
  readonly embeddingIntervalMs: number;
  /**
   * Then for identity continuity (identity_changed) this often: embeddings
   * are the dearest model (~15 ms), and a swap of faces is caught within it.
   */
  readonly identityIntervalMs: number;
  /**
   * Eye state and passive anti-spoof run at least this often (ms) when nothing
   * needs them on every frame (eyes while a blink is asked for); the pose model
   * runs only where a session asks for it (sparse, in a head turn). 0: every stage
   * on every frame. 400 ms (every 4th frame at 10 fps) still gives the passive
   * median ~8 samples in a 3 s session (eval:liveness verdicts unchanged).
   */
  readonly sparseStageIntervalMs: number;
  /**
   * Between detections the face is followed on its previous box (landmarks
   * say where it went); the detector runs again after this long, when the
   * track is lost, or on every frame while it last saw no face or several
   * (a second face is noticed within this interval). 0: detect every frame.
   */
  readonly detectIntervalMs: number;
  /**
   * Frame-count floors under the two intervals above: a sparse stage skips at
   * least `sparseStageMinFrames - 1` frames and the detector follows at least
   * `detectMinFrames - 1`, so a node that sheds load (fewer analysed fps per
   * session) does not make each frame dearer. At 10 fps they change nothing.
   */
  readonly sparseStageMinFrames: number;
  readonly detectMinFrames: number;
  /**
   * Uploaded frames (REST, frame socket) are scheduled by count: the intervals
   * above (stages, detection, embeddings) count frames of this length, whatever
   * their capture times, so uploads back-to-back or sparse run the same stages
   * on the same frames (the live path at 10 fps).
   */
  readonly uploadFrameMs: number;
  readonly enrollmentSamples: number;
  /** Cosine at or above which a probe matches a template (the models layer's measured default). */
  readonly matchThreshold: number;
  readonly gate: GateOptions;
  readonly blink: BlinkOptions;
  readonly turn: TurnOptions;
  readonly flash: FlashOptions;
  readonly identity: IdentityOptions;
  readonly fusion: FusionOptions;
  readonly plan: PlanOptions;
  /** Colour-flash sequence shape: steps, and the shortest and longest step. */
  readonly flashSteps: number;
  readonly flashStepMs: number;
  readonly flashMaxStepMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = Object.freeze({
  ttlMs: 180_000,
  maxAttempts: 2,
  minCaptureFrames: 3,
  minEvidenceFrames: 8,
  gateTimeoutMs: 8000,
  // Passive, eyes and artefacts are sampled every 400 ms (FrameEvidence's sparse
  // stages): 3 s gives the passive median 7-8 frames and the still check its
  // 10-frame window, as long as a challenge session's capture and two prompts.
  noGestureObserveMs: 3000,
  multiFaceFrames: 3,
  // Sliding 10-frame medians of cellDiff (eval:liveness --margins): genuine
  // clips never below 0.32 (liveportrait_d13, 10 fps); a still photo through
  // Chromium's VP8 encoder on the live path 0.012..0.21 while the encoder
  // ramps up, ~0.05 once settled (it fires about 1.1 s in); stills repeated as
  // frames 0. scripts/eval/lib/thresholdRules.ts: half the lowest genuine window, rounded down
  // (seven clips: 0.32 -> 0.15; the 16-clip split of 2026-12: krzysiek354_real 0.228 -> 0.11,
  // still 2x the settled VP8 still photo).
  staticDiff: 0.11,
  staticFrames: 10,
  minReactionMs: 120,
  embeddingIntervalMs: 400,
  identityIntervalMs: 800,
  sparseStageIntervalMs: 400,
  detectIntervalMs: 300,
  sparseStageMinFrames: 4,
  detectMinFrames: 3,
  uploadFrameMs: 100,
  enrollmentSamples: 3,
  matchThreshold: DEFAULT_MATCH_THRESHOLD,
  gate: DEFAULT_GATE_OPTIONS,
  blink: DEFAULT_BLINK_OPTIONS,
  turn: DEFAULT_TURN_OPTIONS,
  flash: DEFAULT_FLASH_OPTIONS,
  identity: DEFAULT_IDENTITY_OPTIONS,
  fusion: DEFAULT_FUSION_OPTIONS,
  plan: DEFAULT_PLAN_OPTIONS,
  // 5 of the 6 palette colours: 720 sequences, 5 frames a step at 10 fps.
  flashSteps: DEFAULT_FLASH_STEPS,
  // Above minFlashStepMs (460 ms with the default window): a shift by a whole step must fall outside the lag window.
  flashStepMs: 500,
  // Steps stretch to ~2.5 analysed frames when the engine keeps up with fewer than 8 a second.
  flashMaxStepMs: 1000,
});
