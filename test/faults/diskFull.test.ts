// Fault test (issue 13): the data directory's disk fills up. The service runs
// embedded (PGlite and the gallery in the data dir) on a 64 MiB tmpfs this
// test mounts (a fresh PGlite data dir takes about 40 MiB) (root only; skipped otherwise). With the disk filled, writes
// get a clear error in the documented shape, never a crash; once space is
// freed and the service restarted on the same dir, what was committed
// before is intact, the audit chain verifies and new writes work.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { authenticate, call, enroll, isErrorShape, newClient, startService, tempDir, type Running } from '../src/fixtures.ts';

const FILL_CHUNK = Buffer.alloc(256 * 1024, 0x5a);

function canMount(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  return spawnSync('mount', ['--version']).status === 0 ? false : 'mount not available';
}

/** Writes `file` until the filesystem refuses (ENOSPC); bounded by the free space it reported first. */
function fill(file: string): number {
  const st = fs.statfsSync(path.dirname(file));
  const chunks = Math.ceil((st.bavail * st.bsize) / FILL_CHUNK.length) + 8;
  const fd = fs.openSync(file, 'w');
  let written = 0;
  try {
    for (let i = 0; i < chunks; i++) written += fs.writeSync(fd, FILL_CHUNK);
    throw new Error(`the disk took ${written} bytes without filling up`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

test('a full data disk gives clear errors, and after freeing space a restart on the same dir has everything committed', { skip: canMount(), timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir]);
  if (mounted.status !== 0) {
    t.skip(`mount failed: ${mounted.stderr.toString().trim()}`);
    return;
  }
  let run: Running | null = null;
  t.after(async () => {
    await run?.close();
    spawnSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const filler = path.join(dir, 'filler.bin');
  const backend = { name: 'embedded on a 64 MiB tmpfs' };
  run = await startService(backend, { dataDir: dir });
  const a = await newClient(run);
  assert.equal((await enroll(run, a.token, 'alice', [150, 60, 90])).body.status, 'succeeded');
  const rowsBefore = (await run.service.audit.verify()).rows;

  const filled = fill(filler);
  console.log(`disk full after ${filled} filler bytes`);
  // Writes while the disk is full: a typed error (no 5xx crash page, no hang), or success where the
  // write still fit; never a dropped connection.
  const answers: { id: string; status: number; body: Record<string, unknown> }[] = [];
  for (const id of ['bob', 'carol', 'dave']) {
    const r: { status: number; body: Record<string, unknown> } = await enroll(run, a.token, id, [60 + answers.length, 160, 90]).catch((e: unknown) => ({ status: 0, body: { thrown: String(e) } }));
    answers.push({ id, status: r.status, body: r.body });
  }
  console.log(`while full: ${answers.map((x) => `${x.id} ${x.status} ${String(x.body.error ?? x.body.status)}`).join(', ')}`);
  for (const x of answers) {
    assert.notEqual(x.status, 0, `${x.id}: ${JSON.stringify(x.body)}`);
    if (x.status !== 200) {
      assert.ok(isErrorShape(x.body), `${x.id}: ${JSON.stringify(x.body)}`);
      assert.equal(x.body.error, 'service_unavailable', `${x.id}: ${JSON.stringify(x.body)}`);
    }
  }
  assert.ok(answers.some((x) => x.status === 503), 'at least one write was refused for want of space');
  const acknowledged = answers.filter((x) => x.status === 200 && x.body.status === 'succeeded').map((x) => x.id);

  fs.rmSync(filler);
  await run.close();
  run = await startService(backend, { dataDir: dir, schema: run.schema });
  const token = String((await call(run.url, 'POST', '/api/auth/client', { json: { api_key: a.apiKey } })).body.access_token);
  for (const id of ['alice', ...acknowledged]) {
    const u = await call(run.url, 'GET', `/api/users/${id}`, { token });
    assert.equal(u.status, 200, `${id} after the restart: ${JSON.stringify(u.body)}`);
    assert.equal(u.body.templates, 1);
  }
  assert.equal((await authenticate(run, token, [150, 60, 90], 'alice')).body.status, 'succeeded');
  const v = await run.service.audit.verify();
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.ok(v.rows >= rowsBefore);
  assert.equal((await enroll(run, token, 'erin', [70, 70, 200])).body.status, 'succeeded');
});
