// Entry point of the StageWorker thread: opens its own liveness and pose
// sessions (verified like any other) and answers jobs that name a frame in
// shared memory and a face box. One job at a time, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { BoxStages, type HeadPose } from './BoxStages.ts';
import { ModelRegistry } from './ModelRegistry.ts';
import type { StageJob, StageReply, StageWorkerData } from './StageWorker.ts';
import type { RawFrame } from './types.ts';

const port = parentPort;
if (port === null) throw new Error('stageWorkerMain.ts must run in a worker thread');
const data = workerData as StageWorkerData;

try {
  const registry = await ModelRegistry.open({
    dir: data.dir,
    intraOpThreads: data.intraOpThreads,
    models: ['liveness', 'pose'],
  });
  const stages = new BoxStages(registry);
  // Jobs share BoxStages' input buffers: run them strictly one after another.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (job: StageJob) => {
    chain = chain.then(() => run(stages, job).then((reply) => port.postMessage(reply)));
  });
  port.postMessage({ ready: true });
} catch (e) {
  const err = e as { code?: unknown; message?: unknown; details?: { file?: unknown; fix?: unknown } };
  port.postMessage({
    ready: false,
    code: String(err.code ?? ''),
    message: String(err.message ?? e),
    file: String(err.details?.file ?? data.dir),
    fix: String(err.details?.fix ?? ''),
  });
}

async function run(stages: BoxStages, job: StageJob): Promise<StageReply> {
  try {
    const frame: RawFrame = {
      data: new Uint8Array(job.frame.buffer, job.frame.byteOffset, job.frame.byteLength),
      width: job.frame.width,
      height: job.frame.height,
      stride: job.frame.stride,
      format: job.frame.format,
    };
    let live: number | undefined;
    let pose: HeadPose | undefined;
    const ms: Record<string, number> = {};
    if (job.liveness) {
      const t = performance.now();
      live = await stages.liveness(frame, job.box);
      ms.liveness = performance.now() - t;
    }
    if (job.pose) {
      const t = performance.now();
      pose = await stages.pose(frame, job.box);
      ms.pose = performance.now() - t;
    }
    return { id: job.id, live, pose, ms };
  } catch (e) {
    return { id: job.id, error: e instanceof Error ? e.message : String(e) };
  }
}
