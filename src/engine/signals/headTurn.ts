// Head-turn signal and its depth cue. A turn is measured geometrically: the
// nose tip sits in front of the face plane, so when a real head turns it moves
// across the face outline (iBUG 0 .. 16): the nose-outline ratio goes from
// ~0.5 toward 0 or 1. That movement is the parallax a flat photo or screen
// tilted in front of the camera cannot make (a plane's image preserves ratios
// along a line). The pose model's yaw is recorded beside it, but does not
// decide: on the test clips it read -40..-69 degrees for a frontal face in a
// dark laptop-webcam clip while the landmarks showed no turn, and stayed
// within +-25 degrees during that person's full profile turn.
import type { Point } from '../../../models/types.ts';
import { median } from '../../../common/vector.ts';

/**
 * The user's own left / right. In an unmirrored camera image a turn to the
 * user's left moves the nose toward the image's right, raising the ratio.
 */
export type TurnDirection = 'left' | 'right' | 'any';

export interface TurnSample {
  readonly t: number;
  /** Nose-outline ratio (noseOutlineRatio), null without landmarks. */
  readonly ratio: number | null;
  /** Pose-model yaw in degrees, null without the pose stage. */
  readonly yaw: number | null;
}

export interface TurnOptions {
  /** Ratio change from the frontal baseline that counts as turned (~20 degrees of yaw). */
  readonly turnRatio: number;
  /** Ratio change that counts as back to frontal. */
  readonly returnRatio: number;
  /** Parallax below this is what a flat, tilted image produces. */
  readonly minParallax: number;
  /** Live prompts: the turn must reach turnRatio within this long after the reaction floor. */
  readonly maxOnsetMs: number;
  /** Live prompts: no turn (either side) in this long before the prompt reached the page. */
  readonly quietMs: number;
}

export const DEFAULT_TURN_OPTIONS: TurnOptions = Object.freeze({
  // On the genuine turn clips the ratio moved 0.012 per pose-degree (tranvanluyt_real):
  // 0.2 is ~17 degrees; frontal frames scatter by about +-0.03.
  turnRatio: 0.2,
  returnRatio: 0.08,
  minParallax: 0.12,
  // A visual choice reaction is ~0.4-0.6 s and a head reaches ~17 degrees in
  // ~0.3-0.5 s more; 2.5 s after the floor is about twice that, for slow users.
  maxOnsetMs: 2500,
  // Longer than one natural glance aside; a recording that keeps turning shows one in it.
  quietMs: 1500,
});

/** Why a live turn was not caused by its prompt (null: it may have been). */
export type TurnCause = 'pre_prompt_motion' | 'wrong_direction' | 'late_onset' | null;

/**
 * Whether a turn could be the answer to a live prompt: no turn to either side
 * in the `quietMs` before `notBefore` (a clip that turns anyway shows one
 * there), the first turn after the floor goes the asked way, and it comes
 * within `maxOnsetMs` of the floor. `t` is the frame now being judged: a
 * missing turn is late only once `t` passes the onset bound.
 */
export function turnCause(
  samples: readonly TurnSample[],
  direction: TurnDirection,
  baselineRatio: number,
  notBefore: number,
  t: number,
  options: TurnOptions = DEFAULT_TURN_OPTIONS,
): TurnCause {
  const ratio = smooth(samples.map((s) => s.ratio));
  const want = direction === 'any' ? 0 : direction === 'left' ? 1 : -1;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const r = ratio[i];
    if (r === null || r === undefined || s.t < notBefore - options.quietMs) continue;
    const d = r - baselineRatio;
    if (Math.abs(d) < options.turnRatio) continue;
    if (s.t < notBefore) return 'pre_prompt_motion';
    if (s.t > notBefore + options.maxOnsetMs) return 'late_onset';
    return want !== 0 && Math.sign(d) !== want ? 'wrong_direction' : null;
  }
  return t > notBefore + options.maxOnsetMs ? 'late_onset' : null;
}

/**
 * Nose position across the face outline: 0 at the left jaw point (iBUG 0),
 * 1 at the right (iBUG 16); about 0.5 when frontal. Null without landmarks.
 */
export function noseOutlineRatio(landmarks: readonly Point[] | undefined): number | null {
  if (!landmarks || landmarks.length < 68) return null;
  const l = landmarks[0]!;
  const r = landmarks[16]!;
  const n = landmarks[30]!;
  const w = r.x - l.x;
  if (!(Math.abs(w) > 1e-6)) return null;
  return (n.x - l.x) / w;
}

export interface TurnScore {
  readonly passed: boolean;
  /** Peak ratio excursion in the asked direction / (2 * turnRatio), 0..1. */
  readonly score: number;
  readonly baselineRatio: number;
  /** Peak signed ratio excursion in the direction found (the parallax). */
  readonly parallax: number;
  /** Peak pose-model yaw change from its baseline (0, frontal, when the model did not run in capture) over the same frames (degrees, for inspection). */
  readonly poseYawPeak: number | null;
  readonly turnedAt: number | null;
  readonly returnedAt: number | null;
  /** +1 the nose went toward the image's right (user's left), -1 toward its left, 0 no turn. */
  readonly imageSide: -1 | 0 | 1;
}

/** Median of 3 around each sample: one bad landmark frame must not make or break a turn. */
function smooth(values: readonly (number | null)[]): (number | null)[] {
  return values.map((v, i) => {
    if (v === null) return null;
    const w: number[] = [];
    for (let j = Math.max(0, i - 1); j <= Math.min(values.length - 1, i + 1); j++) if (values[j] !== null) w.push(values[j]!);
    return median(w);
  });
}

/**
 * Looks for a turn in `direction` at or after `notBefore`, measured from the
 * baselines (medians of frontal frames before the prompt), then a return.
 */
export function scoreTurn(
  samples: readonly TurnSample[],
  direction: TurnDirection,
  baselineRatio: number,
  baselineYaw: number | null,
  notBefore = Number.NEGATIVE_INFINITY,
  options: TurnOptions = DEFAULT_TURN_OPTIONS,
): TurnScore {
  const ratio = smooth(samples.map((s) => s.ratio));
  const want = direction === 'any' ? 0 : direction === 'left' ? 1 : -1;
  let turnedAt: number | null = null;
  let returnedAt: number | null = null;
  let side = 0;
  let peak = 0;
  let yawPeak: number | null = null;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const r = ratio[i];
    if (s.t < notBefore || r === null || r === undefined) continue;
    const d = r - baselineRatio;
    if (turnedAt === null) {
      const signed = want === 0 ? Math.abs(d) : want * d;
      if (signed >= options.turnRatio) {
        turnedAt = s.t;
        side = want === 0 ? Math.sign(d) : want;
        peak = signed;
      }
    } else {
      peak = Math.max(peak, side * d);
      if (Math.abs(d) <= options.returnRatio) {
        returnedAt = s.t;
        break;
      }
    }
    if (turnedAt !== null && s.yaw !== null) {
      const y = Math.abs(s.yaw - (baselineYaw ?? 0));
      yawPeak = yawPeak === null ? y : Math.max(yawPeak, y);
    }
  }
  return {
    passed: turnedAt !== null && returnedAt !== null,
    score: Math.min(1, Math.max(0, peak / (2 * options.turnRatio))),
    baselineRatio,
    parallax: peak,
    poseYawPeak: yawPeak,
    turnedAt,
    returnedAt,
    imageSide: side as -1 | 0 | 1,
  };
}
