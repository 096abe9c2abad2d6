import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALIGN_REFERENCE,
  decodeDetections,
  eyeCropRects,
  fivePointsFrom68,
  invertSimilarity,
  letterbox,
  poseAngle,
  poseCropRect,
  scaledCropRect,
  similarityTransform,
  softmax,
} from '../../models/faceGeometry.ts';

describe('similarityTransform', () => {
  test('similarityTransform() recovers a known rotation, scale and shift', () => {
    const ang = 0.3;
    const s = 1.7;
    const a = s * Math.cos(ang);
    const b = s * Math.sin(ang);
    const src = ALIGN_REFERENCE;
    const dst = src.map((p) => ({ x: a * p.x - b * p.y + 5, y: b * p.x + a * p.y - 3 }));
    const m = similarityTransform(src, dst);
    const want = [a, -b, 5, b, a, -3];
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(m[i]! - want[i]!) < 1e-9, `m[${i}] ${m[i]} vs ${want[i]}`);
  });

  test('similarityTransform() is least squares, not exact, for noisy points', () => {
    const dst = ALIGN_REFERENCE.map((p, i) => ({ x: p.x + (i % 2 ? 1 : -1), y: p.y }));
    const m = similarityTransform(ALIGN_REFERENCE, dst);
    assert.ok(Math.abs(m[0]! - 1) < 0.05 && Math.abs(m[3]!) < 0.05);
  });

  test('invertSimilarity() undoes the transform', () => {
    const m = similarityTransform(ALIGN_REFERENCE, ALIGN_REFERENCE.map((p) => ({ x: 2 * p.y + 1, y: -2 * p.x + 4 })));
    const inv = invertSimilarity(m);
    for (const p of ALIGN_REFERENCE) {
      const x = m[0]! * p.x + m[1]! * p.y + m[2]!;
      const y = m[3]! * p.x + m[4]! * p.y + m[5]!;
      assert.ok(Math.abs(inv[0]! * x + inv[1]! * y + inv[2]! - p.x) < 1e-9);
      assert.ok(Math.abs(inv[3]! * x + inv[4]! * y + inv[5]! - p.y) < 1e-9);
    }
  });

  test('similarityTransform() rejects coincident points', () => {
    const p = { x: 1, y: 1 };
    assert.throws(() => similarityTransform([p, p], [p, { x: 2, y: 2 }]), RangeError);
  });
});

describe('decodeDetections', () => {
  const lb = letterbox(640, 480, 320, 240);

  test('letterbox() keeps the aspect ratio', () => {
    assert.deepEqual(letterbox(640, 480, 320, 240), { rw: 320, rh: 240 });
    assert.deepEqual(letterbox(1000, 500, 320, 240), { rw: 320, rh: 160 });
  });

  test('decodeDetections() thresholds, keeps the best of overlapping boxes and squares them', () => {
    // Four priors: two overlapping (0.9, 0.8), one apart (0.7), one under the threshold (0.5).
    const scores = new Float32Array([0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.5, 0.5]);
    const boxes = new Float32Array([
      0.1, 0.1, 0.3, 0.4, // best
      0.11, 0.1, 0.31, 0.41, // overlaps the best
      0.6, 0.5, 0.8, 0.8,
      0.0, 0.0, 1.0, 1.0,
    ]);
    const d = decodeDetections(scores, boxes, {
      inW: 320, inH: 240, frameW: 640, frameH: 480, lb, threshold: 0.65, iou: 0.4, topK: 750,
    });
    assert.equal(d.length, 2);
    assert.ok(Math.abs(d[0]!.score - 0.9) < 1e-6);
    assert.ok(Math.abs(d[1]!.score - 0.7) < 1e-6);
    // square: side = height (0.3 * 480 = 144) centred on x (0.2 * 640 = 128)
    assert.ok(Math.abs(d[0]!.x2 - d[0]!.x1 - 144) < 1e-3);
    assert.ok(Math.abs((d[0]!.x1 + d[0]!.x2) / 2 - 128) < 1e-3);
  });

  test('decodeDetections() returns nothing when no score reaches the threshold', () => {
    const d = decodeDetections(new Float32Array([0.9, 0.1]), new Float32Array([0, 0, 1, 1]), {
      inW: 320, inH: 240, frameW: 640, frameH: 480, lb, threshold: 0.65, iou: 0.4, topK: 750,
    });
    assert.deepEqual(d, []);
  });
});

describe('crop rectangles', () => {
  test('scaledCropRect() scales about the centre and shifts inside the frame', () => {
    const r = scaledCropRect(640, 480, { x: 300, y: 200, w: 100, h: 100 }, 2);
    assert.deepEqual(r, { x: 250, y: 150, w: 200, h: 200 });
    const edge = scaledCropRect(640, 480, { x: 0, y: 0, w: 100, h: 100 }, 2.7);
    assert.equal(edge.x, 0);
    assert.equal(edge.y, 0);
    assert.equal(edge.w, 270);
    const big = scaledCropRect(640, 480, { x: 100, y: 50, w: 400, h: 400 }, 2.7);
    assert.ok(big.x >= 0 && big.y >= 0 && big.x + big.w <= 640 && big.y + big.h <= 480);
  });

  test('poseCropRect() widens by a quarter on each side', () => {
    assert.deepEqual(poseCropRect(640, 480, { x1: 200, y1: 100, x2: 300, y2: 200 }), { x: 175, y: 75, w: 150, h: 150 });
  });

  test('fivePointsFrom68() and eyeCropRects() use the lid points and corners', () => {
    const lm = new Float64Array(136);
    for (let i = 0; i < 68; i++) {
      lm[2 * i] = 100 + i;
      lm[2 * i + 1] = 50;
    }
    const five = fivePointsFrom68(lm);
    assert.equal(five[0]!.x, 100 + (37 + 38 + 40 + 41) / 4);
    assert.equal(five[2]!.x, 130);
    assert.equal(five[4]!.x, 100 + (54 + 64) / 2);
    const [l] = eyeCropRects(lm, 640, 480);
    // width 1.6 * (139 - 136) = 4.8 -> 4, centred on the lid mean 139
    assert.deepEqual(l, { x: 137, y: 48, w: 4, h: 4 });
  });
});

describe('small math', () => {
  test('softmax() sums to 1 and keeps the order', () => {
    const p = softmax([1, 3, 2]);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(p[1]! > p[2]! && p[2]! > p[0]!);
  });

  test('poseAngle() maps a peaked bin i to 3i - 99 degrees', () => {
    const bins = new Float32Array(66).fill(-50);
    bins[33] = 50;
    assert.ok(Math.abs(poseAngle(bins) - 0) < 1e-6);
    bins[33] = -50;
    bins[43] = 50;
    assert.ok(Math.abs(poseAngle(bins) - 30) < 1e-6);
  });
});
