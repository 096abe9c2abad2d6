// A large-gallery index (HNSW graph or IVF) built a slice at a time. Building a graph over tens of
// thousands of 512-d templates takes seconds to minutes, and the process has
// one gallery worker thread (faiss-node cannot be used from two), so a build
// in one call would stall every client's searches. The worker runs step()
// between requests with a time budget; meanwhile the owner keeps serving from
// the old index and forwards enrolments and removals here.
import { performance } from 'node:perf_hooks';

/** What a build fills: HnswGraph or IvfIndex. */
export interface BuildTarget {
  readonly dim: number;
  readonly size: number;
  has(templateId: string): boolean;
  add(templateIds: readonly string[], vectors: Float32Array): void;
  remove(templateIds: readonly string[]): number;
}

interface Batch {
  readonly ids: readonly string[];
  readonly vectors: Float32Array;
  readonly gen: number;
}

export class GraphBuild<T extends BuildTarget> {
  readonly dim: number;
  /**
   * Made by the first step() (an IVF index trains its quantizer there), or
   * the first step() after a child process finished the bulk of it.
   */
  #graph: T | null = null;
  /** The index to fill, or null while a child process still builds it (the owner polls with step()). */
  readonly #create: () => T | null;
  readonly #cancel: () => void;
  /** Removals that arrived while #create still returned null: applied to the index when it comes. */
  readonly #early = new Set<string>();
  #waiting = false;
  readonly #queue: Batch[] = [];
  /** Offset of the next row in the queue's first batch. */
  #row = 0;
  /** Queued ids not yet in the graph -> the batch generation that holds their current vector. */
  readonly #pending = new Map<string, number>();
  #gen = 0;
  /** Rows per add() call, tuned so one step stays near its time budget. */
  #chunk = 16;

  constructor(dim: number, create: () => T | null, cancel: () => void = () => {}) {
    this.dim = dim;
    this.#create = create;
    this.#cancel = cancel;
  }

  /** True while the index is being made elsewhere (a child process): step() only polls. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** Stops any work done elsewhere for this build (the owner dropped it). */
  cancel(): void {
    this.#cancel();
  }

  /** The index being built; throws before the first step(). */
  get graph(): T {
    if (!this.#graph) throw new Error('the build has not started');
    return this.#graph;
  }

  get done(): boolean {
    return this.#graph !== null && this.#pending.size === 0;
  }

  /** Live templates once the build finishes (graph + still queued). */
  get size(): number {
    return (this.#graph?.size ?? 0) + this.#pending.size;
  }

  has(templateId: string): boolean {
    return this.#pending.has(templateId) || (this.#graph?.has(templateId) ?? false);
  }

  enqueue(ids: readonly string[], vectors: Float32Array): void {
    if (ids.length === 0) return;
    const gen = ++this.#gen;
    for (const id of ids) this.#pending.set(id, gen);
    this.#queue.push({ ids, vectors, gen });
  }

  remove(ids: readonly string[]): void {
    for (const id of ids) this.#pending.delete(id);
    if (this.#graph) this.#graph.remove(ids);
    else for (const id of ids) this.#early.add(id);
  }

  /** Adds queued rows for about budgetMs; returns true when the build is done. */
  step(budgetMs: number): boolean {
    const t0 = performance.now();
    if (!this.#graph) {
      const made = this.#create();
      this.#waiting = made === null;
      if (!made) return false;
      made.remove([...this.#early]);
      this.#early.clear();
      this.#graph = made;
    }
    const graph = this.#graph;
    while (!this.done && performance.now() - t0 < budgetMs) {
      const ids: string[] = [];
      const rows: Float32Array[] = [];
      while (ids.length < this.#chunk && this.#queue.length > 0) {
        const b = this.#queue[0]!;
        if (this.#row >= b.ids.length) {
          this.#queue.shift();
          this.#row = 0;
          continue;
        }
        const id = b.ids[this.#row]!;
        const r = this.#row++;
        if (this.#pending.get(id) !== b.gen) continue;
        this.#pending.delete(id);
        ids.push(id);
        rows.push(b.vectors.subarray(r * this.dim, (r + 1) * this.dim));
      }
      if (ids.length === 0) break;
      const packed = new Float32Array(ids.length * this.dim);
      rows.forEach((v, i) => packed.set(v, i * this.dim));
      const t = performance.now();
      graph.add(ids, packed);
      const ms = performance.now() - t;
      // Aim each add() at a quarter of the budget: insertion cost grows with the graph.
      const perRow = Math.max(ms / ids.length, 1e-3);
      this.#chunk = Math.max(1, Math.min(4096, Math.floor(budgetMs / 4 / perRow)));
    }
    if (this.done) this.#queue.length = 0;
    return this.done;
  }
}
