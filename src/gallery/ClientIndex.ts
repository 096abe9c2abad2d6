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

/**
 * faiss's serialised IndexFlatIP: fourcc "IxFI", d (i32), ntotal (i64), two
 * unused i64 fields, is_trained (u8), metric (i32, 0 = inner product), then
 * the float vector (i64 length + raw little-endian float32). Checked against
 * faiss's own writer in the tests.
 */
export function flatIndexBytes(dim: number, vectors: Float32Array): Buffer {
  const n = vectors.length / dim;
  if (!Number.isInteger(n)) throw new TypeError('vectors length is not a multiple of dim');
  const h = Buffer.alloc(45);
  h.write('IxFI', 0, 'latin1');
  h.writeInt32LE(dim, 4);
  h.writeBigInt64LE(BigInt(n), 8);
  h.writeBigInt64LE(1n << 20n, 16);
  h.writeBigInt64LE(1n << 20n, 24);
  h.writeUInt8(1, 32);
  h.writeInt32LE(0, 33);
  h.writeBigInt64LE(BigInt(n * dim), 37);
  return Buffer.concat([h, Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength)]);
}

export function snapshotFile(dir: string, name: string): string {
  return path.join(dir, `${name}.gallery`);
}

export class ClientIndex {
  readonly dim: number;
  #index: faiss.IndexFlatIP;
  #ids: string[];
  /** Membership only; positions are looked up in #ids on removal (rare) to keep removal O(n) without rebuilding a map. */
  #idSet: Set<string>;
  dirty = false;

  private constructor(dim: number, index: faiss.IndexFlatIP, ids: string[]) {
    this.dim = dim;
    this.#index = index;
    this.#ids = ids;
    this.#idSet = new Set(ids);
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
    return this.#idSet.has(templateId);
  }

  /** Adds vectors (row-major, n * dim floats); ids already present are skipped. */
  add(templateIds: readonly string[], vectors: Float32Array): void {
    if (vectors.length !== templateIds.length * this.dim) throw new TypeError('vectors do not match ids x dim');
    const keep: number[] = [];
    const seen = new Set<string>();
    templateIds.forEach((id, i) => {
      if (!this.#idSet.has(id) && !seen.has(id)) {
        seen.add(id);
        keep.push(i);
      }
    });
    if (keep.length === 0) return;
    const packed = new Float32Array(keep.length * this.dim);
    keep.forEach((i, j) => packed.set(vectors.subarray(i * this.dim, (i + 1) * this.dim), j * this.dim));
    // faiss-node's add() takes number[] (slow to build and convert for large
    // batches); a flat index in faiss's own file layout loads from raw floats.
    const batch = faiss.IndexFlatIP.fromBuffer(flatIndexBytes(this.dim, packed));
    if (this.#index.ntotal() === 0) this.#index = batch;
    else this.#index.mergeFrom(batch);
    for (const i of keep) {
      this.#idSet.add(templateIds[i]!);
      this.#ids.push(templateIds[i]!);
    }
    this.dirty = true;
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
}
