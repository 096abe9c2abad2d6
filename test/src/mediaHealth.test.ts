// /health's media component on a real one-worker MediaWorkerPool: up while
// the worker answers, down once the pool is closed or has fewer workers than
// configured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { MediaWorkerPool } from '../../media/index.ts';
import { mediaHealth } from '../../src/bridge/mediaHealth.ts';

test('mediaHealth() is up for a running pool and down when it is closed or short of workers', async (t) => {
  const pool = await MediaWorkerPool.create({ workers: 1, listenIp: '127.0.0.1', rtcPort: 0, frameRate: 10, logger: pino({ level: 'silent' }) });
  t.after(() => pool.close());
  assert.equal(await mediaHealth(pool, 1)(), 'up');
  assert.equal(await mediaHealth(pool, 2)(), 'down');
  await pool.close();
  assert.equal(await mediaHealth(pool, 1)(), 'down');
});
