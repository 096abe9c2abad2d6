// Image kernels of the face pipeline, on packed 8-bit frames (RawFrame) and
// planar float tensors. Every model input is produced by one fused pass:
// bilinear sampling (OpenCV INTER_LINEAR conventions, so crops match the
// Python peer), channel order, gray conversion and normalisation written
// straight into the model's reused Float32Array. No per-pixel objects; the
// per-column tables live in module scratch buffers that only grow.
import type { RawFrame } from './types.ts';

/** What a tensor plane holds and how it is normalised: out = (v - mean[k]) * mul[k]. */
export interface TensorSpec {
  readonly layout: 'rgb' | 'bgr' | 'gray';
  /** Per output plane (gray: index 0 only). */
  readonly mean: readonly [number, number, number];
  readonly mul: readonly [number, number, number];
  /** Gray weights for R, G, B (gray layout only). */
  readonly grayWeights?: readonly [number, number, number];
}

/** Integer rectangle in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** ITU-R BT.601 luma weights for R, G, B. */
export const GRAY_BT601: readonly [number, number, number] = [0.299, 0.587, 0.114];
/**
 * The weights the shipped landmark and eye models were trained on: the
 * package fed OpenCV's RGB2GRAY with BGR data, i.e. 0.114 R + 0.587 G + 0.299 B.
 */
export const GRAY_MODEL: readonly [number, number, number] = [0.114, 0.587, 0.299];

let scratchX0 = new Int32Array(0);
let scratchX1 = new Int32Array(0);
let scratchAx = new Float32Array(0);

function columnTables(n: number): void {
  if (scratchX0.length < n) {
    const size = Math.max(n, 256);
    scratchX0 = new Int32Array(size);
    scratchX1 = new Int32Array(size);
    scratchAx = new Float32Array(size);
  }
}

function checkFrame(src: RawFrame): void {
  if (!Number.isInteger(src.width) || !Number.isInteger(src.height) || src.width < 1 || src.height < 1) {
    throw new TypeError(`frame size must be positive integers, got ${src.width}x${src.height}`);
  }
  if (!Number.isInteger(src.stride) || src.stride < src.width * 3) {
    throw new TypeError(`frame stride ${src.stride} is less than width*3 = ${src.width * 3}`);
  }
  if (src.data.length < src.stride * (src.height - 1) + src.width * 3) {
    throw new TypeError(`frame data has ${src.data.length} bytes, ${src.width}x${src.height} stride ${src.stride} needs more`);
  }
  if (src.format !== 'rgb24' && src.format !== 'bgr24') {
    throw new TypeError(`frame format must be rgb24 or bgr24, got ${String(src.format)}`);
  }
}

/** Output plane index for each source byte (0, 1, 2) of a pixel; gray maps all to 0. */
function planeOf(src: RawFrame, spec: TensorSpec): [number, number, number] {
  if (spec.layout === 'gray') return [0, 0, 0];
  const same = (spec.layout === 'rgb') === (src.format === 'rgb24');
  return same ? [0, 1, 2] : [2, 1, 0];
}

/** Gray weight for each source byte of a pixel. */
function grayBytes(src: RawFrame, spec: TensorSpec): [number, number, number] {
  const w = spec.grayWeights ?? GRAY_BT601;
  return src.format === 'rgb24' ? [w[0], w[1], w[2]] : [w[2], w[1], w[0]];
}

/** A zero-copy view of a rectangle of a frame (clipped to the frame; at least 1x1). */
export function cropView(src: RawFrame, rect: Rect): RawFrame {
  checkFrame(src);
  const x = Math.min(Math.max(Math.trunc(rect.x), 0), src.width - 1);
  const y = Math.min(Math.max(Math.trunc(rect.y), 0), src.height - 1);
  const w = Math.max(1, Math.min(Math.trunc(rect.w), src.width - x));
  const h = Math.max(1, Math.min(Math.trunc(rect.h), src.height - y));
  const start = y * src.stride + x * 3;
  const end = start + (h - 1) * src.stride + w * 3;
  return { data: src.data.subarray(start, end), width: w, height: h, stride: src.stride, format: src.format };
}

/**
 * Bilinear resize of the whole of `src` to dstW x dstH (pixel centres aligned,
 * edge pixels replicated: OpenCV INTER_LINEAR), written as planar floats into
 * `out` laid out as tensorW x tensorH planes. Tensor pixels right of dstW or
 * below dstH (letterbox padding) get the value `pad` before normalisation.
 */
export function resizeToTensor(
  src: RawFrame,
  dstW: number,
  dstH: number,
  out: Float32Array,
  spec: TensorSpec,
  tensorW: number = dstW,
  tensorH: number = dstH,
  pad = 0,
): void {
  checkFrame(src);
  if (!(dstW >= 1 && dstH >= 1 && dstW <= tensorW && dstH <= tensorH)) {
    throw new TypeError(`bad resize target ${dstW}x${dstH} in tensor ${tensorW}x${tensorH}`);
  }
  const planes = spec.layout === 'gray' ? 1 : 3;
  const planeSize = tensorW * tensorH;
  if (out.length < planes * planeSize) throw new TypeError(`tensor buffer too small: ${out.length} < ${planes * planeSize}`);
  const sw = src.width;
  const sh = src.height;
  const stride = src.stride;
  const d = src.data;
  columnTables(dstW);
  const x0t = scratchX0;
  const x1t = scratchX1;
  const axt = scratchAx;
  const scaleX = sw / dstW;
  const scaleY = sh / dstH;
  for (let dx = 0; dx < dstW; dx++) {
    let fx = (dx + 0.5) * scaleX - 0.5;
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) {
      sx = 0;
      fx = 0;
    }
    if (sx >= sw - 1) {
      sx = sw - 1;
      fx = 0;
    }
    x0t[dx] = sx * 3;
    x1t[dx] = Math.min(sx + 1, sw - 1) * 3;
    axt[dx] = fx;
  }
  const [m0, m1, m2] = spec.mean;
  const [k0, k1, k2] = spec.mul;
  if (spec.layout === 'gray') {
    const [g0, g1, g2] = grayBytes(src, spec);
    for (let dy = 0; dy < dstH; dy++) {
      let fy = (dy + 0.5) * scaleY - 0.5;
      let sy = Math.floor(fy);
      fy -= sy;
      if (sy < 0) {
        sy = 0;
        fy = 0;
      }
      if (sy >= sh - 1) {
        sy = sh - 1;
        fy = 0;
      }
      const r0 = sy * stride;
      const r1 = Math.min(sy + 1, sh - 1) * stride;
      let o = dy * tensorW;
      for (let dx = 0; dx < dstW; dx++, o++) {
        const a = x0t[dx]!;
        const b = x1t[dx]!;
        const ax = axt[dx]!;
        let t = r0 + a;
        let u = r0 + b;
        let v = r1 + a;
        let w = r1 + b;
        const c0t = d[t]! + (d[u]! - d[t]!) * ax;
        const c0b = d[v]! + (d[w]! - d[v]!) * ax;
        t++, u++, v++, w++;
        const c1t = d[t]! + (d[u]! - d[t]!) * ax;
        const c1b = d[v]! + (d[w]! - d[v]!) * ax;
        t++, u++, v++, w++;
        const c2t = d[t]! + (d[u]! - d[t]!) * ax;
        const c2b = d[v]! + (d[w]! - d[v]!) * ax;
        const c0 = c0t + (c0b - c0t) * fy;
        const c1 = c1t + (c1b - c1t) * fy;
        const c2 = c2t + (c2b - c2t) * fy;
        out[o] = (c0 * g0 + c1 * g1 + c2 * g2 - m0) * k0;
      }
    }
    fillPad(out, 1, tensorW, tensorH, dstW, dstH, [(pad - m0) * k0, 0, 0]);
    return;
  }
  const [p0, p1, p2] = planeOf(src, spec);
  // Normalisation constants per source byte (the plane it lands in decides mean/mul).
  const means = [m0, m1, m2];
  const muls = [k0, k1, k2];
  const mb0 = means[p0]!;
  const mb1 = means[p1]!;
  const mb2 = means[p2]!;
  const kb0 = muls[p0]!;
  const kb1 = muls[p1]!;
  const kb2 = muls[p2]!;
  const o0 = p0 * planeSize;
  const o1 = p1 * planeSize;
  const o2 = p2 * planeSize;
  if (scaleX === scaleY && Number.isInteger(scaleX) && scaleX % 2 === 0) {
    // Even integer shrink (640x480 -> 320x240 for the detector): every sample
    // falls exactly between four pixels, so bilinear is their plain mean.
    const k = scaleX;
    const off = k / 2 - 1;
    for (let dy = 0; dy < dstH; dy++) {
      let t = (k * dy + off) * stride + off * 3;
      let v = t + stride;
      let o = dy * tensorW;
      const step = 3 * k;
      for (let dx = 0; dx < dstW; dx++, o++, t += step, v += step) {
        out[o0 + o] = ((d[t]! + d[t + 3]! + d[v]! + d[v + 3]!) * 0.25 - mb0) * kb0;
        out[o1 + o] = ((d[t + 1]! + d[t + 4]! + d[v + 1]! + d[v + 4]!) * 0.25 - mb1) * kb1;
        out[o2 + o] = ((d[t + 2]! + d[t + 5]! + d[v + 2]! + d[v + 5]!) * 0.25 - mb2) * kb2;
      }
    }
    fillPad(out, 3, tensorW, tensorH, dstW, dstH, [(pad - m0) * k0, (pad - m1) * k1, (pad - m2) * k2]);
    return;
  }
  for (let dy = 0; dy < dstH; dy++) {
    let fy = (dy + 0.5) * scaleY - 0.5;
    let sy = Math.floor(fy);
    fy -= sy;
    if (sy < 0) {
      sy = 0;
      fy = 0;
    }
    if (sy >= sh - 1) {
      sy = sh - 1;
      fy = 0;
    }
    const r0 = sy * stride;
    const r1 = Math.min(sy + 1, sh - 1) * stride;
    let o = dy * tensorW;
    for (let dx = 0; dx < dstW; dx++, o++) {
      const a = x0t[dx]!;
      const b = x1t[dx]!;
      const ax = axt[dx]!;
      let t = r0 + a;
      let u = r0 + b;
      let v = r1 + a;
      let w = r1 + b;
      const c0t = d[t]! + (d[u]! - d[t]!) * ax;
      const c0b = d[v]! + (d[w]! - d[v]!) * ax;
      t++, u++, v++, w++;
      const c1t = d[t]! + (d[u]! - d[t]!) * ax;
      const c1b = d[v]! + (d[w]! - d[v]!) * ax;
      t++, u++, v++, w++;
      const c2t = d[t]! + (d[u]! - d[t]!) * ax;
      const c2b = d[v]! + (d[w]! - d[v]!) * ax;
      out[o0 + o] = (c0t + (c0b - c0t) * fy - mb0) * kb0;
      out[o1 + o] = (c1t + (c1b - c1t) * fy - mb1) * kb1;
      out[o2 + o] = (c2t + (c2b - c2t) * fy - mb2) * kb2;
    }
  }
  fillPad(out, 3, tensorW, tensorH, dstW, dstH, [(pad - m0) * k0, (pad - m1) * k1, (pad - m2) * k2]);
}

function fillPad(
  out: Float32Array,
  planes: number,
  tensorW: number,
  tensorH: number,
  dstW: number,
  dstH: number,
  values: readonly number[],
): void {
  if (dstW === tensorW && dstH === tensorH) return;
  const planeSize = tensorW * tensorH;
  for (let p = 0; p < planes; p++) {
    const v = values[p]!;
    const base = p * planeSize;
    if (dstW < tensorW) {
      for (let y = 0; y < dstH; y++) out.fill(v, base + y * tensorW + dstW, base + (y + 1) * tensorW);
    }
    out.fill(v, base + dstH * tensorW, base + planeSize);
  }
}

/**
 * Bilinear warp (OpenCV warpAffine, INTER_LINEAR, constant border `border`):
 * tensor pixel (x, y) samples src at (inv[0]x + inv[1]y + inv[2], inv[3]x + inv[4]y + inv[5]).
 * `inv` maps destination to source (the inverse of the alignment transform).
 */
export function warpAffineToTensor(
  src: RawFrame,
  inv: ArrayLike<number>,
  dstW: number,
  dstH: number,
  out: Float32Array,
  spec: TensorSpec,
  border = 0,
): void {
  checkFrame(src);
  if (spec.layout === 'gray') throw new TypeError('warpAffineToTensor writes colour tensors only');
  const planeSize = dstW * dstH;
  if (out.length < 3 * planeSize) throw new TypeError(`tensor buffer too small: ${out.length} < ${3 * planeSize}`);
  const sw = src.width;
  const sh = src.height;
  const stride = src.stride;
  const d = src.data;
  const [p0, p1, p2] = planeOf(src, spec);
  const means = spec.mean;
  const muls = spec.mul;
  const mb0 = means[p0]!;
  const mb1 = means[p1]!;
  const mb2 = means[p2]!;
  const kb0 = muls[p0]!;
  const kb1 = muls[p1]!;
  const kb2 = muls[p2]!;
  const o0 = p0 * planeSize;
  const o1 = p1 * planeSize;
  const o2 = p2 * planeSize;
  const a = inv[0]!;
  const b = inv[1]!;
  const c = inv[2]!;
  const e = inv[3]!;
  const f = inv[4]!;
  const g = inv[5]!;
  let o = 0;
  for (let y = 0; y < dstH; y++) {
    for (let x = 0; x < dstW; x++, o++) {
      const fx = a * x + b * y + c;
      const fy = e * x + f * y + g;
      const sx = Math.floor(fx);
      const sy = Math.floor(fy);
      const ax = fx - sx;
      const ay = fy - sy;
      let c0: number;
      let c1: number;
      let c2: number;
      if (sx >= 0 && sy >= 0 && sx < sw - 1 && sy < sh - 1) {
        const t = sy * stride + sx * 3;
        const v = t + stride;
        const c0t = d[t]! + (d[t + 3]! - d[t]!) * ax;
        const c0b = d[v]! + (d[v + 3]! - d[v]!) * ax;
        const c1t = d[t + 1]! + (d[t + 4]! - d[t + 1]!) * ax;
        const c1b = d[v + 1]! + (d[v + 4]! - d[v + 1]!) * ax;
        const c2t = d[t + 2]! + (d[t + 5]! - d[t + 2]!) * ax;
        const c2b = d[v + 2]! + (d[v + 5]! - d[v + 2]!) * ax;
        c0 = c0t + (c0b - c0t) * ay;
        c1 = c1t + (c1b - c1t) * ay;
        c2 = c2t + (c2b - c2t) * ay;
      } else if (sx < -1 || sy < -1 || sx >= sw || sy >= sh) {
        c0 = c1 = c2 = border;
      } else {
        // Straddles the edge: neighbours outside the frame read as the border value.
        const w00 = (1 - ax) * (1 - ay);
        const w01 = ax * (1 - ay);
        const w10 = (1 - ax) * ay;
        const w11 = ax * ay;
        c0 = c1 = c2 = 0;
        for (let k = 0; k < 4; k++) {
          const px = sx + (k & 1);
          const py = sy + (k >> 1);
          const wk = k === 0 ? w00 : k === 1 ? w01 : k === 2 ? w10 : w11;
          if (px >= 0 && py >= 0 && px < sw && py < sh) {
            const t = py * stride + px * 3;
            c0 += d[t]! * wk;
            c1 += d[t + 1]! * wk;
            c2 += d[t + 2]! * wk;
          } else {
            c0 += border * wk;
            c1 += border * wk;
            c2 += border * wk;
          }
        }
      }
      out[o0 + o] = (c0 - mb0) * kb0;
      out[o1 + o] = (c1 - mb1) * kb1;
      out[o2 + o] = (c2 - mb2) * kb2;
    }
  }
}

const IDENTITY_SPEC_SAME: TensorSpec = { layout: 'rgb', mean: [0, 0, 0], mul: [1, 1, 1] };
let scratchPlanes = new Float32Array(0);

/** Bilinear resize to a new packed frame of the same format (OpenCV INTER_LINEAR, rounded to uint8). */
export function resizeBilinear(src: RawFrame, dstW: number, dstH: number, out?: Uint8Array): RawFrame {
  checkFrame(src);
  if (!Number.isInteger(dstW) || !Number.isInteger(dstH) || dstW < 1 || dstH < 1) {
    throw new TypeError(`resize target must be positive integers, got ${dstW}x${dstH}`);
  }
  const n = dstW * dstH;
  if (scratchPlanes.length < 3 * n) scratchPlanes = new Float32Array(3 * n);
  // Resample in the frame's own order, then interleave.
  const spec: TensorSpec = src.format === 'rgb24' ? IDENTITY_SPEC_SAME : { ...IDENTITY_SPEC_SAME, layout: 'bgr' };
  resizeToTensor(src, dstW, dstH, scratchPlanes, spec);
  const data = out ?? new Uint8Array(3 * n);
  if (data.length < 3 * n) throw new TypeError(`output buffer too small: ${data.length} < ${3 * n}`);
  const s = scratchPlanes;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    data[j] = s[i]! + 0.5;
    data[j + 1] = s[n + i]! + 0.5;
    data[j + 2] = s[2 * n + i]! + 0.5;
  }
  return { data, width: dstW, height: dstH, stride: dstW * 3, format: src.format };
}

/** The frame in the other channel order (or a tightly packed copy in the same one). */
export function convertFormat(src: RawFrame, format: RawFrame['format'], out?: Uint8Array): RawFrame {
  checkFrame(src);
  const w = src.width;
  const h = src.height;
  const data = out ?? new Uint8Array(w * h * 3);
  if (data.length < w * h * 3) throw new TypeError(`output buffer too small: ${data.length} < ${w * h * 3}`);
  const swap = format !== src.format;
  const d = src.data;
  for (let y = 0; y < h; y++) {
    let i = y * src.stride;
    let j = y * w * 3;
    for (let x = 0; x < w; x++, i += 3, j += 3) {
      if (swap) {
        data[j] = d[i + 2]!;
        data[j + 1] = d[i + 1]!;
        data[j + 2] = d[i]!;
      } else {
        data[j] = d[i]!;
        data[j + 1] = d[i + 1]!;
        data[j + 2] = d[i + 2]!;
      }
    }
  }
  return { data, width: w, height: h, stride: w * 3, format };
}

/** 8-bit gray of a frame (rounded), with the given R, G, B weights. */
export function toGray(
  src: RawFrame,
  weights: readonly [number, number, number] = GRAY_BT601,
  out?: Uint8Array,
): Uint8Array {
  checkFrame(src);
  const w = src.width;
  const h = src.height;
  const data = out ?? new Uint8Array(w * h);
  if (data.length < w * h) throw new TypeError(`output buffer too small: ${data.length} < ${w * h}`);
  const [g0, g1, g2] = src.format === 'rgb24' ? weights : [weights[2], weights[1], weights[0]];
  const d = src.data;
  for (let y = 0; y < h; y++) {
    let i = y * src.stride;
    let j = y * w;
    for (let x = 0; x < w; x++, i += 3, j++) data[j] = d[i]! * g0 + d[i + 1]! * g1 + d[i + 2]! * g2 + 0.5;
  }
  return data;
}

/** A copy of the frame with `px` columns and `py` rows of `fill` on each side. */
export function padFrame(src: RawFrame, px: number, py: number, fill: number): RawFrame {
  checkFrame(src);
  if (!Number.isInteger(px) || !Number.isInteger(py) || px < 0 || py < 0) {
    throw new TypeError(`padding must be non-negative integers, got ${px}, ${py}`);
  }
  const w = src.width + 2 * px;
  const h = src.height + 2 * py;
  const stride = w * 3;
  const data = new Uint8Array(stride * h).fill(fill);
  const rowBytes = src.width * 3;
  for (let y = 0; y < src.height; y++) {
    const s = y * src.stride;
    data.set(src.data.subarray(s, s + rowBytes), (y + py) * stride + px * 3);
  }
  return { data, width: w, height: h, stride, format: src.format };
}

/** Mean and variance of the 4-neighbour Laplacian over the interior of a w x h gray plane. */
export function laplacianStats(
  gray: ArrayLike<number>,
  w: number,
  h: number,
  scale = 1,
): { mean: number; variance: number } {
  let brightness = 0;
  for (let i = 0; i < w * h; i++) brightness += gray[i]!;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = (gray[i - w]! + gray[i + w]! + gray[i - 1]! + gray[i + 1]! - 4 * gray[i]!) * scale;
      sum += l;
      sumSq += l * l;
      n++;
    }
  }
  const lm = n > 0 ? sum / n : 0;
  return { mean: (brightness / Math.max(1, w * h)) * scale, variance: n > 0 ? sumSq / n - lm * lm : 0 };
}
