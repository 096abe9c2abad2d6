// The gallery worker's side of an IVF build in child processes
// (ivfBuildChild.ts): the templates go to a private temp file, the children
// train and fill the index on both cores in two parts, and poll() (called
// from the build's step(), so it never blocks on the children) reads the
// parts once they are done, one blocking step per poll (read a, read b,
// merge, id map): the only blocking work left on the worker.
// The hand-off folder is in /dev/shm when it has room (RAM: the 2 GB file at
// 1M is written at memory speed and never flushed to disk), else the OS temp
// folder.
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import faiss from 'faiss-node';
import { IvfIndex, type IvfParams } from './IvfIndex.ts';
import type { IvfChildJob, IvfChildParts } from './ivfBuildChild.ts';

/**
 * Writes the build's rows (row-major little-endian float32, in id order) to
 * `file`; returns the byte offset of the first row (a flat index writes its
 * own file through faiss, header included).
 */
export type WriteRows = (file: string) => number;

/**
 * FACEGATE_IVF_BUILD_LOG=1 (the benchmark sets it, after its imports): the
 * worker's blocking steps' times go to stderr too.
 */
function timed<T>(name: string, f: () => T): T {
  const t = performance.now();
  const out = f();
  if (process.env.FACEGATE_IVF_BUILD_LOG === '1') process.stderr.write(`ivf build (gallery worker): ${name} ${((performance.now() - t) / 1000).toFixed(2)} s\n`);
  return out;
}

/** A Float32Array as a WriteRows: the raw floats in one write. */
export function writeFloats(vectors: Float32Array): WriteRows {
  return (file) => {
    fs.writeFileSync(file, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), { mode: 0o600 });
    return 0;
  };
}

/** /dev/shm when it can hold the rows and both parts with room to spare and the RAM is free, else the OS temp folder. */
function handOffRoot(bytes: number): string {
  try {
    const shm = fs.statfsSync('/dev/shm');
    if (shm.bavail * shm.bsize > 3 * bytes && os.freemem() > 4 * bytes) return '/dev/shm';
  } catch {
    // No /dev/shm here.
  }
  return os.tmpdir();
}

export class IvfChildBuild {
  readonly #dim: number;
  readonly #ids: readonly string[];
  readonly #params: IvfParams;
  readonly #dir: string;
  readonly #out: string;
  /** The rows' hand-off file. */
  readonly #rows: string;
  readonly #parts: readonly [string, string];
  readonly #child: ChildProcess;
  #exit: string | null = null;
  /** What the lead wrote once the children were done. */
  #done: IvfChildParts | null = null;
  /** The parts, once read (rows 0 .. middle, middle .. end). */
  #first: faiss.Index | null = null;
  #second: faiss.Index | null = null;
  #merged = false;

  /** A started build, or null when the child processes cannot start here (the caller builds in-process). */
  static start(dim: number, ids: readonly string[], rows: WriteRows, params: IvfParams & { readonly trainRows: number }): IvfChildBuild | null {
    try {
      return new IvfChildBuild(dim, ids, rows, params);
    } catch {
      return null;
    }
  }

  private constructor(dim: number, ids: readonly string[], rows: WriteRows, params: IvfParams & { readonly trainRows: number }) {
    this.#dim = dim;
    this.#ids = ids;
    this.#params = { nlist: params.nlist, nprobe: Math.min(params.nprobe, params.nlist) };
    this.#dir = fs.mkdtempSync(path.join(handOffRoot(ids.length * dim * 4), 'facegate-ivf-'));
    this.#rows = path.join(this.#dir, 'vectors.f32');
    this.#out = path.join(this.#dir, 'index.parts');
    this.#parts = [path.join(this.#dir, 'part-a.faiss'), path.join(this.#dir, 'part-b.faiss')];
    try {
      const offset = timed('rows written for the children', () => rows(this.#rows));
      const job: IvfChildJob = { role: 'lead', vectors: this.#rows, offset, dim, from: 0, to: ids.length, ...params, out: this.#out, parts: this.#parts };
      // The child is TypeScript too: load it through tsx, as the worker is.
      this.#child = fork(new URL('./ivfBuildChild.ts', import.meta.url), [JSON.stringify(job)], {
        execArgv: ['--import', import.meta.resolve('tsx')],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        // The lead trains alone on both cores; then it and its helper add on one each.
        env: { ...process.env, OMP_NUM_THREADS: '2' },
      });
    } catch (err) {
      fs.rmSync(this.#dir, { recursive: true, force: true });
      throw err;
    }
    this.#child.once('error', (err) => (this.#exit = err.message));
    this.#child.once('exit', (code, signal) => (this.#exit ??= code === 0 ? '' : `IVF build exited with ${code ?? signal}`));
  }

  /**
   * The built index once the children are done and their parts are read,
   * else null; throws when the build failed. Checks the result files itself,
   * so it also works from a loop that never yields to the event loop
   * (benchmarks, settle()). Once the children are done, each blocking step
   * gets its own poll: part a read, part b read, the merge, the id map. faiss reads each
   * part from its file, without a copy through a JS buffer. The parts are read
   * only once the helper is done: read while it still added, part a took
   * 8.5 s at 1M, part b after it 0.9 s.
   */
  poll(): IvfIndex | null {
    if (fs.existsSync(`${this.#out}.err`)) this.#fail(fs.readFileSync(`${this.#out}.err`, 'utf8'));
    if (!this.#done) {
      if (!fs.existsSync(this.#out)) {
        if (this.#exit !== null) this.#fail(this.#exit || 'IVF build exited without an index');
        return null;
      }
      this.#done = JSON.parse(fs.readFileSync(this.#out, 'utf8')) as IvfChildParts;
    }
    try {
      if (!this.#first) {
        // The children are done with the rows: their file goes first (2 GB of RAM at 1M in /dev/shm).
        fs.rmSync(this.#rows, { force: true });
        this.#first = timed('part a read', () => this.#readPart(this.#parts[0]));
        if (this.#done.parts === 2) return null;
      } else if (!this.#second) {
        this.#second = timed('part b read', () => this.#readPart(this.#parts[1]));
        return null;
      } else if (!this.#merged) {
        const [first, second, addId] = [this.#first, this.#second, this.#done.addId];
        timed('part b merged', () => first.mergeFrom(second, addId));
        this.#merged = true;
        return null;
      }
    } catch (err) {
      this.#fail(err instanceof Error ? err.message : String(err));
    }
    try {
      return timed('index and ids wrapped', () => IvfIndex.fromIndex(this.#dim, this.#first!, this.#ids, this.#params));
    } finally {
      this.cancel();
    }
  }

  #readPart(file: string): faiss.Index {
    const index = faiss.Index.read(file);
    fs.rmSync(file);
    if (index.getDimension() !== this.#dim) throw new Error('IVF index does not match its ids');
    return index;
  }

  /** Stops the children (if still running) and removes the temp files. */
  cancel(): void {
    if (this.#exit === null) this.#child.kill('SIGKILL');
    this.#first = null;
    this.#second = null;
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }

  #fail(message: string): never {
    this.cancel();
    throw new Error(`IVF build failed: ${message}`);
  }
}
