// FaceAnalyzer.analyze({ track }): following the previous frame's face on
// its box instead of running the detector, and falling back to the detector
// when the face left the box. Real models, real photo shifted across a frame.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../models/decodeImage.ts';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import type { Face, FaceTrack, RawFrame } from '../../models/types.ts';

const MATT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/faces/Matt_Damon/img29.jpg');

let analyzer: FaceAnalyzer;
let photo: RawFrame;

before(async () => {
  analyzer = await FaceAnalyzer.create();
  photo = await decodeImage(readFileSync(MATT));
});

after(async () => {
  await analyzer.close();
});

/** The photo on a grey frame `dx` px wider, shifted right by `dx` (the face moved across the camera). */
function shifted(dx: number, width = photo.width + 320): RawFrame {
  const stride = width * 3;
  const data = new Uint8Array(stride * photo.height).fill(90);
  for (let y = 0; y < photo.height; y++) data.set(photo.data.subarray(y * photo.stride, y * photo.stride + photo.width * 3), y * stride + dx * 3);
  return { data, width, height: photo.height, stride, format: photo.format };
}

const trackOf = (f: Face): FaceTrack => ({ box: f.box, score: f.score, landmarks: f.landmarks! });
const centre = (f: Face): { x: number; y: number } => ({ x: (f.box.x1 + f.box.x2) / 2, y: (f.box.y1 + f.box.y2) / 2 });

describe('FaceAnalyzer tracking', () => {
  test('analyze({ track }) skips the detector, follows a face that moved 12 px and moves the box with it', async () => {
    const first = (await analyzer.analyze(shifted(0), { stages: ['landmarks'] })).faces[0]!;
    assert.ok(first.landmarks);
    const moved = shifted(12);
    const r = await analyzer.analyze(moved, { stages: ['landmarks', 'eyes', 'liveness', 'pose'], track: trackOf(first) });
    assert.equal(r.faces.length, 1);
    const f = r.faces[0]!;
    assert.equal(f.tracked, true);
    assert.equal(r.timings.detect, undefined, 'the detector did not run');
    assert.ok(f.eyes && f.live !== undefined && f.pose, 'the stages ran on the followed box');
    const detected = (await analyzer.analyze(moved, { stages: ['landmarks'] })).faces[0]!;
    const dx = centre(f).x - centre(first).x;
    assert.ok(dx > 6 && dx < 18, `box moved ${dx.toFixed(1)} px`);
    assert.ok(Math.abs(centre(f).x - centre(detected).x) < 10 && Math.abs(centre(f).y - centre(detected).y) < 10, 'the followed box is where the detector puts it');
  });

  test('analyze({ track }) falls back to the detector when the face left the box', async () => {
    const first = (await analyzer.analyze(shifted(0), { stages: ['landmarks'] })).faces[0]!;
    const far = shifted(300);
    const r = await analyzer.analyze(far, { stages: ['landmarks'], track: trackOf(first) });
    assert.equal(r.faces.length, 1);
    assert.equal(r.faces[0]!.tracked, undefined, 'detected, not followed');
    assert.equal(typeof r.timings.detect, 'number');
    assert.ok(centre(r.faces[0]!).x - centre(first).x > 250, 'the detector found the face where it went');
  });

  test('analyze({ track }) rejects a malformed track with a TypeError', async () => {
    const frame = shifted(0);
    await assert.rejects(analyzer.analyze(frame, { track: { box: { x1: 0, y1: 0, x2: 10, y2: 10 }, score: 1, landmarks: [] } }), TypeError);
    await assert.rejects(analyzer.analyze(frame, { track: { box: { x1: Number.NaN, y1: 0, x2: 10, y2: 10 }, score: 1, landmarks: [] } as FaceTrack }), TypeError);
  });
});
