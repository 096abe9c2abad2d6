import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameSampler } from '../../media/FrameSampler.ts';
import type { DecodedFrame } from '../../media/types.ts';

function frame(index: number, captureTimeMs: number): DecodedFrame {
  return {
    image: { data: new Uint8Array(12), width: 2, height: 2, stride: 6, format: 'rgb24' },
    index,
    rtpTimestamp: index * 3000,
    captureTimeMs,
    arrivalTimeMs: captureTimeMs,
    decodedAtMs: captureTimeMs,
  };
}

test('FrameSampler.processInput() turns a 30 fps stream into 10 fps, the latest frame winning', () => {
  const s = new FrameSampler({ frameRate: 10 });
  const emitted: number[] = [];
  for (let i = 0; i < 30; i++) {
    const now = i * (1000 / 30);
    emitted.push(...s.processInput({ frame: frame(i, now), nowMs: now }).map((f) => f.index));
    emitted.push(...s.tick(now + 1).map((f) => f.index));
  }
  assert.ok(emitted.length === 10, `emitted ${emitted.length}`);
  for (let i = 1; i < emitted.length; i++) assert.ok((emitted[i] ?? 0) > (emitted[i - 1] ?? 0));
  assert.equal(s.toJSON().received, 30);
});

test('FrameSampler.tick() emits the waiting frame when the next slot starts, not before', () => {
  const s = new FrameSampler({ frameRate: 10 });
  assert.equal(s.processInput({ frame: frame(0, 0), nowMs: 0 }).length, 1);
  assert.equal(s.processInput({ frame: frame(1, 20), nowMs: 20 }).length, 0);
  assert.equal(s.processInput({ frame: frame(2, 40), nowMs: 40 }).length, 0);
  assert.equal(s.nextDueInMs(40), 60);
  assert.deepEqual(s.tick(60), []);
  assert.deepEqual(s.tick(99), []);
  assert.deepEqual(s.tick(100).map((f) => f.index), [2]);
  assert.equal(s.nextDueInMs(100), undefined);
  // A frame early in the next slot still waits half an interval after the last one.
  s.processInput({ frame: frame(3, 210), nowMs: 210 });
  assert.equal(s.processInput({ frame: frame(4, 220), nowMs: 220 }).length, 0);
  assert.equal(s.nextDueInMs(220), 80);
  assert.equal(s.toJSON().replaced, 1);
});

test('FrameSampler.tick() drops a waiting frame that went stale instead of emitting it late', () => {
  const s = new FrameSampler({ frameRate: 10, maxAgeMs: 300 });
  s.processInput({ frame: frame(0, 0), nowMs: 0 });
  s.processInput({ frame: frame(1, 10), nowMs: 10 });
  assert.deepEqual(s.tick(500), []);
  assert.equal(s.toJSON().stale, 1);
  assert.equal(s.nextDueInMs(500), undefined);
});

test('new FrameSampler() rejects a frame rate out of range with a TypeError', () => {
  assert.throws(() => new FrameSampler({ frameRate: 0 }), TypeError);
});
