// Search over an index that cannot delete in place (an HNSW graph, an IVF
// index whose labels must stay stable): removed positions stay in the index
// and are filtered out here. Over-fetch by the tombstone count while it is
// small; otherwise double until enough live hits come back (removed
// templates are usually the nearest to a probe of the removed person, so
// expect them on top).
import type { GalleryHit as Hit } from './Gallery.ts';

export interface RawResult {
  readonly labels: readonly number[];
  readonly distances: readonly number[];
}

/**
 * `ids[p]` is the template id at position p; a position is live when
 * `live.get(ids[p]) === p`. `raw(fetch)` searches the index for `fetch` hits.
 */
export function searchLive(raw: (fetch: number) => RawResult, ids: readonly string[], live: ReadonlyMap<string, number>, k: number): Hit[] {
  const want = Math.min(Math.max(1, Math.floor(k)), live.size);
  if (want === 0) return [];
  const total = ids.length;
  let fetch = Math.min(total, want + Math.min(total - live.size, 64));
  for (;;) {
    const r = raw(fetch);
    const out: Hit[] = [];
    for (let i = 0; i < r.labels.length && out.length < want; i++) {
      const p = r.labels[i]!;
      if (p < 0) continue;
      const id = ids[p]!;
      if (live.get(id) === p) out.push({ templateId: id, score: r.distances[i]! });
    }
    if (out.length >= want || fetch >= total) return out;
    fetch = Math.min(total, fetch * 2);
  }
}
