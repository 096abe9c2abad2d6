// One client's FAISS gallery: a flat inner-product index plus the
// position -> template-id array beside it. faiss-node has no add_with_ids and
// IndexIDMap aborts the process, so ids live here; removeIds on a flat index
// compacts positions and the array is spliced the same way.
// Snapshots are the flat index bytes plus the id array with a checksum.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import faiss from 'faiss-node';

export interface Hit {
  readonly templateId: string;
  readonly score: number;
}

interface IdsFile {
  readonly dim: number;
  readonly ntotal: number;
  readonly ids: readonly string[];
  /** SHA-256 over the index bytes and the ids, to catch torn or mixed snapshots. */
  readonly checksum: string;
}

function checksum(index: Buffer, ids: readonly string[]): string {
  return crypto.createHash('sha256').update(index).update(ids.join('\n')).digest('hex');
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

  /** Writes index + ids atomically (tmp then rename; ids last, so a torn write fails the checksum). */
  save(dir: string, name: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const buf = this.#index.toBuffer();
    const ids: IdsFile = { dim: this.dim, ntotal: this.#ids.length, ids: this.#ids, checksum: checksum(buf, this.#ids) };
    const idx = path.join(dir, `${name}.faiss`);
    const idf = path.join(dir, `${name}.ids.json`);
    fs.writeFileSync(`${idx}.tmp`, buf, { mode: 0o600 });
    fs.renameSync(`${idx}.tmp`, idx);
    fs.writeFileSync(`${idf}.tmp`, JSON.stringify(ids), { mode: 0o600 });
    fs.renameSync(`${idf}.tmp`, idf);
    this.dirty = false;
  }

  /** Loads a snapshot, or null when missing, torn, or inconsistent. */
  static load(dir: string, name: string, dim: number): ClientIndex | null {
    const idx = path.join(dir, `${name}.faiss`);
    const idf = path.join(dir, `${name}.ids.json`);
    if (!fs.existsSync(idx) || !fs.existsSync(idf)) return null;
    try {
      const buf = fs.readFileSync(idx);
      const meta = JSON.parse(fs.readFileSync(idf, 'utf8')) as IdsFile;
      if (meta.dim !== dim || !Array.isArray(meta.ids) || meta.ids.length !== meta.ntotal) return null;
      if (checksum(buf, meta.ids) !== meta.checksum) return null;
      const index = faiss.IndexFlatIP.fromBuffer(buf);
      if (index.ntotal() !== meta.ntotal || index.getDimension() !== dim) return null;
      return new ClientIndex(dim, index, [...meta.ids]);
    } catch {
      return null;
    }
  }

  static deleteSnapshot(dir: string, name: string): void {
    for (const f of [`${name}.faiss`, `${name}.ids.json`]) fs.rmSync(path.join(dir, f), { force: true });
  }

  #reindex(): void {
    this.#pos = new Map(this.#ids.map((id, i) => [id, i]));
  }
}
