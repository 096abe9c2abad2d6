// Fault test: the embedded store's data dir is on a disk too small for a new
// PGlite cluster (a 16 MiB tmpfs this test mounts; a fresh data dir takes about
// 40 MiB; root only, as diskFull.test.ts). Opening it fails with a typed
// service_unavailable / storage_full that says where and how much is needed
// (PGlite itself throws an ErrnoError with errno 51 and no message), the data
// dir lock is released, and once the disk has room the same dir opens and works.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FacegateError } from '../../common/errors.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import { tempDir } from '../src/fixtures.ts';

function canMount(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  return spawnSync('mount', ['--version']).status === 0 ? false : 'mount not available';
}

test('a data dir on a 16 MiB disk fails to open with storage_full; with room the same dir opens', { skip: canMount(), timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
  assert.equal(mounted.status, 0, `mount: ${mounted.stderr.toString()}`);
  t.after(() => {
    // Lazily: the failed PGlite instance keeps its files open (nothing closes a half-created WASM file system).
    spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = path.join(dir, 'data');
  await assert.rejects(PgliteSqlClient.open(dataDir), (e: unknown) => {
    assert.ok(e instanceof FacegateError, String(e));
    assert.equal(e.code, 'service_unavailable');
    assert.equal(e.details?.['reason'], 'storage_full');
    assert.match(e.message, /no space left/);
    assert.ok(e.message.includes(dataDir));
    return true;
  });
  // The disk grows (space freed): the same dir opens, the lock from the failed try is gone, SQL works.
  assert.equal(spawnSync('mount', ['-o', 'remount,size=96m', dir]).status, 0);
  const db = await PgliteSqlClient.open(dataDir);
  try {
    assert.deepEqual(await db.query('select 1 as one'), [{ one: 1 }]);
  } finally {
    await db.close();
  }
});
