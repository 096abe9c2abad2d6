// Geometry of the face recipe (models/README.md): detector decoding and
// NMS, the crop rectangles each model is fed, 68 -> 5 points, the
// least-squares similarity used for alignment. Pure functions on numbers and
// typed arrays, so each rule is tested on its own; the integer truncations
// mirror the reference pipeline so crops land on the same pixels.
import { clamp01 } from '../common/vector.ts';
import type { Box, Point } from './types.ts';
import type { Rect } from './imageKernels.ts';

/** ArcFace 112x112 reference: eye L, eye R, nose, mouth L, mouth R. */
export const ALIGN_REFERENCE: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

export interface Detection extends Box {
  readonly score: number;
}

/** Letterbox geometry: the frame is scaled by `scale` to rw x rh at the top-left of the model input. */
export interface Letterbox {
  readonly rw: number;
  readonly rh: number;
}

export function letterbox(width: number, height: number, inW: number, inH: number): Letterbox {
  const s = Math.min(inW / width, inH / height);
  return { rw: Math.max(1, Math.round(width * s)), rh: Math.max(1, Math.round(height * s)) };
}

/**
 * Decodes detector output: scores [N,2] (column 1 = face) and corner boxes [N,4]
 * normalised to the model input; keeps score >= threshold, best first, at most
 * topK, IoU NMS keeping the best, maps through the letterbox and makes each box
 * square (side = height, centred) clipped to the frame.
 */
export function decodeDetections(
  scores: Float32Array,
  boxes: Float32Array,
  opts: {
    readonly inW: number;
    readonly inH: number;
    readonly frameW: number;
    readonly frameH: number;
    readonly lb: Letterbox;
    readonly threshold: number;
    readonly iou: number;
    readonly topK: number;
  },
): Detection[] {
  const n = scores.length >> 1;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (scores[2 * i + 1]! >= opts.threshold) idx.push(i);
  if (idx.length === 0) return [];
  idx.sort((a, b) => scores[2 * b + 1]! - scores[2 * a + 1]! || a - b);
  if (idx.length > opts.topK) idx.length = opts.topK;
  const m = idx.length;
  const x1 = new Float64Array(m);
  const y1 = new Float64Array(m);
  const x2 = new Float64Array(m);
  const y2 = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const i = idx[k]!;
    x1[k] = boxes[4 * i]! * opts.inW;
    y1[k] = boxes[4 * i + 1]! * opts.inH;
    x2[k] = boxes[4 * i + 2]! * opts.inW;
    y2[k] = boxes[4 * i + 3]! * opts.inH;
  }
  const suppressed = new Uint8Array(m);
  const sx = opts.frameW / opts.lb.rw;
  const sy = opts.frameH / opts.lb.rh;
  const out: Detection[] = [];
  for (let a = 0; a < m; a++) {
    if (suppressed[a]) continue;
    const areaA = (x2[a]! - x1[a]!) * (y2[a]! - y1[a]!);
    for (let b = a + 1; b < m; b++) {
      if (suppressed[b]) continue;
      const w = Math.max(0, Math.min(x2[a]!, x2[b]!) - Math.max(x1[a]!, x1[b]!));
      const h = Math.max(0, Math.min(y2[a]!, y2[b]!) - Math.max(y1[a]!, y1[b]!));
      const inter = w * h;
      const areaB = (x2[b]! - x1[b]!) * (y2[b]! - y1[b]!);
      if (inter / Math.max(areaA + areaB - inter, 1e-12) >= opts.iou) suppressed[b] = 1;
    }
    const fx1 = x1[a]! * sx;
    const fy1 = y1[a]! * sy;
    const fx2 = x2[a]! * sx;
    const fy2 = y2[a]! * sy;
    const side = fy2 - fy1;
    const cx = (fx1 + fx2) / 2;
    const cy = (fy1 + fy2) / 2;
    out.push({
      x1: Math.max(cx - side / 2, 0),
      y1: Math.max(cy - side / 2, 0),
      x2: Math.min(cx + side / 2, opts.frameW - 1),
      y2: Math.min(cy + side / 2, opts.frameH - 1),
      score: scores[2 * idx[a]! + 1]!,
    });
  }
  return out;
}

export function boxArea(b: Box): number {
  return (b.x2 - b.x1) * (b.y2 - b.y1);
}

/** The box as integers the way the crops use it: x, y truncated, w = |int(x2) - x|. */
export function intBox(b: Box): Rect {
  const x = Math.trunc(b.x1);
  const y = Math.trunc(b.y1);
  return { x, y, w: Math.abs(Math.trunc(b.x2) - x), h: Math.abs(Math.trunc(b.y2) - y) };
}

/** The box scaled about its centre by min(scale, what fits), shifted to lie inside the frame. */
export function scaledCropRect(frameW: number, frameH: number, box: Rect, scale: number): Rect {
  const bw = Math.max(box.w, 1);
  const bh = Math.max(box.h, 1);
  const s = Math.min((frameH - 1) / bh, (frameW - 1) / bw, scale);
  const nw = bw * s;
  const nh = bh * s;
  const cx = bw / 2 + box.x;
  const cy = bh / 2 + box.y;
  let l = cx - nw / 2;
  let t = cy - nh / 2;
  let r = cx + nw / 2;
  let b = cy + nh / 2;
  if (l < 0) {
    r -= l;
    l = 0;
  }
  if (t < 0) {
    b -= t;
    t = 0;
  }
  if (r > frameW - 1) {
    l -= r - frameW + 1;
    r = frameW - 1;
  }
  if (b > frameH - 1) {
    t -= b - frameH + 1;
    b = frameH - 1;
  }
  const rx = Math.max(Math.trunc(l), 0);
  const ry = Math.max(Math.trunc(t), 0);
  const rw = Math.min(Math.trunc(r - l), frameW - 1);
  const rh = Math.min(Math.trunc(b - t), frameH - 1);
  return { x: rx, y: ry, w: Math.max(Math.min(rw, frameW - rx), 1), h: Math.max(Math.min(rh, frameH - ry), 1) };
}

/** Head-pose crop: the box widened by w/4 and h/4 on each side, start clipped to the frame. */
export function poseCropRect(frameW: number, frameH: number, b: Box): Rect {
  const x1 = Math.trunc(b.x1);
  const y1 = Math.trunc(b.y1);
  const x2 = Math.trunc(b.x2);
  const y2 = Math.trunc(b.y2);
  const w = Math.abs(x2 - x1);
  const h = Math.abs(y2 - y1);
  const x11 = Math.trunc(x1 - w / 4);
  const y11 = Math.trunc(y1 - h / 4);
  const x22 = Math.trunc(x2 + w / 4);
  const y22 = Math.trunc(y2 + h / 4);
  const rx = Math.max(x11, 0);
  const ry = Math.max(y11, 0);
  return { x: rx, y: ry, w: Math.max(Math.min(x22 - x11, frameW - rx), 1), h: Math.max(Math.min(y22 - y11, frameH - ry), 1) };
}

/** Mean of the given landmark indices (lm is x0, y0, x1, y1, ...). */
function meanOf(lm: ArrayLike<number>, ids: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of ids) {
    x += lm[2 * i]!;
    y += lm[2 * i + 1]!;
  }
  return { x: x / ids.length, y: y / ids.length };
}

const LEFT_EYE_LIDS = [37, 38, 40, 41] as const;
const RIGHT_EYE_LIDS = [43, 44, 46, 47] as const;

/** Eye centres (means of the 4 lid points), nose tip 30, mouth corners mean(48,60), mean(54,64). */
export function fivePointsFrom68(lm: ArrayLike<number>): Point[] {
  return [
    meanOf(lm, LEFT_EYE_LIDS),
    meanOf(lm, RIGHT_EYE_LIDS),
    { x: lm[60]!, y: lm[61]! },
    meanOf(lm, [48, 60]),
    meanOf(lm, [54, 64]),
  ];
}

/** Square eye crops centred on the lid-point mean, side 1.6x the eye width (corners 36-39, 42-45). */
export function eyeCropRects(lm: ArrayLike<number>, frameW: number, frameH: number): [Rect, Rect] {
  const rect = (ids: readonly number[], c0: number, c1: number): Rect => {
    const c = meanOf(lm, ids);
    const cx = Math.trunc(c.x);
    const cy = Math.trunc(c.y);
    let size = Math.trunc((lm[2 * c1]! - lm[2 * c0]!) * 1.6);
    const x = Math.max(Math.trunc(cx - size / 2), 0);
    const y = Math.max(Math.trunc(cy - size / 2), 0);
    if (x + size >= frameW) size = frameW - x - 1;
    if (y + size >= frameH) size = frameH - y - 1;
    size = Math.max(size, 1);
    return { x, y, w: size, h: size };
  };
  return [rect(LEFT_EYE_LIDS, 36, 39), rect(RIGHT_EYE_LIDS, 42, 45)];
}

/**
 * Least-squares similarity (rotation, uniform scale, shift; no reflection)
 * taking `src` onto `dst`: returns [a, -b, tx, b, a, ty] (2x3, row major).
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Float64Array {
  const n = src.length;
  if (n !== dst.length || n < 2) throw new TypeError('similarityTransform needs two equal lists of >= 2 points');
  let msx = 0;
  let msy = 0;
  let mdx = 0;
  let mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i]!.x;
    msy += src[i]!.y;
    mdx += dst[i]!.x;
    mdy += dst[i]!.y;
  }
  msx /= n;
  msy /= n;
  mdx /= n;
  mdy /= n;
  let ss = 0;
  let pa = 0;
  let pb = 0;
  for (let i = 0; i < n; i++) {
    const sx = src[i]!.x - msx;
    const sy = src[i]!.y - msy;
    const dx = dst[i]!.x - mdx;
    const dy = dst[i]!.y - mdy;
    ss += sx * sx + sy * sy;
    pa += sx * dx + sy * dy;
    pb += sx * dy - sy * dx;
  }
  if (ss <= 0) throw new RangeError('similarityTransform: source points coincide');
  const a = pa / ss;
  const b = pb / ss;
  const tx = mdx - (a * msx - b * msy);
  const ty = mdy - (b * msx + a * msy);
  return Float64Array.of(a, -b, tx, b, a, ty);
}

/** Inverse of a similarity [a, -b, tx, b, a, ty] (maps destination back to source). */
export function invertSimilarity(m: ArrayLike<number>): Float64Array {
  const a = m[0]!;
  const b = m[3]!;
  const tx = m[2]!;
  const ty = m[5]!;
  const det = a * a + b * b;
  if (det === 0) throw new RangeError('invertSimilarity: singular transform');
  const ia = a / det;
  const ib = b / det;
  // inverse rotation-scale [ia, ib; -ib, ia], shift -R^-1 t
  return Float64Array.of(ia, ib, -(ia * tx + ib * ty), -ib, ia, -(-ib * tx + ia * ty));
}

/** Softmax of a small logit vector (float64 accumulation). */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e: number[] = [];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = Math.exp(logits[i]! - max);
    e.push(v);
    sum += v;
  }
  return e.map((v) => v / sum);
}

/** Head-pose angle from 66 bins of 3 degrees: sum(softmax * i * 3) - 99. */
export function poseAngle(bins: ArrayLike<number>): number {
  const p = softmax(bins);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]! * i;
  return s * 3 - 99;
}

/** Frontal faces read about -8 degrees of pitch on the pose model (models/README.md). */
const FRONTAL_PITCH = -8;

/** 1 at frontal (yaw 0, pitch at the frontal reading), 0 at 60 degrees away or more. */
export function frontalnessFromPose(p: { readonly yaw: number; readonly pitch: number }): number {
  return clamp01(1 - Math.hypot(p.yaw, p.pitch - FRONTAL_PITCH) / 60);
}

/**
 * How far the nose tip sits from the midpoint of the eyes, in half
 * inter-ocular distances (0 = centred = frontal). A cruder frontalness than
 * the landmark pose (scripts/eval/poseFit.ts reports both against the model).
 */
export function frontalnessFromLandmarks(lm: ArrayLike<number>): number {
  const [le, re, nose] = fivePointsFrom68(lm);
  const half = Math.hypot(re!.x - le!.x, re!.y - le!.y) / 2;
  if (half <= 0) return 0;
  const off = Math.abs(nose!.x - (le!.x + re!.x) / 2);
  return clamp01(1 - off / half);
}
