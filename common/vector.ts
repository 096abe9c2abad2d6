// Small vector helpers for embeddings and robust statistics.

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

/** Cosine similarity; inputs need not be normalised. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new TypeError('vectors differ in length');
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

/** L2-normalised mean of normalised vectors (an enrollment template). */
export function meanTemplate(vs: readonly Float32Array[]): Float32Array {
  if (vs.length === 0) throw new TypeError('meanTemplate needs at least one vector');
  const out = new Float32Array(vs[0]!.length);
  for (const v of vs) {
    const n = l2normalize(v);
    for (let i = 0; i < out.length; i++) out[i]! += n[i]!;
  }
  return l2normalize(out);
}

export function quantile(xs: readonly number[], q: number): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const pos = (v.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : Number.isFinite(x) ? x : 0;
}

/** Arithmetic mean; 0 for an empty list. */
export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length > 0 ? s / xs.length : 0;
}

/** Population standard deviation; 0 for an empty list. */
export function stdDev(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return xs.length > 0 ? Math.sqrt(s / xs.length) : 0;
}
