// Head pose (yaw, pitch) from the 68 landmarks alone: a linear regression on
// the landmarks normalised for position, in-plane roll and scale, fitted to the
// pose model (fr_pose.onnx) on ../shared faces and clip frames by
// scripts/eval/poseFit.ts, which also measures its error on held-out
// identities and clips (models/README.md). It costs microseconds where the
// pose model costs ~9 ms a frame; the engine uses it on frames where it does
// not run the model.
import { LANDMARK_POSE_WEIGHTS } from './landmarkPoseWeights.ts';
import type { Point } from './types.ts';

export const LANDMARK_POSE_FEATURES = 137;

/**
 * The 68 points centred on their centroid, rotated so the eye line is level,
 * divided by their RMS radius; then a constant 1 (the intercept): 137 numbers.
 */
export function landmarkPoseFeatures(lm: readonly Point[]): Float64Array {
  if (lm.length !== 68) throw new TypeError(`landmarkPoseFeatures needs 68 points, got ${lm.length}`);
  let cx = 0;
  let cy = 0;
  for (const p of lm) {
    cx += p.x;
    cy += p.y;
  }
  cx /= 68;
  cy /= 68;
  const eye = (from: number): Point => {
    let x = 0;
    let y = 0;
    for (let i = from; i < from + 6; i++) {
      x += lm[i]!.x;
      y += lm[i]!.y;
    }
    return { x: x / 6, y: y / 6 };
  };
  const l = eye(36);
  const r = eye(42);
  const roll = Math.atan2(r.y - l.y, r.x - l.x);
  const cos = Math.cos(-roll);
  const sin = Math.sin(-roll);
  let rms = 0;
  for (const p of lm) rms += (p.x - cx) ** 2 + (p.y - cy) ** 2;
  rms = Math.sqrt(rms / 68) || 1;
  const f = new Float64Array(LANDMARK_POSE_FEATURES);
  for (let i = 0; i < 68; i++) {
    const dx = lm[i]!.x - cx;
    const dy = lm[i]!.y - cy;
    f[2 * i] = (cos * dx - sin * dy) / rms;
    f[2 * i + 1] = (sin * dx + cos * dy) / rms;
  }
  f[136] = 1;
  return f;
}

/** Yaw and pitch in the pose model's degrees (frontal pitch about -8), from the 68 landmarks. */
export function poseFromLandmarks(lm: readonly Point[]): { readonly yaw: number; readonly pitch: number } {
  const f = landmarkPoseFeatures(lm);
  const { yaw: wy, pitch: wp } = LANDMARK_POSE_WEIGHTS;
  let yaw = 0;
  let pitch = 0;
  for (let i = 0; i < LANDMARK_POSE_FEATURES; i++) {
    yaw += wy[i]! * f[i]!;
    pitch += wp[i]! * f[i]!;
  }
  return { yaw, pitch };
}
