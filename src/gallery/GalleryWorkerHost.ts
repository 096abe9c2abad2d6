// Owns the process's single gallery worker thread (see galleryWorker.ts for
// why there is only one): started by the first FaissGallery, shared by all,
// terminated when the last one closes. Requests are matched to replies by
// sequence number; if the worker dies, every pending and later request
// fails with service_unavailable.
// First: sets OMP_NUM_THREADS in the process environment before the worker loads faiss.
import './faissThreads.ts';
import { Worker } from 'node:worker_threads';
import { FacegateError } from '../../common/errors.ts';
import type { GalleryEnvelope, GalleryReply, GalleryRequest } from './galleryProtocol.ts';

// The worker module is TypeScript. Module hooks registered with `--import tsx`
// are not inherited by worker threads on Node 20, so a tiny ESM bootstrap
// loads it through tsx's API.
function spawnWorker(): Worker {
  const url = new URL('./galleryWorker.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const src = `import { tsImport } from ${JSON.stringify(tsxApi)}; await tsImport(${JSON.stringify(url)}, ${JSON.stringify(import.meta.url)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(src)}`));
}

function stopped(cause?: unknown): FacegateError {
  return new FacegateError('service_unavailable', 'gallery worker stopped', { component: 'gallery' }, cause === undefined ? undefined : { cause });
}

export class GalleryWorkerHost {
  static #shared: GalleryWorkerHost | null = null;

  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #seq = 0;
  #nextNs = 1;
  #refs = 0;
  #dead: Error | null = null;

  private constructor() {
    this.#worker = spawnWorker();
    this.#worker.on('message', (r: GalleryReply) => {
      const p = this.#pending.get(r.seq);
      if (!p) return;
      this.#pending.delete(r.seq);
      if (r.ok) p.resolve(r.result);
      else p.reject(new FacegateError('internal_error', `gallery: ${r.message}`));
    });
    const fail = (e: Error): void => {
      this.#dead ??= e;
      for (const p of this.#pending.values()) p.reject(stopped(e));
      this.#pending.clear();
      if (GalleryWorkerHost.#shared === this) GalleryWorkerHost.#shared = null;
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`gallery worker exited with code ${code}`)));
  }

  /** The shared host, started if needed; returns a namespace id for the caller. */
  static acquire(): { host: GalleryWorkerHost; ns: number } {
    GalleryWorkerHost.#shared ??= new GalleryWorkerHost();
    const host = GalleryWorkerHost.#shared;
    host.#refs++;
    return { host, ns: host.#nextNs++ };
  }

  call<T>(ns: number, req: GalleryRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#dead) return Promise.reject(stopped(this.#dead));
    const seq = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ seq, ns, req } satisfies GalleryEnvelope, transfer);
    });
  }

  /** Drops one reference; the last one terminates the worker. */
  async release(): Promise<void> {
    this.#refs--;
    if (this.#refs > 0) return;
    if (GalleryWorkerHost.#shared === this) GalleryWorkerHost.#shared = null;
    await this.#worker.terminate();
  }
}
