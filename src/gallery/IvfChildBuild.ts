// The gallery worker's side of an IVF build in child processes
// (ivfBuildChild.ts): the templates go to a private temp file, the children
// train and fill the index on both cores, and poll() (called from the build's
// step(), so it never blocks) picks up the finished index. The only
// blocking part left on the worker is faiss reading that file.
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IvfIndex, type IvfParams } from './IvfIndex.ts';
import type { IvfChildJob } from './ivfBuildChild.ts';

export class IvfChildBuild {
  readonly #dim: number;
  readonly #ids: readonly string[];
  readonly #params: IvfParams;
  readonly #dir: string;
  readonly #out: string;
  readonly #child: ChildProcess;
  #exit: string | null = null;

  /** A started build, or null when the child processes cannot start here (the caller builds in-process). */
  static start(dim: number, ids: readonly string[], vectors: Float32Array, params: IvfParams & { readonly trainRows: number }): IvfChildBuild | null {
    try {
      return new IvfChildBuild(dim, ids, vectors, params);
    } catch {
      return null;
    }
  }

  private constructor(dim: number, ids: readonly string[], vectors: Float32Array, params: IvfParams & { readonly trainRows: number }) {
    this.#dim = dim;
    this.#ids = ids;
    this.#params = { nlist: params.nlist, nprobe: Math.min(params.nprobe, params.nlist) };
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-ivf-'));
    const file = path.join(this.#dir, 'vectors.f32');
    this.#out = path.join(this.#dir, 'index.faiss');
    try {
      fs.writeFileSync(file, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), { mode: 0o600 });
      const job: IvfChildJob = { role: 'lead', vectors: file, dim, from: 0, to: ids.length, ...params, out: this.#out };
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
   * The built index once the children are done, else null; throws when the
   * build failed. Checks the result file itself, so it also works from a
   * loop that never yields to the event loop (benchmarks, settle()).
   */
  poll(): IvfIndex | null {
    if (fs.existsSync(`${this.#out}.err`)) this.#fail(fs.readFileSync(`${this.#out}.err`, 'utf8'));
    if (!fs.existsSync(this.#out)) {
      if (this.#exit !== null) this.#fail(this.#exit || 'IVF build exited without an index');
      return null;
    }
    try {
      return IvfIndex.readFile(this.#dim, this.#out, this.#ids, this.#params);
    } finally {
      this.cancel();
    }
  }

  /** Stops the children (if still running) and removes the temp files. */
  cancel(): void {
    if (this.#exit === null) this.#child.kill('SIGKILL');
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }

  #fail(message: string): never {
    this.cancel();
    throw new Error(`IVF build failed: ${message}`);
  }
}
