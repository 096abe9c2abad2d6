// When a client's gallery is served by an HNSW graph instead of the flat
// index, and how wide the graph's search beam is. faiss-free so config.ts can
// take its default from here. Numbers from `npm run bench:gallery` (512-d
// random unit templates, the hardest case for a graph: real face embeddings
// cluster, which helps it) on 2 shared vCPUs; see src/SERVICE.md.

/** GALLERY_HNSW_MIN default: from this many live templates a client's search uses the graph. */
export const DEFAULT_HNSW_MIN = 20_000;

/** Back to flat below this share of GALLERY_HNSW_MIN, so a gallery near the threshold does not flap. */
export const DEMOTE_RATIO = 0.75;

/** The graph is rebuilt from its survivors once tombstones exceed this share of its positions. */
export const TOMBSTONE_REBUILD_FRACTION = 0.1;

/** Time one background build step may hold the gallery worker. */
export const BUILD_STEP_MS = 50;

/**
 * efSearch for a graph of n templates: the smallest beam that measured
 * recall@1 >= 0.99 against exact search at that size (recall falls as the
 * graph grows at a fixed beam).
 */
export function efSearchFor(n: number): number {
  if (n <= 25_000) return 64;
  if (n <= 60_000) return 96;
  if (n <= 150_000) return 128;
  return 256;
}
