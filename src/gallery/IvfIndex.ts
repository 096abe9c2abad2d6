// Approximate search over one large client gallery: a FAISS inverted-file
// index over full vectors (IndexIVFFlat, inner product). A coarse k-means
// quantizer splits the gallery into nlist cells; a search scans the nprobe
// cells nearest the probe, exhaustively and on the stored float32 vectors, so
// every score it returns is the exact inner product (= cosine) of a stored
// template and MATCH_THRESHOLD means what it means on the flat index.
// faiss numbers vectors in the order they are added and IVF's removeIds would
// shrink ntotal (so the next add would reuse a label): removal tombstones a
// position instead (tombstoneSearch.ts) and the owner rebuilds from the
// survivors when tombstones pile up. faiss-node has no nprobe setter: nprobe
// is written into the serialised index (faissBytes.ts) once, after training,
// while the index is still empty and its bytes are only the quantizer.
import faiss from 'faiss-node';
import { IVF_SEARCH_NPROBE, faissFloats } from './faissAddon.ts';
import { IVF_WIDE_NPROBE, IVF_WIDEN_BELOW } from './hnswPolicy.ts';
import type { GalleryHit as Hit } from './Gallery.ts';
import { ivfLayout, ivfNprobe, ivfRows, setIvfNprobe } from './faissBytes.ts';
import { PositionIds } from './PositionIds.ts';

/** faiss-node's add() and train() take number[]: convert this many rows at a time to bound the copy. */
const ADD_ROWS = 8192;

export interface IvfParams {
  readonly nlist: number;
  readonly nprobe: number;
}

export class IvfIndex {
  readonly dim: number;
  readonly nlist: number;
  readonly nprobe: number;
  readonly #index: faiss.Index;
  /** Position <-> template id, tombstones included. */
  readonly #pos: PositionIds;
  #widened = 0;

  private constructor(dim: number, index: faiss.Index, pos: PositionIds, params: IvfParams) {
    this.dim = dim;
    this.#index = index;
    this.#pos = pos;
    this.nlist = params.nlist;
    this.nprobe = params.nprobe;
  }

  /**
   * An empty index whose quantizer is trained (k-means) on `sample`
   * (row-major, at least nlist rows). The one step of a build that cannot be
   * sliced: its cost is bounded by the sample size (ivfPolicy.trainRows).
   */
  static train(dim: number, sample: Float32Array, params: IvfParams): IvfIndex {
    const rows = sample.length / dim;
    if (!Number.isInteger(rows) || rows < params.nlist) throw new RangeError('an IVF index needs at least nlist training rows');
    const index = faiss.Index.fromFactory(dim, `IVF${params.nlist},Flat`, faiss.MetricType.METRIC_INNER_PRODUCT);
    index.train(faissFloats(sample));
    const bytes = index.toBuffer();
    setIvfNprobe(bytes, Math.min(params.nprobe, params.nlist));
    return new IvfIndex(dim, faiss.Index.fromBuffer(bytes), PositionIds.empty(), { nlist: params.nlist, nprobe: Math.min(params.nprobe, params.nlist) });
  }

  /** From faiss's serialised bytes and the position -> id array (null at tombstones); throws when they disagree. */
  static fromBuffer(dim: number, bytes: Buffer, ids: readonly (string | null)[]): IvfIndex {
    const layout = ivfLayout(bytes);
    if (layout.dim !== dim || layout.ntotal !== ids.length) throw new Error('IVF index does not match its ids');
    return IvfIndex.#wrap(dim, faiss.Index.fromBuffer(bytes), ids, { nlist: layout.nlist, nprobe: ivfNprobe(bytes) });
  }

  /** Around an index filled elsewhere with these parameters (a build in child processes) and its rows' ids. */
  static fromIndex(dim: number, index: faiss.Index, ids: readonly string[], params: IvfParams): IvfIndex {
    if (index.getDimension() !== dim) throw new Error('IVF index does not match its ids');
    return IvfIndex.#wrap(dim, index, ids, params);
  }

  static #wrap(dim: number, index: faiss.Index, ids: readonly (string | null)[], params: IvfParams): IvfIndex {
    if (index.ntotal() !== ids.length) throw new Error('IVF index does not match its ids');
    return new IvfIndex(dim, index, PositionIds.fromSnapshot(ids, 'IVF'), params);
  }

  /** Live templates. */
  get size(): number {
    return this.#pos.size;
  }

  /** Positions in the index, tombstones included. */
  get total(): number {
    return this.#pos.total;
  }

  get tombstones(): number {
    return this.#pos.tombstones;
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

  /** Adds vectors (row-major); the caller has dropped ids already present. One assignment to the nearest cell per row. */
  add(templateIds: readonly string[], vectors: Float32Array): void {
    if (templateIds.length === 0) return;
    if (vectors.length !== templateIds.length * this.dim) throw new TypeError('vectors do not match ids x dim');
    for (let r = 0; r < templateIds.length; r += ADD_ROWS) {
      this.#index.add(faissFloats(vectors.subarray(r * this.dim, Math.min(templateIds.length, r + ADD_ROWS) * this.dim)));
    }
    this.#pos.append(templateIds);
    if (this.#index.ntotal() !== this.#pos.total) throw new Error('IVF index and id array diverged');
  }

  /** Tombstones the templates; returns how many were live. */
  remove(templateIds: readonly string[]): number {
    return this.#pos.remove(templateIds);
  }

  /** Over nprobe cells; again over IVF_WIDE_NPROBE when the best hit is below IVF_WIDEN_BELOW (hnswPolicy.ts). */
  search(query: Float32Array, k: number): Hit[] {
    const q = faissFloats(query);
    const hits = this.#pos.search((fetch) => this.#index.search(q, fetch), k);
    const wide = Math.min(IVF_WIDE_NPROBE, this.nlist);
    if (!IVF_SEARCH_NPROBE || wide <= this.nprobe || (hits[0]?.score ?? -Infinity) >= IVF_WIDEN_BELOW) return hits;
    this.#widened++;
    return this.#pos.search((fetch) => this.#index.search(q, fetch, wide), k);
  }

  /** Searches run again over the wide cell count (since this index was made). */
  get widened(): number {
    return this.#widened;
  }

  /** The live templates' ids and vectors (row-major, a copy), for a rebuild or a return to flat: O(gallery). */
  liveVectors(): { ids: string[]; vectors: Float32Array } {
    const live = this.#pos.liveByPosition();
    const want = new Map<number, number>(live.map(([, p], row) => [p, row]));
    return { ids: live.map(([id]) => id), vectors: ivfRows(this.#index.toBuffer(), this.dim, want) };
  }

  toBuffer(): Buffer {
    return this.#index.toBuffer();
  }
}
