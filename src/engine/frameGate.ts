// Frame gating: decides whether one analysed frame is good enough to count,
// and which guidance prompt fixes it when not. Pure: thresholds in, verdict out.
import type { EyeCropSample } from './signals/eyeCrop.ts';
import type { FaceObservation, GateVerdict, Observation, PromptCode, ReasonCode } from './types.ts';

export interface GateOptions {
  /** Face box height at least this fraction of the frame's shorter side... */
  readonly minFaceFraction: number;
  /** ...and at least this many pixels (the models' crops need detail). */
  readonly minFacePx: number;
  /** Face centre inside an ellipse centred in the frame with these radii (fractions of width / height). */
  readonly ovalRx: number;
  readonly ovalRy: number;
  readonly minBrightness: number;
  readonly maxBrightness: number;
  /** Variance of the Laplacian of the face crop. */
  readonly minSharpness: number;
  readonly minFrontalness: number;
  /**
   * Eye crops (signals/eyeCrop.ts) below either bound mean something covers the
   * eyes: darker than this fraction of the cheek (sunglasses, a black patch) or
   * flatter than this (a skin-coloured patch, a hand).
   */
  readonly minEyeLuma: number;
  readonly minEyeContrast: number;
  /** ...for at least this long: a blink or a squint is shorter (closed eyes read flatter than open ones). */
  readonly eyeOcclusionMs: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = Object.freeze({
  minFaceFraction: 0.2,
  minFacePx: 64,
  ovalRx: 0.38,
  ovalRy: 0.38,
  minBrightness: 40,
  maxBrightness: 235,
  minSharpness: 8,
  minFrontalness: 0.45,
  // Measured by eval:liveness --occlusion (per eye, the lower of the two eyes):
  // 95 real-face test photos (glasses included) eyeLuma >= 0.37,
  // eyeContrast >= 0.166; genuine clips per frame eyeLuma >= 0.35, eyeContrast
  // >= 0.046 (closed eyes of a low-resolution webcam with glasses), and over any
  // 500 ms the best frame's eyeLuma >= 0.41, eyeContrast >= 0.139. Synthetic
  // sunglasses / black patches: eyeLuma median 0.14 / 0.05; a skin-coloured
  // patch: eyeContrast median 0.03. Bounds 1.4x..1.7x under the genuine minima.
  minEyeLuma: 0.25,
  minEyeContrast: 0.1,
  eyeOcclusionMs: 500,
});

/** Landmark geometry a real unoccluded face must satisfy (the landmark model always returns 68 points, even on a hand). */
export function landmarksPlausible(face: FaceObservation): boolean {
  const p = face.fivePoints;
  if (!p || p.length < 5) return true; // nothing to judge
  const [le, re, nose, ml, mr] = p as [typeof p[0], typeof p[0], typeof p[0], typeof p[0], typeof p[0]];
  const bw = face.box.x2 - face.box.x1;
  const bh = face.box.y2 - face.box.y1;
  const inside = p.every(
    (q) => q.x >= face.box.x1 - 0.1 * bw && q.x <= face.box.x2 + 0.1 * bw && q.y >= face.box.y1 - 0.1 * bh && q.y <= face.box.y2 + 0.1 * bh,
  );
  const eyeDist = Math.hypot(re.x - le.x, re.y - le.y);
  const eyeY = (le.y + re.y) / 2;
  const mouthY = (ml.y + mr.y) / 2;
  return (
    inside &&
    re.x > le.x &&
    eyeDist > 0.18 * bw &&
    eyeDist < 0.75 * bw &&
    nose.y > eyeY &&
    mouthY > nose.y - 0.02 * bh &&
    mouthY - eyeY > 0.15 * bh
  );
}

/** Whether the eye crops look covered (too dark or too flat against the cheeks). */
export function eyesOccluded(e: EyeCropSample, options: GateOptions = DEFAULT_GATE_OPTIONS): boolean {
  return e.eyeLuma < options.minEyeLuma || e.eyeContrast < options.minEyeContrast;
}

/** The smallest face the gate lets through in a frame of this size. */
export function minFaceSize(width: number, height: number, options: GateOptions = DEFAULT_GATE_OPTIONS): number {
  return Math.max(options.minFacePx, options.minFaceFraction * Math.min(width, height));
}

/**
 * Faces that count as people in front of the camera: the biggest, and a
 * second one only when it is big enough to pass the gate itself. A face too
 * small to be verified (a picture on the wall, a broadcast's inset) is no
 * second subject; a second person or a phone held up beside the user is.
 */
export function countedFaces(obs: Observation, options: GateOptions = DEFAULT_GATE_OPTIONS): number {
  if (obs.faceCount <= 1) return obs.faceCount;
  return obs.otherFaceSize !== undefined && obs.otherFaceSize < minFaceSize(obs.width, obs.height, options) ? 1 : obs.faceCount;
}

/**
 * Gates one observation. `requireFrontal` is false while a head-turn challenge
 * runs (the user is asked to look away). `eyesCovered` defaults to this
 * frame's eye-crop cue alone; a session passes whether it has held for
 * `eyeOcclusionMs`.
 */
export function gateFrame(
  obs: Observation,
  requireFrontal: boolean,
  options: GateOptions = DEFAULT_GATE_OPTIONS,
  eyesCovered: boolean = obs.eyeCrop !== undefined && eyesOccluded(obs.eyeCrop, options),
): GateVerdict {
  if (obs.faceCount === 0 || !obs.face) return 'no_face';
  if (countedFaces(obs, options) > 1) return 'multiple_faces';
  const f = obs.face;
  const size = f.quality?.faceSize ?? f.box.y2 - f.box.y1;
  if (size < minFaceSize(obs.width, obs.height, options)) return 'face_too_small';
  const cx = (f.box.x1 + f.box.x2) / 2 / obs.width - 0.5;
  const cy = (f.box.y1 + f.box.y2) / 2 / obs.height - 0.5;
  if ((cx / options.ovalRx) ** 2 + (cy / options.ovalRy) ** 2 > 1) return 'off_center';
  const q = f.quality;
  if (q && (q.brightness < options.minBrightness || q.brightness > options.maxBrightness)) return 'too_dark';
  if (q && q.sharpness < options.minSharpness) return 'too_blurry';
  if (requireFrontal && q && q.frontalness < options.minFrontalness) return 'not_frontal';
  if (requireFrontal && !landmarksPlausible(f)) return 'occluded';
  if (requireFrontal && eyesCovered) return 'occluded';
  return 'ok';
}

export function promptFor(verdict: Exclude<GateVerdict, 'ok'>): PromptCode {
  switch (verdict) {
    case 'no_face':
      return 'look_at_camera';
    case 'multiple_faces':
      return 'one_face_only';
    case 'face_too_small':
      return 'move_closer';
    case 'off_center':
      return 'center_face';
    case 'too_dark':
      return 'more_light';
    case 'too_blurry':
      return 'hold_still';
    case 'not_frontal':
      return 'face_forward';
    case 'occluded':
      return 'uncover_face';
  }
}

/** The failure reason a session reports when frames kept failing the gate this way. */
export function reasonFor(verdict: Exclude<GateVerdict, 'ok'>): ReasonCode {
  switch (verdict) {
    case 'no_face':
      return 'no_face';
    case 'multiple_faces':
      return 'multiple_faces';
    case 'face_too_small':
      return 'face_too_small';
    case 'occluded':
      return 'occluded';
    case 'off_center':
    case 'too_dark':
    case 'too_blurry':
    case 'not_frontal':
      return 'poor_quality';
  }
}
