// The doctor's checks as tests: every native part must work for real on a
// machine where scripts/install.sh ran. PostgreSQL and Redis are checked when
// FACEGATE_TEST_DATABASE_URL / FACEGATE_TEST_REDIS_URL are set (.ci/run sets them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { doctorChecks, runCheck } from '../../src/doctor.ts';

const opts = {
  databaseUrl: process.env.FACEGATE_TEST_DATABASE_URL,
  redisUrl: process.env.FACEGATE_TEST_REDIS_URL,
};

for (const check of doctorChecks(opts)) {
  test(`doctor check ${check.part} passes`, async (t) => {
    const r = await runCheck(check.part, check.run, 60_000);
    if (r.status === 'skip') {
      t.skip(r.detail);
      return;
    }
    assert.equal(r.status, 'ok', r.detail);
    assert.ok(r.detail.length > 0);
  });
}

test('runCheck() reports a failing part as fail with a fix, and a hung one as timed out', async () => {
  const failed = await runCheck('faiss', () => Promise.reject(new Error('boom')));
  assert.equal(failed.status, 'fail');
  assert.match(failed.detail, /^boom — fix: .*install\.sh/);
  const hung = await runCheck('sharp', () => new Promise<string>(() => undefined), 50);
  assert.equal(hung.status, 'fail');
  assert.match(hung.detail, /timed out after 50 ms/);
});

test('npm run doctor with an unreachable DATABASE_URL prints FAIL postgres and exits 1', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli/doctor.ts'], {
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines.find((l) => l.includes(' postgres ')) ?? '', /^FAIL postgres .*fix: check DATABASE_URL/);
  for (const part of ['mediasoup', 'werift-dtls', 'onnxruntime', 'sharp', 'ffmpeg', 'faiss']) {
    assert.match(lines.find((l) => l.split(' ')[1] === part) ?? `missing ${part}`, /^OK /);
  }
  assert.match(lines.find((l) => l.split(' ')[1] === 'redis') ?? '', /^OK redis not configured/);
});
