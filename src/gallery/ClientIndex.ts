// One client's FAISS gallery: a flat inner-product index plus the
// position -> template-id array beside it. faiss-node has no add_with_ids and
// IndexIDMap aborts the process, so ids live here; removeIds on a flat index
// compacts positions and the array is spliced the same way.
// Snapshots (one file per client) hold the flat index bytes and the id array,
// sealed with AES-256-GCM under a key derived from the client's data key, so
// they are unreadable once the client (and its key) is deleted, and a torn or
// altered file fails authentication instead of loading wrong ids.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import faiss from 'faiss-node';

export interface Hit {
  readonly templateId: string;
  readonly score: number;
}

interface SnapshotMeta {
  readonly dim: number;
  readonly ntotal: number;
  readonly ids: readonly string[];
}

const SNAP_VERSION = 1;

function seal(key: Uint8Array, name: string, plain: Buffer): Buffer {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(`gallery:${name}`));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([SNAP_VERSION]), iv, c.getAuthTag(), body]);
}

function unseal(key: Uint8Array, name: string, blob: Buffer): Buffer {
  if (blob.length < 29 || blob[0] !== SNAP_VERSION) throw new Error('bad snapshot header');
  const d = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
  d.setAAD(Buffer.from(`gallery:${name}`));
  d.setAuthTag(blob.subarray(13, 29));
  return Buffer.concat([d.update(blob.subarray(29)), d.final()]);
}

export function snapshotFile(dir: string, name: string): string {
  return path.join(dir, `${name}.gallery`);
}

export class ClientIndex {
  readonly dim: number;
  #index: faiss.IndexFlatIP;
  #ids: string[];
  #pos = new Map<string, number>();
  dirty = false;

  private constructor(dim: number, index: faiss.IndexFlatIP, ids: string[]) {
    this.dim = dim;
    this.#index = index;
    this.#ids = ids;
    this.#reindex();
  }

  static empty(dim: number): ClientIndex {
    return new ClientIndex(dim, new faiss.IndexFlatIP(dim), []);
  }

  get size(): number {
    return this.#ids.length;
  }

  ids(): readonly string[] {
    return this.#ids;
  }

  has(templateId: string): boolean {
    return this.#pos.has(templateId);
  }

  /** Adds vectors (row-major, n * dim floats); ids already present are skipped. */
  add(templateIds: readonly string[], vectors: Float32Array): void {
    if (vectors.length !== templateIds.length * this.dim) throw new TypeError('vectors do not match ids x dim');
    const keep: number[] = [];
    const seen = new Set<string>();
    templateIds.forEach((id, i) => {
      if (!this.#pos.has(id) && !seen.has(id)) {
        seen.add(id);
        keep.push(i);
      }
    });
    if (keep.length === 0) return;
    const flat = new Array<number>(keep.length * this.dim);
    keep.forEach((i, j) => {
      for (let d = 0; d < this.dim; d++) flat[j * this.dim + d] = vectors[i * this.dim + d]!;
    });
    this.#index.add(flat);
    for (const i of keep) {
      this.#pos.set(templateIds[i]!, this.#ids.length);
      this.#ids.push(templateIds[i]!);
    }
    this.dirty = true;
  }

  remove(templateIds: readonly string[]): number {
    const positions = [...new Set(templateIds)].map((id) => this.#pos.get(id)).filter((p): p is number => p !== undefined);
    if (positions.length === 0) return 0;
    const removed = this.#index.removeIds(positions);
    const drop = new Set(positions);
    this.#ids = this.#ids.filter((_, i) => !drop.has(i));
    this.#reindex();
    if (this.#index.ntotal() !== this.#ids.length) throw new Error('gallery index and id array diverged');
    this.dirty = true;
    return removed;
  }

  search(query: Float32Array, k: number): Hit[] {
    if (query.length !== this.dim) throw new TypeError(`query must have ${this.dim} dimensions`);
    const n = this.#index.ntotal();
    const kk = Math.min(Math.max(1, Math.floor(k)), n);
    if (n === 0) return [];
    const r = this.#index.search(Array.from(query), kk);
    const out: Hit[] = [];
    for (let i = 0; i < r.labels.length; i++) {
      const label = r.labels[i]!;
      if (label < 0) continue;
      out.push({ templateId: this.#ids[label]!, score: r.distances[i]! });
    }
    return out;
  }

  /** Writes the sealed snapshot atomically (tmp file, then rename). */
  save(dir: string, name: string, key: Uint8Array): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const meta = Buffer.from(JSON.stringify({ dim: this.dim, ntotal: this.#ids.length, ids: this.#ids } satisfies SnapshotMeta));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(meta.length);
    const file = snapshotFile(dir, name);
    fs.writeFileSync(`${file}.tmp`, seal(key, name, Buffer.concat([len, meta, this.#index.toBuffer()])), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    this.dirty = false;
  }

  /** Loads a snapshot, or null when missing, unreadable with this key, or inconsistent. */
  static load(dir: string, name: string, dim: number, key: Uint8Array): ClientIndex | null {
    const file = snapshotFile(dir, name);
    if (!fs.existsSync(file)) return null;
    try {
      const plain = unseal(key, name, fs.readFileSync(file));
      const n = plain.readUInt32BE(0);
      const meta = JSON.parse(plain.subarray(4, 4 + n).toString('utf8')) as SnapshotMeta;
      if (meta.dim !== dim || !Array.isArray(meta.ids) || meta.ids.length !== meta.ntotal) return null;
      const index = faiss.IndexFlatIP.fromBuffer(plain.subarray(4 + n));
      if (index.ntotal() !== meta.ntotal || index.getDimension() !== dim) return null;
      return new ClientIndex(dim, index, [...meta.ids]);
    } catch {
      return null;
    }
  }

  static deleteSnapshot(dir: string, name: string): void {
    fs.rmSync(snapshotFile(dir, name), { force: true });
  }

  #reindex(): void {
    this.#pos = new Map(this.#ids.map((id, i) => [id, i]));
  }
}
