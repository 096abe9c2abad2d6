// faiss's own serialised index layouts (faiss 1.7.3 index_write.cpp), read
// and written here because faiss-node exposes neither a raw-float add nor any
// HNSW parameter setter: a flat index is built from raw floats in its file
// layout, and an HNSW graph's efConstruction / efSearch are set by patching
// its serialised header and loading it back. Checked against faiss's own
// writer in the tests.

/** Bytes before the float data of a serialised IndexFlatIP/L2 ("IxFI"). */
export const FLAT_HEADER = 45;

/**
 * faiss's serialised IndexFlatIP: fourcc "IxFI", d (i32), ntotal (i64), two
 * unused i64 fields, is_trained (u8), metric (i32, 0 = inner product), then
 * the float vector (i64 length + raw little-endian float32).
 */
export function flatIndexBytes(dim: number, vectors: Float32Array): Buffer {
  const n = vectors.length / dim;
  if (!Number.isInteger(n)) throw new TypeError('vectors length is not a multiple of dim');
  const h = Buffer.alloc(FLAT_HEADER);
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

/** Copies the float data out of a serialised flat inner-product index (at `at`). */
export function flatVectors(bytes: Buffer, at = 0): Float32Array {
  if (bytes.length < at + FLAT_HEADER || bytes.toString('latin1', at, at + 4) !== 'IxFI') throw new Error('not a flat index');
  if (bytes.readInt32LE(at + 33) !== 0) throw new Error('flat index is not inner product');
  const count = Number(bytes.readBigInt64LE(at + 37));
  const start = at + FLAT_HEADER;
  if (count < 0 || start + count * 4 > bytes.length) throw new Error('flat index is truncated');
  // The float data need not be 4-byte aligned inside the buffer: copy it out.
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(start, start + count * 4));
  return out;
}

/**
 * Copies the given rows (positions, in order) out of a serialised flat
 * inner-product index at `at` without copying the rest: a rebuild keeps 90%
 * of a graph that may hold hundreds of MB.
 */
export function flatRows(bytes: Buffer, at: number, dim: number, positions: readonly number[]): Float32Array {
  if (bytes.length < at + FLAT_HEADER || bytes.toString('latin1', at, at + 4) !== 'IxFI') throw new Error('not a flat index');
  const count = Number(bytes.readBigInt64LE(at + 37));
  const start = at + FLAT_HEADER;
  if (count < 0 || count % dim !== 0 || start + count * 4 > bytes.length) throw new Error('flat index is truncated');
  const out = new Float32Array(positions.length * dim);
  const outBytes = new Uint8Array(out.buffer);
  const row = dim * 4;
  positions.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p >= count / dim) throw new RangeError('row out of range');
    outBytes.set(bytes.subarray(start + p * row, start + (p + 1) * row), i * row);
  });
  return out;
}

export interface HnswLayout {
  readonly dim: number;
  readonly ntotal: number;
  /** Byte offsets of the two i32 search/construction parameters. */
  readonly efConstructionAt: number;
  readonly efSearchAt: number;
  /** Byte offset of the storage (a flat inner-product index holding every vector). */
  readonly storageAt: number;
}

/**
 * Walks a serialised IndexHNSWFlat ("IHNf"): index header, then the HNSW
 * struct (assign_probas f64[], cum_nneighbor_per_level i32[], levels i32[],
 * offsets u64[], neighbors i32[], each a u64 length + data; entry_point,
 * max_level, efConstruction, efSearch, upper_beam as i32), then the storage.
 */
export function hnswLayout(bytes: Buffer): HnswLayout {
  if (bytes.length < 41 || bytes.toString('latin1', 0, 4) !== 'IHNf') throw new Error('not an HNSW flat index');
  const dim = bytes.readInt32LE(4);
  const ntotal = Number(bytes.readBigInt64LE(8));
  const metric = bytes.readInt32LE(33);
  if (metric !== 0) throw new Error('HNSW index is not inner product');
  let at = 37;
  for (const size of [8, 4, 4, 8, 4]) {
    if (at + 8 > bytes.length) throw new Error('HNSW index is truncated');
    at += 8 + Number(bytes.readBigUInt64LE(at)) * size;
  }
  if (at + 20 > bytes.length) throw new Error('HNSW index is truncated');
  return { dim, ntotal, efConstructionAt: at + 8, efSearchAt: at + 12, storageAt: at + 20 };
}

/** Replaces a serialised HNSW index's construction and search beam widths, in place. */
export function setHnswParams(bytes: Buffer, params: { readonly efConstruction?: number; readonly efSearch?: number }): void {
  const layout = hnswLayout(bytes);
  if (params.efConstruction !== undefined) bytes.writeInt32LE(params.efConstruction, layout.efConstructionAt);
  if (params.efSearch !== undefined) bytes.writeInt32LE(params.efSearch, layout.efSearchAt);
}

export function hnswParams(bytes: Buffer): { efConstruction: number; efSearch: number } {
  const layout = hnswLayout(bytes);
  return { efConstruction: bytes.readInt32LE(layout.efConstructionAt), efSearch: bytes.readInt32LE(layout.efSearchAt) };
}

export interface IvfLayout {
  readonly dim: number;
  readonly ntotal: number;
  readonly nlist: number;
  /** Byte offset of nprobe (u64), read by every search. */
  readonly nprobeAt: number;
  /** Byte offset of the inverted lists ("ilar"). */
  readonly invlistsAt: number;
}

/**
 * Walks a serialised IndexIVFFlat ("IwFl", inner product): index header,
 * nlist and nprobe (u64), the coarse quantizer (a flat inner-product index),
 * the direct map (a type byte and a u64-length i64 array), then the
 * inverted lists.
 */
export function ivfLayout(bytes: Buffer): IvfLayout {
  if (bytes.length < 53 + FLAT_HEADER || bytes.toString('latin1', 0, 4) !== 'IwFl') throw new Error('not an IVF flat index');
  if (bytes.readInt32LE(33) !== 0) throw new Error('IVF index is not inner product');
  const dim = bytes.readInt32LE(4);
  const ntotal = Number(bytes.readBigInt64LE(8));
  const nlist = Number(bytes.readBigUInt64LE(37));
  const q = 53;
  if (bytes.toString('latin1', q, q + 4) !== 'IxFI') throw new Error('IVF quantizer is not a flat inner-product index');
  let at = q + FLAT_HEADER + Number(bytes.readBigInt64LE(q + 37)) * 4;
  if (at + 9 > bytes.length) throw new Error('IVF index is truncated');
  if (bytes.readUInt8(at) !== 0) throw new Error('IVF index has a direct map');
  at += 1 + 8 + Number(bytes.readBigUInt64LE(at + 1)) * 8;
  if (at > bytes.length) throw new Error('IVF index is truncated');
  return { dim, ntotal, nlist, nprobeAt: 45, invlistsAt: at };
}

/** Replaces a serialised IVF index's nprobe (lists scanned per search), in place. */
export function setIvfNprobe(bytes: Buffer, nprobe: number): void {
  if (!Number.isInteger(nprobe) || nprobe < 1) throw new RangeError('nprobe must be a positive integer');
  bytes.writeBigUInt64LE(BigInt(nprobe), ivfLayout(bytes).nprobeAt);
}

export function ivfNprobe(bytes: Buffer): number {
  return Number(bytes.readBigUInt64LE(ivfLayout(bytes).nprobeAt));
}

/**
 * Visits each non-empty inverted list of a serialised IndexIVFFlat with the
 * byte offsets of its codes and ids and its length. ArrayInvertedLists
 * ("ilar"): nlist, code_size (u64), "full" with one size per list or "sprs"
 * with (list, size) pairs, then per non-empty list its codes (raw floats)
 * followed by its ids (i64).
 */
function eachIvfList(bytes: Buffer, dim: number, visit: (codesAt: number, idsAt: number, n: number) => void): void {
  const layout = ivfLayout(bytes);
  let at = layout.invlistsAt;
  if (bytes.toString('latin1', at, at + 4) !== 'ilar') throw new Error('IVF lists are not array lists');
  const codeSize = Number(bytes.readBigUInt64LE(at + 12));
  if (codeSize !== dim * 4) throw new Error('IVF lists do not hold raw 32-bit floats');
  const type = bytes.toString('latin1', at + 20, at + 24);
  const count = Number(bytes.readBigUInt64LE(at + 24));
  at += 32;
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) sizes.push(Number(bytes.readBigUInt64LE(at + i * 8)));
  at += count * 8;
  const listSizes = type === 'full' ? sizes : type === 'sprs' ? sizes.filter((_, i) => i % 2 === 1) : null;
  if (!listSizes) throw new Error('IVF lists have an unknown layout');
  for (const n of listSizes) {
    if (n === 0) continue;
    const idsAt = at + n * codeSize;
    if (idsAt + n * 8 > bytes.length) throw new Error('IVF index is truncated');
    visit(at, idsAt, n);
    at = idsAt + n * 8;
  }
}

/**
 * Copies the rows stored under the given ids (faiss labels, here positions)
 * out of a serialised IndexIVFFlat, in the order of `want` (label -> output row).
 */
export function ivfRows(bytes: Buffer, dim: number, want: ReadonlyMap<number, number>): Float32Array {
  const codeSize = dim * 4;
  const out = new Float32Array(want.size * dim);
  const outBytes = new Uint8Array(out.buffer);
  let found = 0;
  eachIvfList(bytes, dim, (codesAt, idsAt, n) => {
    for (let j = 0; j < n; j++) {
      const row = want.get(Number(bytes.readBigInt64LE(idsAt + j * 8)));
      if (row === undefined) continue;
      outBytes.set(bytes.subarray(codesAt + j * codeSize, codesAt + (j + 1) * codeSize), row * codeSize);
      found++;
    }
  });
  if (found !== want.size) throw new Error('IVF index lacks some of the rows asked for');
  return out;
}

/**
 * Adds `offset` to every label of a serialised IndexIVFFlat, in place: an
 * index filled in another process numbers its rows from 0, and faiss's
 * merge_from keeps labels as they are, so the part that holds rows
 * offset.. is renumbered before the merge.
 */
export function shiftIvfLabels(bytes: Buffer, dim: number, offset: number): void {
  const by = BigInt(offset);
  eachIvfList(bytes, dim, (_codesAt, idsAt, n) => {
    for (let j = 0; j < n; j++) bytes.writeBigInt64LE(bytes.readBigInt64LE(idsAt + j * 8) + by, idsAt + j * 8);
  });
}
