// Gallery data for the large-gallery tests and bench:gallery: real face
// embeddings of ../shared/faces (one folder per identity), computed once with
// models/FaceAnalyzer and cached in the OS temp dir keyed by the photo list;
// and synthetic clustered embeddings shaped like them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';

export const FACES_DIR = path.resolve(import.meta.dirname, '../../../shared/faces');
export const HAVE_FACES = fs.existsSync(path.join(FACES_DIR, 'Angelina_Jolie'));

export interface FaceEmbedding {
  readonly identity: string;
  readonly photo: string;
  readonly embedding: Float32Array;
}

function photoList(): { identity: string; photo: string }[] {
  return fs
    .readdirSync(FACES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((identity) =>
      fs
        .readdirSync(path.join(FACES_DIR, identity))
        .filter((f) => /\.(jpe?g|png)$/i.test(f))
        .sort()
        .map((photo) => ({ identity, photo })),
    );
}

/** One embedding per photo with exactly one detected face (the biggest), identities in name order. */
export async function faceEmbeddings(): Promise<FaceEmbedding[]> {
  const list = photoList();
  const key = crypto.createHash('sha256').update(JSON.stringify(list)).digest('hex').slice(0, 16);
  const cache = path.join(os.tmpdir(), `facegate-face-embeddings-${key}.json`);
  if (fs.existsSync(cache)) {
    const rows = JSON.parse(fs.readFileSync(cache, 'utf8')) as { identity: string; photo: string; embedding: number[] }[];
    return rows.map((r) => ({ identity: r.identity, photo: r.photo, embedding: Float32Array.from(r.embedding) }));
  }
  const analyzer = await FaceAnalyzer.create();
  const out: FaceEmbedding[] = [];
  try {
    for (const { identity, photo } of list) {
      const r = await analyzer.analyze(fs.readFileSync(path.join(FACES_DIR, identity, photo)), { stages: ['embedding'], maxFaces: 1 });
      const e = r.faces[0]?.embedding;
      if (e) out.push({ identity, photo, embedding: e });
    }
  } finally {
    await analyzer.close();
  }
  fs.writeFileSync(cache, JSON.stringify(out.map((f) => ({ ...f, embedding: [...f.embedding] }))));
  return out;
}

/**
 * Synthetic face-like embeddings: identity centres are random unit vectors in
 * a LATENT_DIM-dimensional subspace of 512-d, each sample is its centre plus
 * isotropic noise of norm NOISE, normalised. Calibrated on the real
 * embeddings of ../shared/faces (95 photos, 18 people): same-person cosine
 * mean 0.703 (sd 0.099), different-person mean 0.006 (sd 0.099); here
 * same-person 1 / (1 + NOISE^2) = 0.70 and different-person sd 0.70 / sqrt(50) = 0.099.
 * (Centres spread over all 512 dimensions would give a different-person sd of
 * 0.03, a structureless worst case that no index but exhaustive search handles.)
 */
export const LATENT_DIM = 50;
export const NOISE = 0.655;

export class ClusteredEmbeddings {
  readonly dim: number;
  readonly #basis: Float32Array;
  #seed: number;

  constructor(dim = 512, seed = 12345) {
    this.dim = dim;
    this.#seed = seed >>> 0 || 1;
    this.#basis = new Float32Array(dim * LATENT_DIM);
    for (let i = 0; i < this.#basis.length; i++) this.#basis[i] = this.gauss();
  }

  rnd(): number {
    this.#seed ^= this.#seed << 13;
    this.#seed ^= this.#seed >>> 17;
    this.#seed ^= this.#seed << 5;
    return ((this.#seed >>> 0) + 0.5) / 4294967296;
  }

  gauss(): number {
    return Math.sqrt(-2 * Math.log(this.rnd())) * Math.cos(2 * Math.PI * this.rnd());
  }

  /** n identity centres (row-major unit vectors). */
  centres(n: number): Float32Array {
    const out = new Float32Array(n * this.dim);
    const z = new Float32Array(LATENT_DIM);
    for (let c = 0; c < n; c++) {
      for (let j = 0; j < LATENT_DIM; j++) z[j] = this.gauss();
      for (let i = 0; i < this.dim; i++) {
        let t = 0;
        for (let j = 0; j < LATENT_DIM; j++) t += this.#basis[i * LATENT_DIM + j]! * z[j]!;
        out[c * this.dim + i] = t;
      }
      normalise(out, c * this.dim, this.dim);
    }
    return out;
  }

  /** One noisy sample of centre c into out at row r. */
  sample(centres: Float32Array, c: number, out: Float32Array, r: number): void {
    const scale = NOISE / Math.sqrt(this.dim);
    for (let i = 0; i < this.dim; i++) out[r * this.dim + i] = centres[c * this.dim + i]! + this.gauss() * scale;
    normalise(out, r * this.dim, this.dim);
  }
}

export function normalise(v: Float32Array, at: number, dim: number): void {
  let n = 0;
  for (let i = 0; i < dim; i++) n += v[at + i]! ** 2;
  n = 1 / Math.sqrt(n);
  for (let i = 0; i < dim; i++) v[at + i]! *= n;
}

export function dot(a: Float32Array, at: number, b: Float32Array, bt: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) s += a[at + i]! * b[bt + i]!;
  return s;
}
