// The id bookkeeping of a faiss index that cannot delete in place (an HNSW
// graph, an IVF index whose labels must stay stable): position (faiss label)
// -> template id, and live template id -> its position. A removed template's
// position keeps its old id until the next rebuild: a tombstone, filtered out
// of searches by searchLive.
import type { GalleryHit as Hit } from './Gallery.ts';
import { searchLive, type RawResult } from './tombstoneSearch.ts';

export class PositionIds {
  /** Position -> template id ('' at a tombstone read from a snapshot). */
  readonly #ids: string[];
  /** Live template id -> its position; a position is a tombstone when its id maps elsewhere or nowhere. */
  readonly #live: Map<string, number>;

  private constructor(ids: string[], live: Map<string, number>) {
    this.#ids = ids;
    this.#live = live;
  }

  static empty(): PositionIds {
    return new PositionIds([], new Map());
  }

  /** From a snapshot's position -> id array (null at tombstones); `what` names the index in the error when ids repeat. */
  static fromSnapshot(ids: readonly (string | null)[], what: string): PositionIds {
    const live = new Map<string, number>();
    const positions = ids.map((id, p) => {
      if (id === null) return '';
      if (live.has(id)) throw new Error(`${what} ids repeat`);
      live.set(id, p);
      return id;
    });
    return new PositionIds(positions, live);
  }

  /** Live templates. */
  get size(): number {
    return this.#live.size;
  }

  /** Positions, tombstones included. */
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
  snapshot(): (string | null)[] {
    return this.#ids.map((id, p) => (this.#live.get(id) === p ? id : null));
  }

  /** Appends positions for templates just added to the index, in order. */
  append(templateIds: readonly string[]): void {
    for (const id of templateIds) {
      this.#live.set(id, this.#ids.length);
      this.#ids.push(id);
    }
  }

  /** Tombstones the templates; returns how many were live. */
  remove(templateIds: readonly string[]): number {
    let n = 0;
    for (const id of templateIds) if (this.#live.delete(id)) n++;
    return n;
  }

  /** The k best live hits of `raw(fetch)`, a search of the index for `fetch` positions. */
  search(raw: (fetch: number) => RawResult, k: number): Hit[] {
    return searchLive(raw, this.#ids, this.#live, k);
  }

  /** Live [id, position] pairs in position order (for a rebuild's vector copy). */
  liveByPosition(): [string, number][] {
    return [...this.#live].sort((a, b) => a[1] - b[1]);
  }
}
