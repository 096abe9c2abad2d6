// Measures /health while an attack runs: polls it every 10 ms (each answer
// must be 200) until `work` settles, at most `maxPolls` times.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Runs `work` while polling `${url}/health`; returns its result and each poll's latency in ms. */
export async function whilePollingHealth<T>(url: string, work: () => Promise<T>, maxPolls: number): Promise<{ result: T; latencies: number[] }> {
  let done = false;
  const latencies: number[] = [];
  const poll = (async () => {
    for (let i = 0; i < maxPolls && !done; i++) {
      const t0 = performance.now();
      const r = await fetch(`${url}/health`);
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      latencies.push(performance.now() - t0);
      await sleep(10);
    }
  })();
  try {
    return { result: await work(), latencies };
  } finally {
    done = true;
    await poll;
  }
}
