// Gallery on FAISS, run in the process's gallery worker thread (one
// namespace per FaissGallery; galleryWorker.ts) so searches
// over large galleries stay off the event loop. Snapshots are written to
// <dir>/<client id>.faiss + .ids.json a moment after changes and at close;
// at start syncGalleryFromStore() loads them and checks them against the
// store, rebuilding any that disagree.
// faiss is used from the worker only: on this build, faiss calls on the main
// thread after a faiss worker thread has exited crash the process (OpenMP
// state; seen in bench:gallery), so keep the main thread faiss-free.
import type { ClientIndexStats } from './ClientIndex.ts';
import type { Gallery, GalleryEntry, GalleryHit } from './Gallery.ts';
import type { GalleryRequest } from './galleryProtocol.ts';
import { GalleryWorkerHost } from './GalleryWorkerHost.ts';
import type { LargeIndexKind } from './hnswPolicy.ts';

export interface FaissGalleryOptions {
  /** Snapshot directory. */
  readonly dir: string;
  readonly dim?: number;
  /** Live templates from which a client's gallery is searched through an HNSW graph (GALLERY_HNSW_MIN). */
  readonly hnswMin?: number;
  /** The large-gallery index (GALLERY_INDEX): 'ivf' (default) or 'hnsw'. */
  readonly largeIndex?: LargeIndexKind;
  /** Delay before writing snapshots after a change. */
  readonly persistDelayMs?: number;
  /** The client's snapshot encryption key (KeyRing.snapshotKey); throws if the client's key is not loaded. */
  readonly snapshotKey: (clientId: string) => Uint8Array;
  /** Called with each search's duration in seconds (metrics). */
  readonly onSearch?: (seconds: number) => void;
}

export class FaissGallery implements Gallery {
  readonly dim: number;
  readonly #host: GalleryWorkerHost;
  readonly #ns: number;
  readonly #opened: Promise<unknown>;
  readonly #persistDelayMs: number;
  readonly #snapshotKey: (clientId: string) => Uint8Array;
  readonly #onSearch: ((seconds: number) => void) | undefined;
  #persistTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: FaissGalleryOptions) {
    this.dim = options.dim ?? 512;
    this.#persistDelayMs = options.persistDelayMs ?? 1000;
    this.#snapshotKey = options.snapshotKey;
    this.#onSearch = options.onSearch;
    const { host, ns } = GalleryWorkerHost.acquire();
    this.#host = host;
    this.#ns = ns;
    this.#opened = host.call(ns, {
      op: 'open',
      dir: options.dir,
      dim: this.dim,
      ...(options.hnswMin === undefined ? {} : { hnswMin: options.hnswMin }),
      ...(options.largeIndex === undefined ? {} : { largeIndex: options.largeIndex }),
    });
    this.#opened.catch(() => {});
  }

  async #call<T>(req: GalleryRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    await this.#opened;
    return this.#host.call<T>(this.#ns, req, transfer);
  }

  #packed(entries: readonly GalleryEntry[]): { ids: string[]; vectors: Float32Array } {
    const vectors = new Float32Array(entries.length * this.dim);
    entries.forEach((e, i) => {
      if (e.embedding.length !== this.dim) throw new TypeError(`embedding must have ${this.dim} dimensions`);
      vectors.set(e.embedding, i * this.dim);
    });
    return { ids: entries.map((e) => e.templateId), vectors };
  }

  async add(clientId: string, entries: readonly GalleryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { ids, vectors } = this.#packed(entries);
    await this.#call({ op: 'add', clientId, key: this.#snapshotKey(clientId), ids, vectors }, [vectors.buffer as ArrayBuffer]);
    this.#schedulePersist();
  }

  async remove(clientId: string, templateIds: readonly string[]): Promise<number> {
    if (templateIds.length === 0) return 0;
    const n = await this.#call<number>({ op: 'remove', clientId, ids: [...templateIds] });
    if (n > 0) this.#schedulePersist();
    return n;
  }

  async search(clientId: string, embedding: Float32Array, k: number): Promise<GalleryHit[]> {
    if (embedding.length !== this.dim) throw new TypeError(`embedding must have ${this.dim} dimensions`);
    if (!Number.isInteger(k) || k < 1) throw new TypeError('k must be a positive integer');
    const t0 = process.hrtime.bigint();
    const hits = await this.#call<GalleryHit[]>({ op: 'search', clientId, query: Float32Array.from(embedding), k });
    this.#onSearch?.(Number(process.hrtime.bigint() - t0) / 1e9);
    return hits;
  }

  size(clientId: string): Promise<number> {
    return this.#call<number>({ op: 'size', clientId });
  }

  ids(clientId: string): Promise<string[]> {
    return this.#call<string[]>({ op: 'ids', clientId });
  }

  /** The client's index kind (flat or graph), size, tombstones and build state; null if it has no index here. */
  stats(clientId: string): Promise<ClientIndexStats | null> {
    return this.#call<ClientIndexStats | null>({ op: 'stats', clientId });
  }

  async dropClient(clientId: string): Promise<void> {
    await this.#call({ op: 'drop', clientId });
  }

  /** Loads the client's snapshot; returns its template ids, or null if none or unreadable. */
  load(clientId: string): Promise<string[] | null> {
    return this.#call<string[] | null>({ op: 'load', clientId, key: this.#snapshotKey(clientId) });
  }

  async replace(clientId: string, entries: readonly GalleryEntry[]): Promise<void> {
    const { ids, vectors } = this.#packed(entries);
    await this.#call({ op: 'replace', clientId, key: this.#snapshotKey(clientId), ids, vectors }, [vectors.buffer as ArrayBuffer]);
    this.#schedulePersist();
  }

  /** Deletes snapshot files of clients other than keep; returns how many. */
  prune(keep: readonly string[]): Promise<number> {
    return this.#call<number>({ op: 'prune', keep: [...keep] });
  }

  /** Writes snapshots of changed clients now; returns how many were written. */
  async persist(): Promise<number> {
    if (this.#persistTimer) clearTimeout(this.#persistTimer);
    this.#persistTimer = null;
    return this.#call<number>({ op: 'persist' });
  }

  #schedulePersist(): void {
    if (this.#persistTimer || this.#closed) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = null;
      this.persist().catch(() => {});
    }, this.#persistDelayMs);
    this.#persistTimer.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#persistTimer) clearTimeout(this.#persistTimer);
    await this.#call({ op: 'close' }).catch(() => {});
    await this.#host.release();
  }
}
