// Approximate search over one large client gallery: a FAISS HNSW32 graph over
// full vectors (IndexHNSWFlat, inner product), so scores are exact inner
// products and the match threshold means what it means on the flat index.
// HNSW cannot remove vectors, so removal tombstones a position (filtered out
// of results, searches over-fetch to compensate); the owner rebuilds the graph
// from the surviving vectors when tombstones pile up (GraphBuild).
// faiss-node has no efSearch / efConstruction setters: both are written into
// the serialised index and loaded back (faissBytes.ts). Searching with a
// larger k alone does not do it: faiss 1.7.3 widens the candidate heap to k
// but still stops once efSearch candidates beat the next one.
import faiss from 'faiss-node';
import { faissFloats } from './faissAddon.ts';
import type { GalleryHit as Hit } from './Gallery.ts';
import { flatRows, hnswLayout, hnswParams, setHnswParams } from './faissBytes.ts';
import { PositionIds } from './PositionIds.ts';

/** Graph degree (HNSW32: 64 links per node at level 0). */
const FACTORY = 'HNSW32,Flat';
/** faiss's default; raising it slows the (already slow) build more than it helps recall here. */
export const EF_CONSTRUCTION = 40;

export class HnswGraph {
  readonly dim: number;
  #index: faiss.Index;
  /** Position <-> template id, tombstones included. */
  readonly #pos: PositionIds;
  #efSearch: number;

  private constructor(dim: number, index: faiss.Index, pos: PositionIds, efSearch: number) {
    this.dim = dim;
    this.#index = index;
    this.#pos = pos;
    this.#efSearch = efSearch;
  }

  static empty(dim: number, efSearch: number): HnswGraph {
    const bytes = faiss.Index.fromFactory(dim, FACTORY, faiss.MetricType.METRIC_INNER_PRODUCT).toBuffer();
    setHnswParams(bytes, { efConstruction: EF_CONSTRUCTION, efSearch });
    return new HnswGraph(dim, faiss.Index.fromBuffer(bytes), PositionIds.empty(), efSearch);
  }

  /**
   * From faiss's serialised bytes and the position -> id array (null at
   * tombstones), as written by toBuffer() and ids(); throws when they disagree.
   */
  static fromBuffer(dim: number, bytes: Buffer, ids: readonly (string | null)[]): HnswGraph {
    const layout = hnswLayout(bytes);
    if (layout.dim !== dim || layout.ntotal !== ids.length) throw new Error('graph index does not match its ids');
    const index = faiss.Index.fromBuffer(bytes);
    if (index.ntotal() !== ids.length) throw new Error('graph index does not match its ids');
    return new HnswGraph(dim, index, PositionIds.fromSnapshot(ids, 'graph'), hnswParams(bytes).efSearch);
  }

  /** Live templates. */
  get size(): number {
    return this.#pos.size;
  }

  /** Positions in the graph, tombstones included. */
  get total(): number {
    return this.#pos.total;
  }

  get tombstones(): number {
    return this.#pos.tombstones;
  }

  get efSearch(): number {
    return this.#efSearch;
  }

  has(templateId: string): boolean {
    return this.#pos.has(templateId);
  }

  liveIds(): string[] {
    return this.#pos.liveIds();
  }

  /** Position -> id with null at tombstones (the snapshot's id array). */
  ids(): (string | null)[] {
    return this.#pos.snapshot();
  }

  /** Adds vectors (row-major) to the graph; the caller has dropped ids already present. */
  add(templateIds: readonly string[], vectors: Float32Array): void {
    if (templateIds.length === 0) return;
    if (vectors.length !== templateIds.length * this.dim) throw new TypeError('vectors do not match ids x dim');
    this.#index.add(faissFloats(vectors));
    this.#pos.append(templateIds);
    if (this.#index.ntotal() !== this.#pos.total) throw new Error('graph index and id array diverged');
  }

  /** Tombstones the templates; returns how many were live. */
  remove(templateIds: readonly string[]): number {
    return this.#pos.remove(templateIds);
  }

  search(query: Float32Array, k: number): Hit[] {
    const q = faissFloats(query);
    return this.#pos.search((fetch) => this.#index.search(q, fetch), k);
  }

  /**
   * Sets the search beam width: a serialise / patch / load round trip, O(gallery),
   * so only when the size tier changes.
   */
  setEfSearch(efSearch: number): void {
    if (efSearch === this.#efSearch) return;
    const bytes = this.#index.toBuffer();
    setHnswParams(bytes, { efSearch });
    this.#index = faiss.Index.fromBuffer(bytes);
    this.#efSearch = efSearch;
  }

  /** The live templates' ids and vectors (row-major, a copy), for a rebuild or a return to flat. */
  liveVectors(): { ids: string[]; vectors: Float32Array } {
    // A full serialise, O(gallery): once per rebuild or return to flat, never per request.
    const bytes = this.#index.toBuffer();
    const live = this.#pos.liveByPosition();
    const vectors = flatRows(bytes, hnswLayout(bytes).storageAt, this.dim, live.map(([, p]) => p));
    return { ids: live.map(([id]) => id), vectors };
  }

  toBuffer(): Buffer {
    return this.#index.toBuffer();
  }
}
