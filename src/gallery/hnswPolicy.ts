// When a client's gallery is served by an HNSW graph instead of the flat
// index, and how wide the graph's search beam is. Numbers from `npm run bench:gallery` (512-d
// random unit templates, the hardest case for a graph: real face embeddings
// cluster, which helps it) on 2 shared vCPUs; see src/SERVICE.md.

import { DEFAULT_MATCH_THRESHOLD } from '../../common/defaults.ts';

/** GALLERY_HNSW_MIN default (shared with config, so it lives in common/). */
export { DEFAULT_HNSW_MIN } from '../../common/defaults.ts';

/** Back to flat below this share of GALLERY_HNSW_MIN, so a gallery near the threshold does not flap. */
export const DEMOTE_RATIO = 0.75;

/** The graph is rebuilt from its survivors once tombstones exceed this share of its positions. */
export const TOMBSTONE_REBUILD_FRACTION = 0.1;

/** Time one background build step may hold the gallery worker. */
export const BUILD_STEP_MS = 50;

/**
 * efSearch for a graph of n templates: a beam that measured recall@1 >= 0.99
 * against exact search at that size, with margin where the smallest one only
 * just made it (recall falls as the graph grows at a
 * fixed beam). Measured: 6k: 64 -> 0.995; 10k: 64 -> 1.000 (32 -> 0.965);
 * 20k: 64 -> 0.995, 96 -> 1.000; 100k: 256 -> 0.970, 384 -> 0.990,
 * 512 -> 1.000 (p50 16.2 ms vs flat 45.7 ms). The 30k-60k tier is
 * interpolated, not measured.
 */
export function efSearchFor(n: number): number {
  if (n <= 12_000) return 64;
  if (n <= 30_000) return 96;
  if (n <= 60_000) return 256;
  return 512;
}

export { DEFAULT_LARGE_INDEX, type LargeIndexKind } from '../../common/defaults.ts';

/**
 * IVF cells for a gallery of n: a power of two near sqrt(n) (1M: 1024,
 * 300k: 512, 100k: 256, 10k: 128), at most n / IVF_TRAIN_PER_LIST so every
 * cell has its k-means rows. More cells make a search cheaper (it scans
 * nprobe / nlist of the gallery) but training (rows x cells x iterations)
 * and every add's assignment costlier; at 1M, 2048 cells would need 4x the
 * k-means work of 1024 (measured in src/SERVICE.md).
 */
export function nlistFor(n: number): number {
  const target = 2 ** Math.round(Math.log2(Math.sqrt(Math.max(1, n))));
  return Math.max(1, Math.min(4096, target, 2 ** Math.floor(Math.log2(Math.max(1, n / IVF_TRAIN_PER_LIST)))));
}

/**
 * Cells scanned per search. Measured on clustered 512-d embeddings at 100k
 * with 1024 cells: 1 -> recall@1 0.743, 8 -> 0.980; 16 at 1M: see SERVICE.md.
 */
export const IVF_NPROBE = 16;

/**
 * A search whose best hit scores below IVF_WIDEN_BELOW (the default match
 * threshold: it would be rejected, or a distractor won) is run again over
 * IVF_WIDE_NPROBE cells (a patched addon, faissAddon.ts). Probes far from the
 * gallery's own distribution (real faces among synthetic clusters, a new
 * camera) sit in cells that are not among their 16 nearest centroids: at 1M
 * with 1024 cells, 16/18 real held-out photos were found at nprobe 16, 17/18
 * at 32, 18/18 at 64 (every probe) or at 16 widened to 128 (src/SERVICE.md).
 * Members pay nothing; a rejected probe pays the wide scan.
 */
export const IVF_WIDE_NPROBE = 128;
export const IVF_WIDEN_BELOW = DEFAULT_MATCH_THRESHOLD;

/** k-means training rows per cell (faiss warns below 39). */
export const IVF_TRAIN_PER_LIST = 40;

/** At most this many k-means rows: faiss trains on what it is given, and its cost is rows x cells. */
export const IVF_TRAIN_MAX = 100_000;

export function ivfTrainRows(nlist: number): number {
  return Math.min(IVF_TRAIN_MAX, nlist * IVF_TRAIN_PER_LIST);
}

/** IVF builds of this many templates or more run in child processes (IvfChildBuild), off the gallery worker. */
export const IVF_CHILD_MIN = 20_000;

/** An IVF index is rebuilt with more cells once the gallery outgrows its cell count this many times over. */
export const IVF_REGROW = 2;
