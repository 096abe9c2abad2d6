// withSymbolicBatch (bench:batching's model rewrite) on the real shipped
// models: the landmark model then runs at batch 3 with the same numbers as
// three single runs, and an unrelated byte layout survives (the rewritten
// model still runs at batch 1 with the original's output).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { defaultModelDir } from '../../../models/ModelRegistry.ts';
import { withSymbolicBatch } from '../../../scripts/lib/onnxBatch.ts';

describe('withSymbolicBatch', () => {
  it('makes fr_landmark batchable: batch 3 equals three single runs, batch 1 equals the shipped model', async () => {
    const bytes = readFileSync(path.join(defaultModelDir(), 'fr_landmark.onnx'));
    const original = await ort.InferenceSession.create(bytes);
    const batched = await ort.InferenceSession.create(withSymbolicBatch(bytes));
    try {
      assert.deepEqual(original.inputMetadata[0]!.isTensor && original.inputMetadata[0]!.shape, [1, 1, 64, 64]);
      assert.equal(batched.inputMetadata[0]!.isTensor && batched.inputMetadata[0]!.shape[0], 'N');
      const per = 64 * 64;
      const data = Float32Array.from({ length: 3 * per }, (_, i) => ((i * 7919) % 256) / 256);
      const out3 = (await batched.run({ input: new ort.Tensor('float32', data, [3, 1, 64, 64]) })).output!.data as Float32Array;
      assert.equal(out3.length, 3 * 136);
      for (let k = 0; k < 3; k++) {
        const one = new ort.Tensor('float32', data.slice(k * per, (k + 1) * per), [1, 1, 64, 64]);
        const a = (await original.run({ input: one })).output!.data as Float32Array;
        const b = (await batched.run({ input: one })).output!.data as Float32Array;
        for (let i = 0; i < 136; i++) {
          assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6);
          assert.ok(Math.abs(a[i]! - out3[k * 136 + i]!) < 1e-5);
        }
      }
      await assert.rejects(batched.run({ input: new ort.Tensor('float32', new Float32Array(per), [1, 1, 32, 128]) }));
    } finally {
      await original.release();
      await batched.release();
    }
  });
});
