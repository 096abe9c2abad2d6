// Kernels against sharp (resize) and against plain reference formulas
// (sampling conventions, channel order, normalisation, warp, gray, Laplacian).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import {
  convertFormat,
  cropView,
  laplacianStats,
  padFrame,
  resizeBilinear,
  resizeToTensor,
  toGray,
  warpAffineToTensor,
  type TensorSpec,
} from '../../models/imageKernels.ts';
import type { RawFrame } from '../../models/types.ts';

function smoothFrame(w: number, h: number, format: RawFrame['format'] = 'rgb24', stride = w * 3): RawFrame {
  const data = new Uint8Array(stride * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) data[y * stride + x * 3 + c] = Math.round(127 + 100 * Math.sin(x / 5 + c) * Math.cos(y / 7 - c));
    }
  }
  return { data, width: w, height: h, stride, format };
}

/** Straightforward OpenCV-style bilinear sample of channel c at a source coordinate (edge replicate). */
function refSample(f: RawFrame, fx: number, fy: number, c: number): number {
  const x = Math.min(Math.max(fx, 0), f.width - 1);
  const y = Math.min(Math.max(fy, 0), f.height - 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, f.width - 1);
  const y1 = Math.min(y0 + 1, f.height - 1);
  const ax = x - x0;
  const ay = y - y0;
  const g = (xx: number, yy: number): number => f.data[yy * f.stride + xx * 3 + c]!;
  return (g(x0, y0) * (1 - ax) + g(x1, y0) * ax) * (1 - ay) + (g(x0, y1) * (1 - ax) + g(x1, y1) * ax) * ay;
}

function diff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('resizeBilinear', () => {
  test('resizeBilinear() matches sharp on downscales within 1 level on average', async () => {
    const src = smoothFrame(97, 73);
    for (const [w, h] of [
      [80, 60],
      [60, 40],
      [48, 36],
    ] as const) {
      const ref = await sharp(Buffer.from(src.data), { raw: { width: 97, height: 73, channels: 3 } })
        .resize(w, h, { kernel: 'linear', fit: 'fill' })
        .raw()
        .toBuffer();
      const d = diff(resizeBilinear(src, w, h).data, ref);
      assert.ok(d.mean < 1 && d.max <= 4, `${w}x${h}: mean ${d.mean} max ${d.max}`);
    }
  });

  test('resizeBilinear() upscale stays pixel-centre aligned with sharp', async () => {
    const src = smoothFrame(97, 73);
    const ref = await sharp(Buffer.from(src.data), { raw: { width: 97, height: 73, channels: 3 } })
      .resize(194, 146, { kernel: 'linear', fit: 'fill' })
      .raw()
      .toBuffer();
    // A half-pixel misalignment reads ~5.4 here; sharp's upsizing kernel is not pure bilinear, so allow ~3.
    const d = diff(resizeBilinear(src, 194, 146).data, ref);
    assert.ok(d.mean < 3.5, `mean ${d.mean}`);
  });

  test('resizeBilinear() equals the reference half-pixel formula exactly (after rounding)', () => {
    const src = smoothFrame(50, 40, 'bgr24', 50 * 3 + 7);
    const out = resizeBilinear(src, 33, 29);
    assert.equal(out.format, 'bgr24');
    for (let y = 0; y < 29; y++) {
      for (let x = 0; x < 33; x++) {
        for (let c = 0; c < 3; c++) {
          const v = refSample(src, (x + 0.5) * (50 / 33) - 0.5, (y + 0.5) * (40 / 29) - 0.5, c);
          assert.ok(Math.abs(out.data[(y * 33 + x) * 3 + c]! - v) <= 0.5 + 1e-3, `(${x},${y},${c})`);
        }
      }
    }
  });

  test('resizeBilinear() rejects a stride shorter than a row', () => {
    const f = smoothFrame(10, 10);
    assert.throws(() => resizeBilinear({ ...f, stride: 20 }, 5, 5), TypeError);
  });
});

describe('resizeToTensor', () => {
  const spec: TensorSpec = { layout: 'rgb', mean: [10, 20, 30], mul: [0.5, 0.25, 2] };

  test('resizeToTensor() writes planar normalised channels in the requested order', () => {
    const f = smoothFrame(16, 12, 'bgr24');
    const out = new Float32Array(3 * 16 * 12);
    resizeToTensor(f, 16, 12, out, spec);
    // Same size: every tensor value is the source byte, normalised; plane 0 = R = byte 2 of a bgr pixel.
    for (let i = 0; i < 16 * 12; i++) {
      assert.equal(out[i], (f.data[i * 3 + 2]! - 10) * 0.5);
      assert.equal(out[192 + i], (f.data[i * 3 + 1]! - 20) * 0.25);
      assert.equal(out[384 + i], (f.data[i * 3]! - 30) * 2);
    }
  });

  test('resizeToTensor() letterboxes: pad value outside the resized area', () => {
    const f = smoothFrame(40, 20);
    const out = new Float32Array(3 * 32 * 24).fill(NaN);
    const s: TensorSpec = { layout: 'bgr', mean: [127, 127, 127], mul: [1 / 128, 1 / 128, 1 / 128] };
    resizeToTensor(f, 32, 16, out, s, 32, 24, 127);
    for (let p = 0; p < 3; p++) {
      for (let y = 0; y < 24; y++) {
        for (let x = 0; x < 32; x++) {
          const v = out[p * 768 + y * 32 + x]!;
          if (y >= 16) assert.equal(v, 0);
          else {
            const c = 2 - p; // bgr plane p holds rgb byte 2 - p
            const ref = (refSample(f, (x + 0.5) * 1.25 - 0.5, (y + 0.5) * 1.25 - 0.5, c) - 127) / 128;
            assert.ok(Math.abs(v - ref) < 1e-4, `(${p},${x},${y}) ${v} vs ${ref}`);
          }
        }
      }
    }
  });

  test('resizeToTensor() even-factor shrinks (2x, 4x) equal the bilinear formula', () => {
    for (const k of [2, 4]) {
      const f = smoothFrame(32 * k, 12 * k, 'rgb24', 32 * k * 3 + 5);
      const out = new Float32Array(3 * 32 * 16);
      resizeToTensor(f, 32, 12, out, spec, 32, 16, 127);
      for (let p = 0; p < 3; p++) {
        for (let y = 0; y < 16; y++) {
          for (let x = 0; x < 32; x++) {
            const v = out[p * 512 + y * 32 + x]!;
            const raw = y >= 12 ? 127 : refSample(f, (x + 0.5) * k - 0.5, (y + 0.5) * k - 0.5, p);
            const ref = (raw - spec.mean[p]!) * spec.mul[p]!;
            assert.ok(Math.abs(v - ref) < 1e-3, `k=${k} (${p},${x},${y}) ${v} vs ${ref}`);
          }
        }
      }
    }
  });

  test('resizeToTensor() gray uses the given weights', () => {
    const data = new Uint8Array([200, 100, 50, 200, 100, 50, 200, 100, 50, 200, 100, 50]);
    const f: RawFrame = { data, width: 2, height: 2, stride: 6, format: 'rgb24' };
    const out = new Float32Array(4);
    resizeToTensor(f, 2, 2, out, { layout: 'gray', mean: [0, 0, 0], mul: [1, 0, 0], grayWeights: [0.114, 0.587, 0.299] });
    for (const v of out) assert.ok(Math.abs(v - (0.114 * 200 + 0.587 * 100 + 0.299 * 50)) < 1e-3);
  });

  test('resizeToTensor() rejects a buffer that is too small', () => {
    assert.throws(() => resizeToTensor(smoothFrame(8, 8), 8, 8, new Float32Array(10), spec), TypeError);
  });
});

describe('warpAffineToTensor', () => {
  const id: TensorSpec = { layout: 'rgb', mean: [0, 0, 0], mul: [1, 1, 1] };

  test('warpAffineToTensor() with the identity copies the frame', () => {
    const f = smoothFrame(20, 10);
    const out = new Float32Array(3 * 200);
    warpAffineToTensor(f, [1, 0, 0, 0, 1, 0], 20, 10, out, id);
    for (let i = 0; i < 200; i++) for (let c = 0; c < 3; c++) assert.equal(out[c * 200 + i], f.data[i * 3 + c]);
  });

  test('warpAffineToTensor() samples sub-pixel shifts bilinearly and fills outside with the border', () => {
    const f = smoothFrame(20, 10);
    const out = new Float32Array(3 * 200);
    warpAffineToTensor(f, [1, 0, 0.25, 0, 1, -0.5], 20, 10, out, id, 0);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 19; x++) {
        const fx = x + 0.25;
        const fy = y - 0.5;
        let ref: number;
        if (fy < 0) {
          // top neighbour outside: border 0 weighted by 0.5
          ref = 0.5 * ((1 - 0.25) * f.data[x * 3]! + 0.25 * f.data[(x + 1) * 3]!);
        } else ref = refSample(f, fx, fy, 0);
        assert.ok(Math.abs(out[y * 20 + x]! - ref) < 1e-3, `(${x},${y}) ${out[y * 20 + x]} vs ${ref}`);
      }
    }
    const far = new Float32Array(3 * 4);
    warpAffineToTensor(f, [1, 0, 100, 0, 1, 100], 2, 2, far, id, 7);
    assert.deepEqual([...far], new Array(12).fill(7));
  });
});

describe('pixel helpers', () => {
  test('cropView() is a zero-copy view clipped to the frame', () => {
    const f = smoothFrame(10, 8);
    const v = cropView(f, { x: 6, y: 5, w: 10, h: 10 });
    assert.equal(v.width, 4);
    assert.equal(v.height, 3);
    assert.equal(v.data.buffer, f.data.buffer);
    assert.equal(v.data[0], f.data[5 * 30 + 18]);
  });

  test('convertFormat() swaps red and blue and packs rows', () => {
    const f = smoothFrame(5, 4, 'rgb24', 20);
    const b = convertFormat(f, 'bgr24');
    assert.equal(b.stride, 15);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 5; x++) {
        assert.equal(b.data[y * 15 + x * 3], f.data[y * 20 + x * 3 + 2]);
        assert.equal(b.data[y * 15 + x * 3 + 2], f.data[y * 20 + x * 3]);
      }
    }
  });

  test('toGray() gives the same gray for rgb24 and bgr24 copies', () => {
    const f = smoothFrame(9, 7);
    assert.deepEqual(toGray(f), toGray(convertFormat(f, 'bgr24')));
    const px = toGray({ data: new Uint8Array([255, 0, 0]), width: 1, height: 1, stride: 3, format: 'rgb24' });
    assert.equal(px[0], Math.round(0.299 * 255));
  });

  test('padFrame() surrounds the frame with the fill value', () => {
    const f = smoothFrame(4, 3);
    const p = padFrame(f, 2, 1, 127);
    assert.equal(p.width, 8);
    assert.equal(p.height, 5);
    assert.equal(p.data[0], 127);
    assert.equal(p.data[1 * p.stride + 2 * 3], f.data[0]);
  });

  test('laplacianStats() is 0 on a flat image and large on a checkerboard', () => {
    const flat = new Float32Array(64).fill(0.5);
    assert.equal(laplacianStats(flat, 8, 8, 256).variance, 0);
    assert.equal(laplacianStats(flat, 8, 8, 256).mean, 128);
    const cb = new Float32Array(64);
    for (let i = 0; i < 64; i++) cb[i] = ((i >> 3) + (i & 7)) % 2;
    assert.ok(laplacianStats(cb, 8, 8, 255).variance > 1e5);
  });
});
