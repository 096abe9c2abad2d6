// One client's FAISS gallery: exact flat search (FlatIndex) while small, a
// large-gallery index once it holds GALLERY_HNSW_MIN templates (IvfIndex by
// default, or the HNSW graph, HnswGraph), back to flat below DEMOTE_RATIO of
// that. Large indexes are built and rebuilt (after removals leave too many
// tombstones, or an IVF index outgrows its cells) a slice at a time by step(), which the
// gallery worker calls between requests (an IVF build of IVF_CHILD_MIN or more
// templates runs in child processes, IvfChildBuild, and step() only polls for
// it); until a build finishes the old index keeps serving and every change is
// applied to both.
// Snapshots (one file per client) hold the serving index's bytes and its id
// array, sealed with AES-256-GCM under a key derived from the client's data
// key, so they are unreadable once the client (and its key) is deleted, and a
// torn or altered file fails authentication instead of loading wrong ids.
// Format 2 adds the index kind (flat, graph or ivf, ids with null at tombstones);
// format 1 files (flat only) still load.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { GalleryHit } from './Gallery.ts';
import { FlatIndex } from './FlatIndex.ts';
import { GraphBuild } from './GraphBuild.ts';
import { HnswGraph } from './HnswGraph.ts';
import { IvfChildBuild, type WriteRows, writeFloats } from './IvfChildBuild.ts';
import { IvfIndex } from './IvfIndex.ts';
import {
  DEFAULT_HNSW_MIN,
  DEFAULT_LARGE_INDEX,
  DEMOTE_RATIO,
  IVF_CHILD_MIN,
  IVF_NPROBE,
  IVF_REGROW,
  ivfTrainRows,
  type LargeIndexKind,
  TOMBSTONE_REBUILD_FRACTION,
  efSearchFor,
  nlistFor,
} from './hnswPolicy.ts';

export { flatIndexBytes } from './faissBytes.ts';
export type Hit = GalleryHit;

export type ClientIndexKind = 'flat' | 'graph' | 'ivf';

type LargeIndex = HnswGraph | IvfIndex;

export interface ClientIndexOptions {
  /** Live templates from which the graph serves searches (GALLERY_HNSW_MIN). */
  readonly hnswMin?: number;
  /** The index that serves from hnswMin on (GALLERY_INDEX): 'ivf' (default) or 'hnsw'. */
  readonly largeIndex?: LargeIndexKind;
  /** IVF builds of at least this many templates train and fill the index in child processes (IVF_CHILD_MIN). */
  readonly ivfChildMin?: number;
}

export interface ClientIndexStats {
  readonly kind: ClientIndexKind;
  readonly size: number;
  /** Removed templates still in the large index (always 0 for flat). */
  readonly tombstones: number;
  /** A graph build (switch to graph, or tombstone rebuild) is in progress. */
  readonly building: boolean;
  /** The serving graph's search beam, or null for flat and IVF. */
  readonly efSearch: number | null;
  /** Only while an IVF index serves: its cells and the cells scanned per search. */
  readonly nlist?: number;
  readonly nprobe?: number;
  /** Searches run again over IVF_WIDE_NPROBE cells because their best hit was below IVF_WIDEN_BELOW. */
  readonly widened?: number;
}

/** Format 1 (flat only) had no kind and no null ids. */
interface SnapshotMeta {
  readonly dim: number;
  readonly ntotal: number;
  readonly kind?: ClientIndexKind;
  readonly ids: readonly (string | null)[];
}

const SNAP_VERSION = 2;

/** Format 2 binds the version byte into the authenticated data, so it cannot be swapped for 1. */
function aad(name: string, version: number): Buffer {
  return Buffer.from(version === 1 ? `gallery:${name}` : `gallery:${name}:v${version}`);
}

function seal(key: Uint8Array, name: string, plain: Buffer): Buffer {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(name, SNAP_VERSION));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([SNAP_VERSION]), iv, c.getAuthTag(), body]);
}

function unseal(key: Uint8Array, name: string, blob: Buffer): { version: number; plain: Buffer } {
  const version = blob[0];
  if (blob.length < 29 || (version !== 1 && version !== 2)) throw new Error('bad snapshot header');
  const d = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
  d.setAAD(aad(name, version));
  d.setAuthTag(blob.subarray(13, 29));
  return { version, plain: Buffer.concat([d.update(blob.subarray(29)), d.final()]) };
}

/** Up to `rows` rows spread evenly over the gallery (a copy): the IVF quantizer's k-means input. */
function trainingSample(vectors: Float32Array, dim: number, rows: number): Float32Array {
  const n = vectors.length / dim;
  if (n <= rows) return vectors.slice();
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const r = Math.floor((i * n) / rows);
    out.set(vectors.subarray(r * dim, (r + 1) * dim), i * dim);
  }
  return out;
}

/** settle()'s pause between polls of a build in child processes. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export function snapshotFile(dir: string, name: string): string {
  return path.join(dir, `${name}.gallery`);
}

export class ClientIndex {
  readonly dim: number;
  readonly #hnswMin: number;
  readonly #largeIndex: LargeIndexKind;
  readonly #ivfChildMin: number;
  /** Exactly one of #flat and #graph (the large index, HNSW or IVF) serves. */
  #flat: FlatIndex | null;
  #graph: LargeIndex | null;
  /** The large index that will replace the serving index once built. */
  #build: GraphBuild<LargeIndex> | null = null;
  dirty = false;

  private constructor(dim: number, serving: FlatIndex | LargeIndex, options: ClientIndexOptions) {
    const hnswMin = options.hnswMin ?? DEFAULT_HNSW_MIN;
    if (!Number.isInteger(hnswMin) || hnswMin < 1) throw new TypeError('hnswMin must be a positive integer');
    this.dim = dim;
    this.#hnswMin = hnswMin;
    this.#largeIndex = options.largeIndex ?? DEFAULT_LARGE_INDEX;
    this.#ivfChildMin = options.ivfChildMin ?? IVF_CHILD_MIN;
    this.#flat = serving instanceof FlatIndex ? serving : null;
    this.#graph = serving instanceof FlatIndex ? null : serving;
  }

  static empty(dim: number, options: ClientIndexOptions = {}): ClientIndex {
    return new ClientIndex(dim, FlatIndex.empty(dim), options);
  }

  get size(): number {
    return this.#flat?.size ?? this.#graph!.size;
  }

  get kind(): ClientIndexKind {
    if (!this.#graph) return 'flat';
    return this.#graph instanceof IvfIndex ? 'ivf' : 'graph';
  }

  /** True while a background graph build wants step() calls. */
  get building(): boolean {
    return this.#build !== null;
  }

  /** True while the build runs in child processes: step() only polls, so call it less often. */
  get waiting(): boolean {
    return this.#build?.waiting ?? false;
  }

  stats(): ClientIndexStats {
    return {
      kind: this.kind,
      size: this.size,
      tombstones: this.#graph?.tombstones ?? 0,
      building: this.building,
      efSearch: this.#graph instanceof HnswGraph ? this.#graph.efSearch : null,
      ...(this.#graph instanceof IvfIndex ? { nlist: this.#graph.nlist, nprobe: this.#graph.nprobe, widened: this.#graph.widened } : {}),
    };
  }

  ids(): readonly string[] {
    return this.#flat?.ids() ?? this.#graph!.liveIds();
  }

  has(templateId: string): boolean {
    return this.#flat?.has(templateId) ?? this.#graph!.has(templateId);
  }

  /** Adds vectors (row-major, n * dim floats); ids already present are skipped. */
  add(templateIds: readonly string[], vectors: Float32Array): void {
    if (vectors.length !== templateIds.length * this.dim) throw new TypeError('vectors do not match ids x dim');
    const keep: number[] = [];
    const seen = new Set<string>();
    templateIds.forEach((id, i) => {
      if (!this.has(id) && !seen.has(id)) {
        seen.add(id);
        keep.push(i);
      }
    });
    if (keep.length === 0) return;
    const ids = keep.map((i) => templateIds[i]!);
    let packed = vectors;
    if (keep.length !== templateIds.length) {
      packed = new Float32Array(keep.length * this.dim);
      keep.forEach((i, j) => packed.set(vectors.subarray(i * this.dim, (i + 1) * this.dim), j * this.dim));
    }
    if (this.#flat) this.#flat.add(ids, packed);
    else this.#graph!.add(ids, packed);
    this.#build?.enqueue(ids, packed);
    this.dirty = true;
    this.#plan();
  }

  remove(templateIds: readonly string[]): number {
    const removed = this.#flat ? this.#flat.remove(templateIds) : this.#graph!.remove(templateIds);
    if (removed === 0) return 0;
    this.#build?.remove(templateIds);
    this.dirty = true;
    this.#plan();
    return removed;
  }

  search(query: Float32Array, k: number): Hit[] {
    if (query.length !== this.dim) throw new TypeError(`query must have ${this.dim} dimensions`);
    return this.#flat ? this.#flat.search(query, k) : this.#graph!.search(query, k);
  }

  /**
   * Runs the background build for about budgetMs; returns true when it has
   * finished and the new graph now serves (the index is then dirty).
   */
  step(budgetMs: number): boolean {
    if (!this.#build?.step(budgetMs)) return false;
    this.#graph = this.#build.graph;
    this.#flat = null;
    this.#build = null;
    this.dirty = true;
    this.#plan();
    return true;
  }

  /** Drops the background build; the serving index is unaffected. */
  cancelBuild(): void {
    this.#build?.cancel();
    this.#build = null;
  }

  /** Runs any background build to the end (start-up tools, benchmarks, tests). */
  settle(): void {
    while (this.#build) {
      this.step(1000);
      if (this.waiting) Atomics.wait(PAUSE, 0, 0, 20);
    }
  }

  /** Starts, cancels or finishes transitions after a change in size or tombstones. */
  #plan(): void {
    const size = this.size;
    const demoteBelow = Math.floor(this.#hnswMin * DEMOTE_RATIO);
    if (this.#flat) {
      const flat = this.#flat;
      if (!this.#build && size >= this.#hnswMin) this.#startBuild([...flat.ids()], () => flat.vectors(), (file) => flat.writeRows(file));
      else if (this.#build && size < demoteBelow) this.cancelBuild();
      return;
    }
    const graph = this.#graph!;
    if (size < demoteBelow) {
      // Small enough that exact search is as fast: back to flat in one go (a copy, no index work).
      const { ids, vectors } = graph.liveVectors();
      const flat = FlatIndex.empty(this.dim);
      flat.add(ids, vectors);
      this.#flat = flat;
      this.#graph = null;
      this.cancelBuild();
      this.dirty = true;
      return;
    }
    const outgrown = graph instanceof IvfIndex && nlistFor(size) >= IVF_REGROW * graph.nlist;
    const wrongKind = (graph instanceof IvfIndex) !== (this.#largeIndex === 'ivf');
    if (!this.#build && (graph.tombstones > TOMBSTONE_REBUILD_FRACTION * graph.total || outgrown || wrongKind)) {
      const { ids, vectors } = graph.liveVectors();
      this.#startBuild(ids, () => vectors, writeFloats(vectors));
    }
    // Recall at a fixed beam falls as the graph grows: widen it (never narrow
    // it here, so a gallery at a tier edge does not pay the O(n) round trip on
    // every change; a rebuild starts from the size's own beam).
    if (graph instanceof HnswGraph && efSearchFor(size) > graph.efSearch) graph.setEfSearch(efSearchFor(size));
  }

  /**
   * A background build of the configured large index over these templates:
   * `vectors` gives their rows (a copy the build keeps), `writeRows` writes
   * them to a file for a build in child processes (a flat index writes its
   * own file through faiss: no 2 GB copy through JS at 1M).
   */
  #startBuild(ids: readonly string[], vectors: () => Float32Array, writeRows: WriteRows): void {
    const dim = this.dim;
    const size = ids.length;
    if (this.#largeIndex === 'ivf' && size >= this.#ivfChildMin) {
      const nlist = nlistFor(size);
      // Training and the bulk adds run in child processes; changes meanwhile queue here.
      const child = IvfChildBuild.start(dim, ids, writeRows, { nlist, nprobe: IVF_NPROBE, trainRows: ivfTrainRows(nlist) });
      if (child) {
        this.#build = new GraphBuild<LargeIndex>(dim, () => child.poll(), () => child.cancel());
        return;
      }
    }
    const rows = vectors();
    if (this.#largeIndex === 'hnsw') {
      this.#build = new GraphBuild<LargeIndex>(dim, () => HnswGraph.empty(dim, efSearchFor(size)));
    } else {
      const nlist = nlistFor(size);
      const sample = trainingSample(rows, dim, ivfTrainRows(nlist));
      this.#build = new GraphBuild<LargeIndex>(dim, () => IvfIndex.train(dim, sample, { nlist, nprobe: IVF_NPROBE }));
    }
    this.#build.enqueue(ids, rows);
  }

  /** Writes the sealed snapshot of the serving index atomically (tmp file, then rename). */
  save(dir: string, name: string, key: Uint8Array): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ids = this.#flat ? [...this.#flat.ids()] : this.#graph!.ids();
    const kind = this.kind;
    const meta = Buffer.from(JSON.stringify({ dim: this.dim, ntotal: ids.length, kind, ids } satisfies SnapshotMeta));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(meta.length);
    const bytes = this.#flat ? this.#flat.toBuffer() : this.#graph!.toBuffer();
    const file = snapshotFile(dir, name);
    fs.writeFileSync(`${file}.tmp`, seal(key, name, Buffer.concat([len, meta, bytes])), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    this.dirty = false;
  }

  /** Loads a snapshot, or null when missing, unreadable with this key, or inconsistent. */
  static load(dir: string, name: string, dim: number, key: Uint8Array, options: ClientIndexOptions = {}): ClientIndex | null {
    const file = snapshotFile(dir, name);
    if (!fs.existsSync(file)) return null;
    let serving: FlatIndex | LargeIndex;
    try {
      const { version, plain } = unseal(key, name, fs.readFileSync(file));
      const n = plain.readUInt32BE(0);
      const meta = JSON.parse(plain.subarray(4, 4 + n).toString('utf8')) as SnapshotMeta;
      const kind = version === 1 ? 'flat' : meta.kind;
      if (meta.dim !== dim || !Array.isArray(meta.ids) || meta.ids.length !== meta.ntotal) return null;
      const bytes = plain.subarray(4 + n);
      if (kind === 'flat') {
        if (meta.ids.some((id) => typeof id !== 'string')) return null;
        serving = FlatIndex.fromBuffer(dim, bytes, meta.ids as string[]);
      } else if (kind === 'graph') {
        if (meta.ids.some((id) => id !== null && typeof id !== 'string')) return null;
        serving = HnswGraph.fromBuffer(dim, bytes, meta.ids);
      } else if (kind === 'ivf') {
        if (meta.ids.some((id) => id !== null && typeof id !== 'string')) return null;
        serving = IvfIndex.fromBuffer(dim, bytes, meta.ids);
      } else return null;
    } catch {
      return null;
    }
    const index = new ClientIndex(dim, serving, options);
    // A snapshot from before a threshold change, or with many tombstones, moves on from here.
    index.#plan();
    return index;
  }

  static deleteSnapshot(dir: string, name: string): void {
    fs.rmSync(snapshotFile(dir, name), { force: true });
  }
}
