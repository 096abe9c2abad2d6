// Sample statistics and a fixed-width table for the scripts' reports: one
// quantile for every bench and eval, so that a p95 means the same thing in
// each. Samples that are not finite numbers (a run that timed out, NaN) are
// left out of every statistic. Linear quantiles are common/vector.ts's.
import { quantile as linearQuantile } from '../../common/vector.ts';

/**
 * How a quantile picks its value from the n sorted samples s:
 * - 'linear': between the closest ranks, s[(n-1)q] interpolated (numpy's default);
 * - 'floor':  s[min(n-1, floor(q n))], a sample, never interpolated (the benches' p50/p95);
 * - 'round':  s[round((n-1)q)], the nearest rank.
 */
export type QuantileMethod = 'linear' | 'floor' | 'round';

function finiteSorted(samples: readonly number[]): number[] {
  return samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

/** The q-quantile (q in [0, 1]) of the samples; NaN when there is none. */
export function quantile(samples: readonly number[], q: number, method: QuantileMethod = 'linear'): number {
  if (!(q >= 0 && q <= 1)) throw new TypeError(`quantile q must be in [0, 1], got ${q}`);
  if (method === 'linear') return linearQuantile(samples, q);
  const s = finiteSorted(samples);
  if (s.length === 0) return Number.NaN;
  const i = method === 'floor' ? Math.floor(q * s.length) : Math.round((s.length - 1) * q);
  return s[Math.min(s.length - 1, i)]!;
}

/** The p-th percentile (p in [0, 100]). */
export function percentile(samples: readonly number[], p: number, method: QuantileMethod = 'linear'): number {
  return quantile(samples, p / 100, method);
}

export function median(samples: readonly number[], method: QuantileMethod = 'linear'): number {
  return quantile(samples, 0.5, method);
}

export function mean(samples: readonly number[]): number {
  const s = samples.filter((x) => Number.isFinite(x));
  return s.length === 0 ? Number.NaN : s.reduce((a, b) => a + b, 0) / s.length;
}

export function min(samples: readonly number[]): number {
  const s = finiteSorted(samples);
  return s.length === 0 ? Number.NaN : s[0]!;
}

export function max(samples: readonly number[]): number {
  const s = finiteSorted(samples);
  return s.length === 0 ? Number.NaN : s[s.length - 1]!;
}

export interface Summary {
  /** Finite samples counted. */
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** n, min, p50, p95, p99, max and mean of the samples (NaN for each but n when there is none). */
export function summarize(samples: readonly number[], method: QuantileMethod = 'linear'): Summary {
  return {
    n: finiteSorted(samples).length,
    min: min(samples),
    p50: quantile(samples, 0.5, method),
    p95: quantile(samples, 0.95, method),
    p99: quantile(samples, 0.99, method),
    max: max(samples),
    mean: mean(samples),
  };
}

export interface TableColumn {
  readonly header: string;
  /** Characters the column takes, the space before the next one included. */
  readonly width: number;
  /** 'left' pads after the text (padEnd), 'right' before it (padStart). */
  readonly align: 'left' | 'right';
}

/**
 * A fixed-width table: a header line, then one line per row, each prefixed
 * with `indent`. A cell wider than its column is printed whole (the line
 * grows); a row with fewer cells than columns leaves the rest empty.
 */
export function formatTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[], indent = ''): string[] {
  const line = (cells: readonly string[]): string =>
    indent + columns.map((c, i) => (c.align === 'left' ? (cells[i] ?? '').padEnd(c.width) : (cells[i] ?? '').padStart(c.width))).join('');
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}
