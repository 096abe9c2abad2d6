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
import type { GalleryHit as Hit } from './Gallery.ts';
import { ivfLayout, ivfNprobe, ivfRows, setIvfNprobe } from './faissBytes.ts';
import { searchLive } from './tombstoneSearch.ts';

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
  /** Position (faiss label) -> template id; removed positions keep their old id until the next rebuild. */
  readonly #ids: string[];
  /** Live template id -> its position. */
  readonly #live: Map<string, number>;

  private constructor(dim: number, index: faiss.Index, ids: string[], live: Map<string, number>, params: IvfParams) {
    this.dim = dim;
    this.#index = index;
    this.#ids = ids;
    this.#live = live;
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
    index.train(Array.from(sample));
    const bytes = index.toBuffer();
    setIvfNprobe(bytes, Math.min(params.nprobe, params.nlist));
    return new IvfIndex(dim, faiss.Index.fromBuffer(bytes), [], new Map(), { nlist: params.nlist, nprobe: Math.min(params.nprobe, params.nlist) });
  }

  /** From faiss's serialised bytes and the position -> id array (null at tombstones); throws when they disagree. */
  static fromBuffer(dim: number, bytes: Buffer, ids: readonly (string | null)[]): IvfIndex {
    const layout = ivfLayout(bytes);
    if (layout.dim !== dim || layout.ntotal !== ids.length) throw new Error('IVF index does not match its ids');
    return IvfIndex.#wrap(dim, faiss.Index.fromBuffer(bytes), ids, { nlist: layout.nlist, nprobe: ivfNprobe(bytes) });
  }

  /**
   * From an index file faiss wrote with these parameters (a build in child
   * processes): faiss reads the file itself, without a copy through a JS buffer.
   */
  static readFile(dim: number, file: string, ids: readonly string[], params: IvfParams): IvfIndex {
    const index = faiss.Index.read(file);
    if (index.getDimension() !== dim) throw new Error('IVF index does not match its ids');
    return IvfIndex.#wrap(dim, index, ids, params);
  }

  static #wrap(dim: number, index: faiss.Index, ids: readonly (string | null)[], params: IvfParams): IvfIndex {
    if (index.ntotal() !== ids.length) throw new Error('IVF index does not match its ids');
    const live = new Map<string, number>();
    const positions = ids.map((id, p) => {
      if (id === null) return '';
      if (live.has(id)) throw new Error('IVF ids repeat');
      live.set(id, p);
      return id;
    });
    return new IvfIndex(dim, index, positions, live, params);
  }

  /** Live templates. */
  get size(): number {
    return this.#live.size;
  }

  /** Positions in the index, tombstones included. */
  get total(): number {
    return this.#ids.length;
  }

  get tombstones(): number {
    return this.#ids.length - this.#live.size;
  }

  has(templateId: string): boolean {
    return this.#live.has(templateId);
  }

  liveIds(): string[] {
    return [...this.#live.keys()];
  }

  /** Position -> id with null at tombstones (the snapshot's id array). */
  ids(): (string | null)[] {
    return this.#ids.map((id, p) => (this.#live.get(id) === p ? id : null));
  }

  /** Adds vectors (row-major); the caller has dropped ids already present. One assignment to the nearest cell per row. */
  add(templateIds: readonly string[], vectors: Float32Array): void {
    if (templateIds.length === 0) return;
    if (vectors.length !== templateIds.length * this.dim) throw new TypeError('vectors do not match ids x dim');
    for (let r = 0; r < templateIds.length; r += ADD_ROWS) {
      this.#index.add(Array.from(vectors.subarray(r * this.dim, Math.min(templateIds.length, r + ADD_ROWS) * this.dim)));
    }
    for (const id of templateIds) {
      this.#live.set(id, this.#ids.length);
      this.#ids.push(id);
    }
    if (this.#index.ntotal() !== this.#ids.length) throw new Error('IVF index and id array diverged');
  }

  /** Tombstones the templates; returns how many were live. */
  remove(templateIds: readonly string[]): number {
    let n = 0;
    for (const id of templateIds) if (this.#live.delete(id)) n++;
    return n;
  }

  search(query: Float32Array, k: number): Hit[] {
    const q = Array.from(query);
    return searchLive((fetch) => this.#index.search(q, fetch), this.#ids, this.#live, k);
  }

  /** The live templates' ids and vectors (row-major, a copy), for a rebuild or a return to flat: O(gallery). */
  liveVectors(): { ids: string[]; vectors: Float32Array } {
    const live = [...this.#live].sort((a, b) => a[1] - b[1]);
    const want = new Map<number, number>(live.map(([, p], row) => [p, row]));
    return { ids: live.map(([id]) => id), vectors: ivfRows(this.#index.toBuffer(), this.dim, want) };
  }

  toBuffer(): Buffer {
    return this.#index.toBuffer();
  }
}
