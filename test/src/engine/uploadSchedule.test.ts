// Uploaded frames (REST, frame socket) are analysed on a schedule by frame
// count: the regression behind the reverted h/capacity merge, where a REST
// authentication of the documented conformance flow ended too_many_frames
// because a schedule spaced in wall-clock ms ran embeddings every 400 ms of
// upload time (none for dozens of back-to-back uploads) and followed the face
// through the blink, whose eye readings then depended on upload timing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FaceAnalyzer } from '../../../models/FaceAnalyzer.ts';
import type { RawFrame } from '../../../models/types.ts';
import { CLIP_SCHEDULES } from '../../../scripts/eval/lib/clipRunner.ts';
import { decodeClip } from '../../../scripts/eval/lib/decodeClip.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessEngine } from '../../../src/engine/LivenessEngine.ts';
import { ManualClock } from '../../../src/engine/ManualClock.ts';
import type { Decision } from '../../../src/engine/types.ts';
import { RecordingSink } from './fixtures.ts';

const VIDEO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/video');
// The clip the conformance test uploads.
const CLIP = path.join(VIDEO, 'genuine', 'liveportrait_d0.mp4');

describe('uploaded frames are analysed by frame count', { skip: existsSync(CLIP) ? false : 'needs ../shared/video' }, () => {
  let analyzer: FaceAnalyzer;
  const frames: RawFrame[] = [];

  before(async () => {
    analyzer = await FaceAnalyzer.create({});
    for await (const { frame } of decodeClip(CLIP, { fps: 10, maxSeconds: 6 })) frames.push(frame);
  });
  after(async () => {
    await analyzer?.close();
  });

  /** Uploads the clip's frames `spacingMs` apart on the engine clock until the session decides. */
  const upload = async (spacingMs: number, kind: 'enrollment' | 'identification'): Promise<{ decision: Decision | undefined; stages: string[] }> => {
    const clock = new ManualClock(0);
    const engine = new LivenessEngine({ gallery: new InMemoryGallery(), analyzer, clock });
    try {
      const sink = new RecordingSink();
      const rec = await engine.create({ kind, ...(kind === 'enrollment' ? { subjectId: 'd0' } : {}), sink, fixedSchedule: CLIP_SCHEDULES.blink, uploaded: true, flash: false });
      await engine.connect(rec.id);
      const stages: string[] = [];
      for (let i = 0; i < frames.length && sink.of('result').length === 0; i++) {
        clock.set(i * spacingMs);
        stages.push(engine.wantedStages(rec.id, clock.now()).join(','));
        assert.equal(await engine.pushFrame(rec.id, frames[i]!, clock.now()), true);
      }
      return { decision: sink.of('result')[0]?.decision, stages };
    } finally {
      await engine.close();
    }
  };

  it('an enrollment uploaded back-to-back (15 ms apart) and sparse (400 ms apart) decides, on the same frames as at 10 fps', async () => {
    const paced = await upload(100, 'enrollment');
    assert.equal(paced.decision?.outcome, 'succeeded', `at 10 fps: ${paced.decision?.reason}`);
    for (const spacing of [15, 400]) {
      const r = await upload(spacing, 'enrollment');
      assert.equal(r.decision?.outcome, 'succeeded', `${spacing} ms apart: ${r.decision?.reason} after ${r.decision?.timings.frames} frames`);
      assert.equal(r.decision?.timings.frames, paced.decision?.timings.frames, `${spacing} ms apart decides on the same frame`);
      assert.deepEqual(r.stages, paced.stages, `${spacing} ms apart asks for the same stages frame by frame`);
    }
  });

  it('an identification uploaded back-to-back reaches the match (no_match on an empty gallery) within 20 frames', async () => {
    const r = await upload(15, 'identification');
    assert.equal(r.decision?.reason, 'no_match', JSON.stringify(r.decision?.timings));
    assert.ok(r.decision!.timings.frames <= 20, `decided after ${r.decision!.timings.frames} frames`);
  });
});
