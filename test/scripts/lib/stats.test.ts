// scripts/lib/stats.ts: the quantile methods the scripts report with, summarize() and the table.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { quantile as vectorQuantile } from '../../../common/vector.ts';
import { formatTable, max, mean, median, min, percentile, quantile, summarize } from '../../../scripts/lib/stats.ts';

const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];

describe('stats', () => {
  test('quantile() linear interpolates like numpy and equals common/vector.ts', () => {
    assert.equal(quantile(xs, 0.5), 5.5);
    assert.ok(Math.abs(quantile(xs, 0.95) - 9.55) < 1e-12);
    assert.equal(percentile(xs, 95), quantile(xs, 0.95));
    for (const q of [0, 0.1, 0.33, 0.5, 0.9, 1]) assert.equal(quantile(xs, q), vectorQuantile(xs, q));
  });

  test("quantile() 'floor' takes s[min(n-1, floor(q n))] and 'round' s[round((n-1) q)]", () => {
    assert.equal(quantile(xs, 0.5, 'floor'), 6);
    assert.equal(quantile(xs, 0.95, 'floor'), 10);
    assert.equal(quantile(xs, 1, 'floor'), 10);
    assert.equal(quantile(xs, 0.5, 'round'), 6);
    assert.equal(quantile(xs, 0.05, 'round'), 1);
    assert.equal(quantile(xs, 0.95, 'round'), 10);
  });

  test('statistics leave out non-finite samples and are NaN with none left', () => {
    const withNaN = [...xs, Number.NaN, Number.POSITIVE_INFINITY];
    assert.equal(median(withNaN, 'floor'), 6);
    assert.equal(max(withNaN), 10);
    assert.equal(min(withNaN), 1);
    assert.equal(mean(withNaN), 5.5);
    for (const m of ['linear', 'floor', 'round'] as const) assert.ok(Number.isNaN(quantile([], 0.5, m)));
    assert.ok(Number.isNaN(mean([])));
    assert.throws(() => quantile(xs, 1.5), TypeError);
  });

  test('summarize() gives n, min, p50, p95, p99, max and mean', () => {
    assert.deepEqual(summarize(xs, 'floor'), { n: 10, min: 1, p50: 6, p95: 10, p99: 10, max: 10, mean: 5.5 });
    assert.deepEqual(summarize([]), { n: 0, min: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN });
  });

  test('formatTable() pads each column to its width and alignment', () => {
    const lines = formatTable(
      [
        { header: 'stage', width: 8, align: 'left' },
        { header: 'p50', width: 6, align: 'right' },
      ],
      [['detect', '1.25'], ['total']],
      '  ',
    );
    assert.deepEqual(lines, ['  stage      p50', '  detect    1.25', '  total         ']);
  });
});
