// Eye-crop plausibility: the landmark model places eyes even on sunglasses, a
// hand or a patch, so the gate also looks at the pixels there. An open or
// closed eye is darker and far more textured than the cheek below it (iris,
// sclera, lids, lashes, brows' edge); sunglasses or a black patch are much
// darker, a skin-coloured patch or a hand is as flat as the cheek.
import type { Point, RawFrame } from '../../../models/types.ts';

export interface EyeCropSample {
  /** Mean gray of the eye crop over the mean gray of the cheek below it; the lower of the two eyes. */
  readonly eyeLuma: number;
  /** Standard deviation of gray inside the eye crop over the cheek's mean gray; the lower of the two eyes. */
  readonly eyeContrast: number;
}

interface Stats {
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
}

/** Gray statistics over a rectangle given in face coordinates: origin `o`, axes `u` (eye to eye) and `v` (towards the mouth). */
function patchStats(
  frame: RawFrame,
  o: Point,
  u: Point,
  v: Point,
  a1: number,
  a2: number,
  b1: number,
  b2: number,
  step: number,
): Stats {
  const bgr = frame.format === 'bgr24';
  const ri = bgr ? 2 : 0;
  const bi = bgr ? 0 : 2;
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let b = b1; b < b2; b += step) {
    for (let a = a1; a < a2; a += step) {
      const x = Math.round(o.x + a * u.x + b * v.x);
      const y = Math.round(o.y + a * u.y + b * v.y);
      if (x < 0 || y < 0 || x >= frame.width || y >= frame.height) continue;
      const i = y * frame.stride + x * 3;
      const g = 0.299 * frame.data[i + ri]! + 0.587 * frame.data[i + 1]! + 0.114 * frame.data[i + bi]!;
      s += g;
      s2 += g * g;
      n++;
    }
  }
  const mean = n > 0 ? s / n : 0;
  return { mean, sd: n > 0 ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : 0, n };
}

/** Per eye (left, right): luma and contrast against the cheek below it; undefined when not measurable. */
export function eyeCropStats(frame: RawFrame, fivePoints: readonly Point[] | undefined): { luma: number; contrast: number }[] | undefined {
  if (!(frame.data instanceof Uint8Array)) throw new TypeError('frame.data must be a Uint8Array');
  if (!fivePoints || fivePoints.length < 2) return undefined;
  const [le, re] = [fivePoints[0]!, fivePoints[1]!];
  const d = Math.hypot(re.x - le.x, re.y - le.y);
  if (!(d >= 8)) return undefined;
  // Crops follow the face's roll: u along the eye line, v across it towards the mouth.
  const u = { x: (re.x - le.x) / d, y: (re.y - le.y) / d };
  let v = { x: -u.y, y: u.x };
  const ml = fivePoints[3];
  const mr = fivePoints[4];
  if (ml && mr) {
    const mx = (ml.x + mr.x) / 2 - (le.x + re.x) / 2;
    const my = (ml.y + mr.y) / 2 - (le.y + re.y) / 2;
    if (mx * v.x + my * v.y < 0) v = { x: -v.x, y: -v.y };
  }
  const step = Math.max(1, d / 40);
  const out: { luma: number; contrast: number }[] = [];
  for (const e of [le, re]) {
    // The eye itself with its lids (not the brow); the cheek well under the lower lid, above the nostrils.
    const eye = patchStats(frame, e, u, v, -0.3 * d, 0.3 * d, -0.18 * d, 0.18 * d, step);
    const cheek = patchStats(frame, e, u, v, -0.15 * d, 0.15 * d, 0.45 * d, 0.7 * d, step);
    if (eye.n < 16 || cheek.n < 4 || cheek.mean < 1) return undefined;
    out.push({ luma: eye.mean / cheek.mean, contrast: eye.sd / cheek.mean });
  }
  return out;
}

/**
 * Measures both eye crops against the cheeks below them. `fivePoints` are the
 * landmark stage's eyes (L, R), nose, mouth corners in frame pixels; undefined
 * when there are none or the crops fall outside the frame.
 */
export function measureEyeCrops(frame: RawFrame, fivePoints: readonly Point[] | undefined): EyeCropSample | undefined {
  const s = eyeCropStats(frame, fivePoints);
  if (!s) return undefined;
  return { eyeLuma: Math.min(...s.map((e) => e.luma)), eyeContrast: Math.min(...s.map((e) => e.contrast)) };
}
