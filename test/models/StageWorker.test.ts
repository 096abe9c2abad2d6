import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultModelDir } from '../../models/ModelRegistry.ts';
import { StageWorker } from '../../models/StageWorker.ts';

describe('StageWorker', () => {
  test('StageWorker.run() scores a shared frame and rejects after close()', async () => {
    const w = await StageWorker.start({ dir: defaultModelDir(), intraOpThreads: 1 });
    const width = 320;
    const height = 240;
    const buffer = new SharedArrayBuffer(width * height * 3);
    new Uint8Array(buffer).fill(90);
    const frame = { buffer, byteOffset: 0, byteLength: buffer.byteLength, width, height, stride: width * 3, format: 'rgb24' as const };
    const r = await w.run(frame, { x1: 100, y1: 60, x2: 200, y2: 160 }, { liveness: true, pose: true });
    assert.ok(r.live !== undefined && r.live >= 0 && r.live <= 1);
    assert.ok(r.pose !== undefined && Number.isFinite(r.pose.yaw));
    assert.equal(typeof r.ms.liveness, 'number');
    await w.close();
    await w.close();
    assert.equal(w.alive, false);
    await assert.rejects(w.run(frame, { x1: 0, y1: 0, x2: 10, y2: 10 }, { liveness: true, pose: false }), /closed/);
  });

  test('StageWorker.run() answers overlapping jobs each with its own result', async (t) => {
    const w = await StageWorker.start({ dir: defaultModelDir(), intraOpThreads: 1 });
    t.after(() => w.close());
    const width = 320;
    const height = 240;
    const buffer = new SharedArrayBuffer(width * height * 3);
    const px = new Uint8Array(buffer);
    for (let i = 0; i < px.length; i++) px[i] = (i * 31) % 251;
    const frame = { buffer, byteOffset: 0, byteLength: buffer.byteLength, width, height, stride: width * 3, format: 'rgb24' as const };
    const boxA = { x1: 20, y1: 20, x2: 120, y2: 120 };
    const boxB = { x1: 150, y1: 90, x2: 230, y2: 170 };
    const both = { liveness: true, pose: true };
    const a1 = await w.run(frame, boxA, both);
    const b1 = await w.run(frame, boxB, both);
    const [a2, b2] = await Promise.all([w.run(frame, boxA, both), w.run(frame, boxB, both)]);
    assert.equal(a2.live, a1.live);
    assert.deepEqual(a2.pose, a1.pose);
    assert.equal(b2.live, b1.live);
    assert.deepEqual(b2.pose, b1.pose);
  });

  test('StageWorker.start() fails with model_missing for a folder without models', async () => {
    await assert.rejects(StageWorker.start({ dir: '/nonexistent-facegate-models', intraOpThreads: 1 }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'model_missing');
      return true;
    });
  });
});
