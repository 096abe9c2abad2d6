import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimingRegularity } from '../../media/TimingRegularity.ts';

/** A deterministic pseudo-random sequence in [0, 1). */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

test('TimingRegularity.toJSON() is null before three frames', () => {
  const t = new TimingRegularity();
  t.processInput(0, 10);
  t.processInput(66, 80);
  assert.equal(t.toJSON(), null);
});

test('a counter clock has one media interval and a CV of 0; a capture clock with sub-ms jitter has many', () => {
  const counter = new TimingRegularity();
  const camera = new TimingRegularity();
  const r = rng(7);
  for (let k = 0; k < 100; k++) {
    counter.processInput(k * 66.667, 1000 + k * 66.667 + r() * 20);
    camera.processInput(k * 66.667 + r() * 1.5, 1000 + k * 66.667 + r() * 20);
  }
  const c = counter.toJSON()!;
  assert.ok(c.distinctMediaIntervals <= 2, String(c.distinctMediaIntervals));
  assert.ok(c.mediaIntervalCv < 1e-4);
  const m = camera.toJSON()!;
  assert.ok(m.distinctMediaIntervals > 10, String(m.distinctMediaIntervals));
  assert.ok(m.mediaIntervalCv > 0.001);
  assert.ok(Math.abs(m.driftPpm) < 5000, `drift ${m.driftPpm}`);
});

test('driftPpm measures a media clock running 5 % fast, even with load delays that only add latency', () => {
  const t = new TimingRegularity();
  const r = rng(3);
  for (let k = 0; k < 150; k++) {
    const arrival = k * 66.667;
    // Latency: 5 ms base plus bursts of up to 300 ms that grow over the run (a loaded event loop).
    const delay = 5 + (r() < 0.7 ? r() * 300 * (k / 150) : 0);
    t.processInput(arrival * 1.05, arrival + delay);
  }
  const f = t.toJSON()!;
  assert.ok(Math.abs(f.driftPpm - 50_000) < 2000, `drift ${f.driftPpm}`);
  assert.ok(f.residualMs > 20);
});

test('processInput() ignores non-finite and backwards media times and keeps at most the last 300 frames', () => {
  const t = new TimingRegularity();
  t.processInput(Number.NaN, 0);
  t.processInput(0, 0);
  t.processInput(-5, 1);
  for (let k = 1; k < 400; k++) t.processInput(k * 10, k * 10);
  assert.equal(t.frames, 300);
  assert.equal(t.toJSON()?.frames, 300);
});
