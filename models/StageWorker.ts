// A worker thread that runs the box-only stages (passive liveness, head
// pose) of a frame while the calling thread runs landmarks, eyes and the
// embedding. onnxruntime-node runs inference synchronously on the calling
// thread, so this is how one frame uses two cores. The frame is shared, not
// copied: FaceAnalyzer places it in a SharedArrayBuffer the worker reads.
import { Worker } from 'node:worker_threads';
import type { HeadPose } from './BoxStages.ts';
import { ModelError, type ModelErrorCode } from './errors.ts';
import type { Box, RawFrame } from './types.ts';

export interface StageWorkerData {
  readonly dir: string;
  readonly intraOpThreads: number;
}

export interface SharedFrame {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly format: RawFrame['format'];
}

export interface StageJob {
  readonly id: number;
  readonly frame: SharedFrame;
  readonly box: Box;
  readonly liveness: boolean;
  readonly pose: boolean;
}

export type StageReply =
  | { readonly id: number; readonly live?: number; readonly pose?: HeadPose; readonly ms: Record<string, number> }
  | { readonly id: number; readonly error: string };

export interface StageResult {
  readonly live?: number;
  readonly pose?: HeadPose;
  readonly ms: Readonly<Record<string, number>>;
}

interface Pending {
  resolve(r: StageResult): void;
  reject(e: Error): void;
}

type ReadyMessage = { ready: true } | { ready: false; code: string; message: string; file: string; fix: string };

export class StageWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: Error | undefined;
  #closed = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (m: StageReply) => this.#onReply(m));
    worker.on('error', (e) => this.#fail(e));
    worker.on('exit', (code) => this.#fail(new Error(`stage worker exited with code ${code}`)));
    worker.unref();
  }

  /** Starts the thread and waits until its sessions are open; throws ModelError like ModelRegistry.open(). */
  static async start(data: StageWorkerData): Promise<StageWorker> {
    const worker = new Worker(new URL('./stageWorkerBoot.mjs', import.meta.url), { workerData: data });
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      const onExit = (code: number): void => reject(new Error(`stage worker exited with code ${code} while starting`));
      worker.once('message', (m: ReadyMessage) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(m);
      });
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    if (!ready.ready) {
      await worker.terminate();
      if (ready.code === 'model_missing' || ready.code === 'model_altered') {
        // Rebuild the thread's ModelError here (errors lose their class crossing threads).
        const base = ready.message.split('. Fix: ')[0] ?? ready.message;
        throw new ModelError(ready.code as ModelErrorCode, base, { file: ready.file, fix: ready.fix });
      }
      throw new Error(`stage worker failed to start: ${ready.message}`);
    }
    return new StageWorker(worker);
  }

  /** False once the thread died or was closed; callers then run the stages inline. */
  get alive(): boolean {
    return this.#dead === undefined && !this.#closed;
  }

  run(frame: SharedFrame, box: Box, stages: { liveness: boolean; pose: boolean }): Promise<StageResult> {
    if (!this.alive) return Promise.reject(this.#dead ?? new Error('stage worker is closed'));
    const id = this.#nextId++;
    const job: StageJob = { id, frame, box: { x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2 }, ...stages };
    return new Promise<StageResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Hold the process open only while a job is out.
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(new Error('stage worker is closed'));
    await this.#worker.terminate();
  }

  #onReply(m: StageReply): void {
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    this.#pending.delete(m.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('error' in m) p.reject(new Error(`stage worker: ${m.error}`));
    else p.resolve({ live: m.live, pose: m.pose, ms: m.ms });
  }

  #fail(e: Error): void {
    this.#dead ??= e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
    this.#worker.unref();
  }
}
