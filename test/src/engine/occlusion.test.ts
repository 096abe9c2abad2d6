// The eye-crop occlusion cue with the real face analyzer: real-face photos of
// ../shared/faces as they are and with synthetic occlusions painted over the
// eyes, and genuine clips of people wearing ordinary glasses, frame by frame.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../../models/decodeImage.ts';
import { FaceAnalyzer } from '../../../models/FaceAnalyzer.ts';
import type { RawFrame } from '../../../models/types.ts';
import { decodeClip } from '../../../scripts/eval/lib/decodeClip.ts';
import { EyeCoverTracker } from '../../../src/engine/EyeCoverTracker.ts';
import { DEFAULT_GATE_OPTIONS, gateFrame } from '../../../src/engine/frameGate.ts';
import { evaluateOcclusion } from '../../../scripts/eval/lib/occlusionEval.ts';
import { measureEyeCrops } from '../../../src/engine/signals/eyeCrop.ts';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared');
const FACES = path.join(SHARED, 'faces');
const VIDEO = path.join(SHARED, 'video', 'genuine');
const present = existsSync(FACES) && existsSync(VIDEO);

describe('eye-crop occlusion cue', { skip: present ? false : 'needs ../shared/faces and ../shared/video' }, () => {
  let analyzer: FaceAnalyzer;
  before(async () => {
    analyzer = await FaceAnalyzer.create({});
  });
  after(async () => {
    await analyzer?.close();
  });

  it('evaluateOcclusion(): no real-face photo gates occluded; sunglasses and black patches over the eyes do, skin patches mostly', async () => {
    // The first two photos of every identity folder (a spread of people, lighting and glasses).
    const files = readdirSync(FACES)
      .map((d) => path.join(FACES, d))
      .filter((d) => statSync(d).isDirectory())
      .flatMap((d) => readdirSync(d).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort().slice(0, 2).map((f) => path.join(d, f)));
    assert.ok(files.length >= 30, `${files.length} photos`);
    async function* frames(): AsyncGenerator<RawFrame> {
      for (const f of files) yield await decodeImage(new Uint8Array(readFileSync(f)));
    }
    const rows = new Map((await evaluateOcclusion(analyzer, frames())).map((r) => [r.kind, r]));
    const none = rows.get('none')!;
    assert.ok(none.photos >= 30, `${none.photos} photos with a face`);
    assert.equal(none.occluded, 0, `false occlusions ${none.occluded}/${none.photos}`);
    const hit = (k: 'black_patch' | 'sunglasses' | 'skin_patch'): number => {
      const r = rows.get(k)!;
      return (r.occluded + r.noFace) / r.photos;
    };
    assert.ok(hit('black_patch') >= 0.85, `black patch ${hit('black_patch')}`);
    assert.ok(hit('sunglasses') >= 0.85, `sunglasses ${hit('sunglasses')}`);
    assert.ok(hit('skin_patch') >= 0.6, `skin patch ${hit('skin_patch')}`);
  });

  it('EyeCoverTracker + gateFrame(): genuine clips with glasses (d9, d13, zubaircrackscode_real) never gate occluded by the eye crops', async () => {
    for (const clip of ['liveportrait_d9.mp4', 'liveportrait_d13.mp4', 'zubaircrackscode_real.mov']) {
      const tracker = new EyeCoverTracker();
      let frontal = 0;
      let covered = 0;
      for await (const { frame, t } of decodeClip(path.join(VIDEO, clip), { fps: 10, maxSide: 640 })) {
        const r = await analyzer.analyze(frame, { stages: ['landmarks', 'quality'], maxFaces: 1 });
        const face = r.faces[0];
        const eyeCrop = face ? measureEyeCrops(frame, face.fivePoints) : undefined;
        const obs = { t, width: r.width, height: r.height, faceCount: r.faces.length, ...(face ? { face } : {}), ...(eyeCrop ? { eyeCrop } : {}) };
        const isCovered = tracker.update(obs);
        if (face && (face.quality?.frontalness ?? 1) >= DEFAULT_GATE_OPTIONS.minFrontalness) frontal++;
        if (isCovered && gateFrame(obs, true, DEFAULT_GATE_OPTIONS, true) === 'occluded') covered++;
      }
      assert.ok(frontal > 20, `${clip}: ${frontal} frontal frames`);
      assert.equal(covered, 0, `${clip}: ${covered} frames gated occluded`);
    }
  });
});
