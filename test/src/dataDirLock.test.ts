// One owner of the embedded data dir (issue 12 item 1): a second opener gets
// DataDirLockedError naming the owner's pid; a SIGKILLed owner does not block
// the next opener; a lock nobody refreshes goes stale. Real processes, real
// PGlite, real proper-lockfile.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DataDirLock, DataDirLockedError } from '../../src/store/DataDirLock.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import { tempDir } from './fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

test('PgliteSqlClient.open() refuses a second opener with DataDirLockedError naming the owner pid, and opens after close()', async () => {
  const dir = path.join(tempDir(), 'db');
  const first = await PgliteSqlClient.open(dir, { holder: 'test owner' });
  try {
    await assert.rejects(PgliteSqlClient.open(dir), (e: unknown) => {
      assert.ok(e instanceof DataDirLockedError);
      assert.equal(e.code, 'conflict');
      assert.equal(e.details?.reason, 'data_dir_locked');
      assert.equal(e.details?.pid, process.pid);
      assert.match(e.message, new RegExp(`test owner pid ${process.pid}`));
      assert.match(e.message, /npm run admin|DATABASE_URL/);
      return true;
    });
  } finally {
    await first.close();
  }
  const again = await PgliteSqlClient.open(dir);
  assert.deepEqual(await again.query('SELECT 1 AS one'), [{ one: 1 }]);
  await again.close();
});

test('DataDirLock.acquire() takes over at once from a SIGKILLed owner process', async () => {
  const dir = path.join(tempDir(), 'db');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', `import('./src/store/DataDirLock.ts').then(async (m) => { await m.DataDirLock.acquire(${JSON.stringify(dir)}, { holder: 'victim' }); process.stdout.write('locked\\n'); setInterval(() => {}, 1000); })`],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('child never took the lock')), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('locked')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await assert.rejects(DataDirLock.acquire(dir), DataDirLockedError);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const t0 = Date.now();
    const lock = await DataDirLock.acquire(dir, { holder: 'successor' });
    // Well inside proper-lockfile's 10 s stale window: the dead pid was recognised.
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    await lock.release();
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('DataDirLock.acquire() takes a lock left without an owner record once it is stale', async () => {
  const dir = path.join(tempDir(), 'db');
  fs.mkdirSync(`${dir}.lock`, { recursive: true });
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(`${dir}.lock`, old, old);
  const lock = await DataDirLock.acquire(dir, { staleMs: 5000 });
  await lock.release();
  // A fresh ownerless lock is respected (someone is between mkdir and writing its record).
  fs.mkdirSync(`${dir}.lock`);
  await assert.rejects(DataDirLock.acquire(dir, { staleMs: 5000 }), DataDirLockedError);
  fs.rmSync(`${dir}.lock`, { recursive: true });
});
