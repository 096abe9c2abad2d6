// /health's media component: up when the pool is open, has its configured
// number of workers with live processes, and every worker's router answers a
// dump request (a real round trip to each mediasoup worker) within 2 s.
import type { MediaWorkerPool } from '../../media/index.ts';
import type { HealthCheck, HealthState } from '../api/createApp.ts';

export function mediaHealth(pool: MediaWorkerPool, expectedWorkers: number, timeoutMs = 2000): HealthCheck {
  return async (): Promise<HealthState> => {
    if (pool.closed) return 'down';
    const workers = pool.toJSON().workers;
    if (workers.length !== expectedWorkers || workers.some((w) => w.pid === undefined)) return 'down';
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pool.transportCount(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('media workers did not answer')), timeoutMs);
        }),
      ]);
      return 'up';
    } catch {
      return 'down';
    } finally {
      clearTimeout(timer);
    }
  };
}
