// The landmark pose (models/landmarkPose.ts) against the pose model on real
// faces: scripts/eval/poseFit.ts measures it on held-out identities and clips;
// here a few images of ../shared/faces keep it from drifting, and bad input is a TypeError.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../models/decodeImage.ts';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { poseFromLandmarks } from '../../models/landmarkPose.ts';

const FACES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/faces');

describe('poseFromLandmarks()', () => {
  it('rejects anything but 68 points with a TypeError', () => {
    assert.throws(() => poseFromLandmarks([{ x: 1, y: 2 }]), TypeError);
  });

  it('follows the pose model on real faces: median yaw and pitch error under 8 degrees', { skip: existsSync(FACES) ? false : 'needs ../shared/faces' }, async (t) => {
    const analyzer = await FaceAnalyzer.create({ parallel: false });
    t.after(() => analyzer.close());
    const yaw: number[] = [];
    const pitch: number[] = [];
    for (const id of readdirSync(FACES).filter((d) => !d.includes('.')).slice(0, 8)) {
      const file = readdirSync(path.join(FACES, id)).find((f) => f.endsWith('.jpg'));
      if (file === undefined) continue;
      const face = (await analyzer.analyze(await decodeImage(readFileSync(path.join(FACES, id, file))), { stages: ['landmarks', 'pose'], maxFaces: 1 })).faces[0];
      if (!face?.landmarks || !face.pose) continue;
      const p = poseFromLandmarks(face.landmarks);
      yaw.push(Math.abs(p.yaw - face.pose.yaw));
      pitch.push(Math.abs(p.pitch - face.pose.pitch));
    }
    const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    assert.ok(yaw.length >= 6, `${yaw.length} faces`);
    assert.ok(med(yaw) < 8 && med(pitch) < 8, `median error yaw ${med(yaw)} pitch ${med(pitch)}`);
  });
});
