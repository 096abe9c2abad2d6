import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecoderInputMuxer, ffmpegInputFormat } from '../../media/DecoderInputMuxer.ts';
import type { EncodedFrame } from '../../media/types.ts';

function frame(codec: 'VP8' | 'H264', ts: number, bytes: number[]): EncodedFrame {
  return { codec, data: Buffer.from(bytes), isKeyframe: true, rtpTimestamp: ts, arrivalTimeMs: 0, captureTimeMs: 0 };
}

test('DecoderInputMuxer.processInput() writes an IVF file header once, then a 12-byte header per VP8 frame', () => {
  const m = new DecoderInputMuxer('VP8', { width: 320, height: 240 });
  const first = Buffer.concat(m.processInput(frame('VP8', 0xfffff000, [1, 2, 3])));
  assert.equal(first.length, 32 + 12 + 3);
  assert.equal(first.subarray(0, 4).toString('ascii'), 'DKIF');
  assert.equal(first.subarray(8, 12).toString('ascii'), 'VP80');
  assert.equal(first.readUInt16LE(12), 320);
  assert.equal(first.readUInt16LE(14), 240);
  assert.equal(first.readUInt32LE(16), 1000);
  assert.equal(first.readUInt32LE(32), 3);
  assert.equal(first.readBigUInt64LE(36), 0n);
  const second = Buffer.concat(m.processInput(frame('VP8', 0xfffff000 + 9000, [4])));
  assert.equal(second.length, 12 + 1);
  assert.equal(second.readUInt32LE(0), 1);
  assert.equal(second.readBigUInt64LE(4), 100n);
  // A stalled sender clock still yields increasing pts.
  const third = Buffer.concat(m.processInput(frame('VP8', 0xfffff000 + 9000, [5])));
  assert.equal(third.readBigUInt64LE(4), 101n);
  assert.deepEqual(m.toJSON(), { codec: 'VP8', frames: 3, bytes: first.length + second.length + third.length });
});

test('DecoderInputMuxer.processInput() passes H264 Annex-B through unchanged', () => {
  const m = new DecoderInputMuxer('H264');
  const data = [0, 0, 0, 1, 0x65, 9];
  assert.deepEqual(m.processInput(frame('H264', 0, data)).map((b) => [...b]), [data]);
  assert.equal(ffmpegInputFormat('H264'), 'h264');
  assert.equal(ffmpegInputFormat('VP8'), 'ivf');
});

test('DecoderInputMuxer.processInput() rejects a frame of another codec with a TypeError', () => {
  const m = new DecoderInputMuxer('VP8');
  assert.throws(() => m.processInput(frame('H264', 0, [1])), TypeError);
});
