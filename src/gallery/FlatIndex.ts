// Exact search over one client's templates: a FAISS flat inner-product index
// plus the position -> template-id array beside it. faiss-node has no
// add_with_ids and IndexIDMap aborts the process, so ids live here; removeIds
// on a flat index compacts positions and the array is spliced the same way.
import faiss from 'faiss-node';
import fs from 'node:fs';
import { FAISS_TAKES_FLOAT32, faissFloats } from './faissAddon.ts';
import { FLAT_HEADER, flatIndexBytes, flatVectors } from './faissBytes.ts';
import type { GalleryHit as Hit } from './Gallery.ts';

export class FlatIndex {
  readonly dim: number;
  #index: faiss.IndexFlatIP;
  #ids: string[];
  /** Membership only; positions are looked up in #ids on removal (rare) to keep removal O(n) without rebuilding a map. */
  readonly #idSet: Set<string>;

  private constructor(dim: number, index: faiss.IndexFlatIP, ids: string[]) {
    this.dim = dim;
    this.#index = index;
    this.#ids = ids;
    this.#idSet = new Set(ids);
  }

  static empty(dim: number): FlatIndex {
    return new FlatIndex(dim, new faiss.IndexFlatIP(dim), []);
  }

  /** From faiss's serialised bytes and the matching id array; throws when they disagree. */
  static fromBuffer(dim: number, bytes: Buffer, ids: readonly string[]): FlatIndex {
    const index = faiss.IndexFlatIP.fromBuffer(bytes);
    if (index.ntotal() !== ids.length || index.getDimension() !== dim) throw new Error('flat index does not match its ids');
    return new FlatIndex(dim, index, [...ids]);
  }

  get size(): number {
    return this.#ids.length;
  }

  ids(): readonly string[] {
    return this.#ids;
  }

  has(templateId: string): boolean {
    return this.#idSet.has(templateId);
  }

  /** Adds vectors (row-major); the caller has dropped ids already present. */
  add(templateIds: readonly string[], vectors: Float32Array): void {
    if (templateIds.length === 0) return;
    if (FAISS_TAKES_FLOAT32) {
      // One copy into faiss (1M x 512: 13 s vs 47 s through fromBuffer's copies, same load).
      this.#index.add(vectors);
    } else {
      // An unpatched addon's add() takes number[] (slow to build and convert for
      // large batches); a flat index in faiss's own file layout loads from raw floats.
      const batch = faiss.IndexFlatIP.fromBuffer(flatIndexBytes(this.dim, vectors));
      if (this.#index.ntotal() === 0) this.#index = batch;
      else this.#index.mergeFrom(batch);
    }
    for (const id of templateIds) {
      this.#idSet.add(id);
      this.#ids.push(id);
    }
  }

  remove(templateIds: readonly string[]): number {
    const positions = [...new Set(templateIds)].filter((id) => this.#idSet.has(id)).map((id) => this.#ids.indexOf(id));
    if (positions.length === 0) return 0;
    const removed = this.#index.removeIds(positions);
    if (positions.length === 1) this.#ids.splice(positions[0]!, 1);
    else {
      const drop = new Set(positions);
      this.#ids = this.#ids.filter((_, i) => !drop.has(i));
    }
    for (const p of templateIds) this.#idSet.delete(p);
    if (this.#index.ntotal() !== this.#ids.length) throw new Error('gallery index and id array diverged');
    return removed;
  }

  search(query: Float32Array, k: number): Hit[] {
    const n = this.#index.ntotal();
    if (n === 0) return [];
    const r = this.#index.search(faissFloats(query), Math.min(Math.max(1, Math.floor(k)), n));
    const out: Hit[] = [];
    for (let i = 0; i < r.labels.length; i++) {
      const label = r.labels[i]!;
      if (label >= 0) out.push({ templateId: this.#ids[label]!, score: r.distances[i]! });
    }
    return out;
  }

  /** Every vector, row-major in id order (a copy). */
  vectors(): Float32Array {
    return flatVectors(this.#index.toBuffer());
  }

  /**
   * Writes every vector (row-major, id order, raw float32) to `file` through
   * faiss's own writer, with no copy through JS (a build's hand-off to child
   * processes: 2 GB at 1M); returns the byte offset of the first row.
   */
  writeRows(file: string): number {
    this.#index.write(file);
    if (fs.statSync(file).size !== FLAT_HEADER + this.size * this.dim * 4) throw new Error('flat index file has an unexpected layout');
    return FLAT_HEADER;
  }

  toBuffer(): Buffer {
    return this.#index.toBuffer();
  }
}
