import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawFrame } from '../../../models/types.ts';
import { planChallenges } from '../../../src/engine/challengePlan.ts';
import { gateFrame, landmarksPlausible, promptFor, reasonFor } from '../../../src/engine/frameGate.ts';
import { aggregateArtefacts, fuse } from '../../../src/engine/fusion.ts';
import { measureArtefacts } from '../../../src/engine/signals/artefacts.ts';
import { obs } from './fixtures.ts';

/** A 320x240 frame painted by `paint(x, y) -> [r, g, b]`. */
function frame(paint: (x: number, y: number) => [number, number, number], format: RawFrame['format'] = 'rgb24'): RawFrame {
  const width = 320;
  const height = 240;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      const i = (y * width + x) * 3;
      data[i] = format === 'rgb24' ? r : b;
      data[i + 1] = g;
      data[i + 2] = format === 'rgb24' ? b : r;
    }
  }
  return { data, width, height, stride: width * 3, format };
}

const box = { x1: 130, y1: 80, x2: 190, y2: 160 };
/** Smooth skin-coloured face on a textured, edge-free background. */
const skin = (x: number, y: number): [number, number, number] => {
  const inFace = x >= box.x1 && x < box.x2 && y >= box.y1 && y < box.y2;
  if (inFace) return [170 + ((x + y) % 7), 120 + (x % 5), 100];
  return [90 + ((x * 7 + y * 13) % 23), 90 + ((x * 3 + y * 5) % 19), 90 + ((x + y * 11) % 17)];
};

describe('artefact cues', () => {
  it('measureArtefacts() finds a bezel framing the face and none in an open scene', () => {
    const open = measureArtefacts(frame(skin), box).sample;
    // A dark phone body with bright bezel edges 20 px left and right of the face.
    const phone = measureArtefacts(
      frame((x, y) => {
        if (x < box.x1 - 20 || x >= box.x2 + 20) return [230, 230, 230];
        return skin(x, y);
      }),
      box,
    ).sample;
    assert.ok(open.edgeFrame < 0.2, `open scene edgeFrame ${open.edgeFrame}`);
    assert.ok(phone.edgeFrame > 0.5, `phone edgeFrame ${phone.edgeFrame}`);
  });

  it('measureArtefacts() ignores black padding bars around a pillarboxed picture (regression: square camera read as a bezel)', () => {
    // The live decoder pads a 4:3-fitted square camera with pure black bars
    // 40 px left and right: their edges frame the face like a phone bezel.
    const padded = (x: number, y: number): [number, number, number] => (x < 40 || x >= 280 ? [0, 0, 0] : skin(x, y));
    const narrowBox = { x1: 120, y1: 80, x2: 200, y2: 160 };
    assert.ok(measureArtefacts(frame(padded), narrowBox).sample.edgeFrame < 0.2);
    // A real bezel inside the picture is still found.
    const phoneInPadded = (x: number, y: number): [number, number, number] =>
      x < 40 || x >= 280 ? [0, 0, 0] : x < narrowBox.x1 - 20 || x >= narrowBox.x2 + 20 ? [230, 230, 230] : skin(x, y);
    assert.ok(measureArtefacts(frame(phoneInPadded), narrowBox).sample.edgeFrame > 0.5);
  });

  it('measureArtefacts() measures glare and blue cast on the face', () => {
    const glare = measureArtefacts(frame((x, y) => (x >= box.x1 && x < box.x2 && y < box.y1 + 30 && y >= box.y1 ? [255, 255, 255] : skin(x, y))), box).sample;
    assert.ok(glare.glare > 0.3, `glare ${glare.glare}`);
    const blue = measureArtefacts(frame((x, y) => (x >= box.x1 && x < box.x2 && y >= box.y1 && y < box.y2 ? [100, 120, 190] : skin(x, y))), box).sample;
    assert.ok(blue.blueCast > 0.15, `blueCast ${blue.blueCast}`);
    assert.ok(measureArtefacts(frame(skin), box).sample.blueCast < 0);
  });

  it('measureArtefacts() reads BGR frames like RGB ones', () => {
    const a = measureArtefacts(frame(skin, 'rgb24'), box).sample;
    const b = measureArtefacts(frame(skin, 'bgr24'), box).sample;
    assert.ok(Math.abs(a.blueCast - b.blueCast) < 1e-9);
    assert.deepEqual(a.skinRgb, b.skinRgb);
  });

  it('measureArtefacts() reports zero temporal difference for a repeated frame and more for a changed one', () => {
    const f = frame(skin);
    const first = measureArtefacts(f, box);
    assert.ok(Number.isNaN(first.sample.temporalDiff));
    assert.equal(measureArtefacts(f, box, first.grid).sample.temporalDiff, 0);
    const moved = measureArtefacts(frame((x, y) => skin(x + 3, y)), box, first.grid).sample.temporalDiff;
    assert.ok(moved > 0.5, `moved ${moved}`);
  });

  it('measureArtefacts() cellDiff ignores a jittering face box and pixel noise on an unchanged picture, and sees a moved face', () => {
    const f = frame(skin);
    const first = measureArtefacts(f, box);
    assert.ok(Number.isNaN(first.sample.cellDiff));
    // The detector's box moves by 2 px on the same picture: the point grid reads it as change, the cells do not.
    const shifted = { x1: box.x1 + 2, y1: box.y1 - 2, x2: box.x2 + 2, y2: box.y2 - 2 };
    const jitter = measureArtefacts(f, shifted, first.grid).sample;
    assert.equal(jitter.cellDiff, 0);
    // Codec-like noise: +-3 gray levels on single pixels averages out in a cell.
    const noisy = frame((x, y) => skin(x, y).map((v) => v + (((x * 7 + y * 13) % 7) - 3)) as [number, number, number]);
    assert.ok(measureArtefacts(noisy, box, first.grid).sample.cellDiff < 0.3);
    const moved = measureArtefacts(frame((x, y) => skin(x + 6, y + 3)), box, first.grid).sample.cellDiff;
    assert.ok(moved > 1, `moved ${moved}`);
  });

  it('measureArtefacts() rejects a buffer smaller than its size says', () => {
    const bad = { data: new Uint8Array(10), width: 320, height: 240, stride: 960, format: 'rgb24' as const };
    assert.throws(() => measureArtefacts(bad, box), TypeError);
  });

  it('fuse() scores a clean aggregate 0 and any one strong cue as spoof', () => {
    const clean = aggregateArtefacts([obs(0).artefacts!, obs(100).artefacts!, obs(200).artefacts!, obs(300).artefacts!, obs(400).artefacts!]);
    assert.equal(fuse(clean).spoofScore, 0);
    const bezel = aggregateArtefacts([0, 1, 2, 3, 4].map((i) => ({ ...obs(i).artefacts!, edgeFrame: 0.6 })));
    assert.equal(fuse(bezel).spoofScore, 1);
    assert.equal(fuse(bezel).contributions.edgeFrame, 1);
    // Too few frames: no verdict from artefacts yet.
    assert.equal(fuse(aggregateArtefacts([{ ...obs(0).artefacts!, edgeFrame: 0.9 }])).spoofScore, 0);
  });
});

describe('frame gate', () => {
  it('gateFrame() accepts a centred frontal face and names each problem', () => {
    assert.equal(gateFrame(obs(0), true), 'ok');
    assert.equal(gateFrame(obs(0, { faceCount: 0 }), true), 'no_face');
    assert.equal(gateFrame(obs(0, { faceCount: 2 }), true), 'multiple_faces');
    assert.equal(gateFrame(obs(0, { size: 50 }), true), 'face_too_small');
    assert.equal(gateFrame(obs(0, { frontalness: 0.2 }), true), 'not_frontal');
    assert.equal(gateFrame(obs(0, { frontalness: 0.2 }), false), 'ok');
    const o = obs(0);
    assert.equal(gateFrame({ ...o, face: { ...o.face!, quality: { ...o.face!.quality!, brightness: 10 } } }, true), 'too_dark');
    assert.equal(gateFrame({ ...o, face: { ...o.face!, quality: { ...o.face!.quality!, sharpness: 1 } } }, true), 'too_blurry');
    const off = { ...o.face!, box: { x1: 0, y1: 0, x2: 200, y2: 200 } };
    assert.equal(gateFrame({ ...o, face: off }, true), 'off_center');
  });

  it('gateFrame() reports occluded when the landmarks are not a face', () => {
    const o = obs(0);
    const p = o.face!.fivePoints!;
    // Mouth above the eyes: a hand or an object read as a face.
    const swapped = [p[0]!, p[1]!, p[2]!, { x: p[3]!.x, y: p[0]!.y - 30 }, { x: p[4]!.x, y: p[1]!.y - 30 }];
    assert.equal(landmarksPlausible({ ...o.face!, fivePoints: swapped }), false);
    assert.equal(gateFrame({ ...o, face: { ...o.face!, fivePoints: swapped } }, true), 'occluded');
  });

  it('promptFor() and reasonFor() map every gate verdict', () => {
    assert.equal(promptFor('face_too_small'), 'move_closer');
    assert.equal(reasonFor('too_dark'), 'poor_quality');
    assert.equal(reasonFor('occluded'), 'occluded');
  });
});

describe('challenge plan', () => {
  it('planChallenges() draws distinct families and includes colour flash only when the transport can paint', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = planChallenges({ count: 2 });
      assert.equal(p.length, 2);
      assert.notEqual(p[0]!.kind.slice(0, 4), p[1]!.kind.slice(0, 4));
      for (const c of p) {
        assert.notEqual(c.kind, 'color_flash');
        assert.ok(c.delayMs >= 200 && c.delayMs <= 800);
      }
      seen.add(p.map((c) => c.kind).join(','));
    }
    // Order and direction vary between sessions.
    assert.ok(seen.size >= 4, [...seen].join(' '));
    assert.ok(planChallenges({ count: 3, flash: true }).some((c) => c.kind === 'color_flash'));
    assert.throws(() => planChallenges({ count: 3, flash: false }), TypeError);
  });
});
