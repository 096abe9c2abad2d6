import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawFrameSplitter } from '../../media/RawFrameSplitter.ts';

test('RawFrameSplitter.processInput() reassembles frames across arbitrary chunk boundaries', () => {
  const s = new RawFrameSplitter(4);
  assert.deepEqual(s.processInput(Buffer.from([1, 2, 3])), []);
  const out = s.processInput(Buffer.from([4, 5, 6, 7, 8, 9, 10]));
  assert.deepEqual(out.map((b) => [...b]), [[1, 2, 3, 4], [5, 6, 7, 8]]);
  assert.deepEqual(s.toJSON(), { frameBytes: 4, frames: 2, pendingBytes: 2 });
  const [a] = out;
  s.processInput(Buffer.from([11, 12]));
  assert.deepEqual([...(a ?? [])], [1, 2, 3, 4], 'emitted frames are not overwritten later');
});

test('new RawFrameSplitter() rejects a non-positive frame size with a TypeError', () => {
  assert.throws(() => new RawFrameSplitter(0), TypeError);
  assert.throws(() => new RawFrameSplitter(1.5), TypeError);
});
