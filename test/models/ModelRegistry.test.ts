import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ModelError } from '../../models/errors.ts';
import { httpStatus } from '../../src/api/httpStatus.ts';
import { defaultModelDir, ModelRegistry } from '../../models/ModelRegistry.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-models-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('ModelRegistry', () => {
  test('ModelRegistry.open() loads, verifies and warms the installed models', async (t) => {
    const reg = await ModelRegistry.open({ models: ['eye', 'landmark'], intraOpThreads: 1 });
    t.after(() => reg.close());
    assert.equal(reg.dir, defaultModelDir());
    assert.ok(reg.has('eye') && reg.has('landmark') && !reg.has('feature'));
    const info = reg.info();
    assert.equal(info.length, 2);
    assert.deepEqual(info.find((i) => i.name === 'eye')?.inputShape, [1, 1, 24, 24]);
    assert.throws(() => reg.session('feature'), /not loaded/);
  });

  test('ModelRegistry.open() fails with model_missing naming the file when a model is absent', async (t) => {
    const dir = tempDir(t);
    await assert.rejects(ModelRegistry.open({ dir, models: ['eye'] }), (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.equal(e.code, 'model_missing');
      assert.equal(httpStatus(e.code), 503);
      assert.match(e.message, /fr_eye\.onnx/);
      assert.match(e.message, /Fix: /);
      assert.equal(e.details?.file, path.join(dir, 'fr_eye.onnx'));
      return true;
    });
  });

  test('ModelRegistry.open() fails with model_altered when one byte of a model changed', async (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'fr_eye.onnx');
    const bytes = readFileSync(path.join(defaultModelDir(), 'fr_eye.onnx'));
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    writeFileSync(file, bytes);
    await assert.rejects(ModelRegistry.open({ dir, models: ['eye'] }), (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.equal(e.code, 'model_altered');
      assert.match(e.message, /fr_eye\.onnx/);
      assert.equal(typeof e.details?.actualSha256, 'string');
      return true;
    });
  });

  test('ModelRegistry.open() accepts a configured directory holding verified copies', async (t) => {
    const dir = tempDir(t);
    copyFileSync(path.join(defaultModelDir(), 'fr_eye.onnx'), path.join(dir, 'fr_eye.onnx'));
    const reg = await ModelRegistry.open({ dir, models: ['eye'], warmup: false });
    t.after(() => reg.close());
    assert.equal(reg.dir, dir);
    assert.equal(reg.info()[0]?.file, path.join(dir, 'fr_eye.onnx'));
  });

  test('ModelRegistry.open() rejects a bad thread count with TypeError', async () => {
    await assert.rejects(ModelRegistry.open({ intraOpThreads: 0 }), TypeError);
  });

  test('ModelRegistry.close() is idempotent and later session() calls throw', async () => {
    const reg = await ModelRegistry.open({ models: ['eye'], warmup: false });
    await reg.close();
    await reg.close();
    assert.equal(reg.closed, true);
    assert.throws(() => reg.session('eye'), /closed/);
  });
});
