// Outages: a dedicated redis-server this test starts and stops, and a TCP
// proxy in front of PostgreSQL that the test cuts. While a backend is down the
// API answers 503 service_unavailable (never a crash); committed enrollments
// survive and are usable once it returns.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { startServiceBehindPgProxy } from '../support/pgProxy.ts';
import { HAVE_REDIS, freePort, startRedis, stopProcess, until } from '../support/outage.ts';
import { SKIP_PG, authenticate, call, enroll, isErrorShape, newClient, startService } from './fixtures.ts';

describe('Redis outage', { skip: HAVE_REDIS ? false : 'redis-server not installed' }, () => {
  let redis: ChildProcess | null = null;
  after(async () => {
    if (redis) await stopProcess(redis);
  });

  test('requests answer 503 while Redis is down and the committed enrollment is intact after it returns', async (t) => {
    const port = await freePort();
    redis = await startRedis(port);
    const run = await startService({ name: 'pglite+dedicated redis', redisUrl: `redis://127.0.0.1:${port}/0` });
    t.after(() => run.close());
    const a = await newClient(run);
    assert.equal((await enroll(run, a.token, 'alice', [200, 100, 50])).body.status, 'succeeded');

    await stopProcess(redis);
    const create = await call(run.url, 'POST', '/api/auth/enrollment', { token: a.token, json: { external_user_id: 'bob' } });
    assert.equal(create.status, 503);
    assert.ok(isErrorShape(create.body));
    assert.equal(create.body.error, 'service_unavailable');
    const health = await call(run.url, 'GET', '/health');
    assert.equal(health.status, 503);
    assert.equal((health.body.components as Record<string, string>).redis, 'down');

    redis = await startRedis(port);
    await until(async () => (await call(run.url, 'GET', '/health')).status === 200);
    assert.equal((await call(run.url, 'GET', '/api/users/alice', { token: a.token })).status, 200);
    assert.equal((await authenticate(run, a.token, [200, 100, 50], 'alice')).body.status, 'succeeded');
  });
});

describe('PostgreSQL outage', { skip: SKIP_PG }, () => {
  test('requests answer 503 while PostgreSQL is unreachable and the committed enrollment is intact after', async (t) => {
    const { run, proxy } = await startServiceBehindPgProxy(t);
    const a = await newClient(run);
    assert.equal((await enroll(run, a.token, 'alice', [90, 100, 50])).body.status, 'succeeded');

    // Cut the database off: stop accepting and kill live connections.
    await proxy.cut();
    for (const [m, p, opts] of [
      ['GET', '/api/users/alice', { token: a.token }],
      ['POST', '/api/auth/client', { json: { api_key: a.apiKey } }],
    ] as const) {
      const r = await call(run.url, m, p, opts);
      assert.equal(r.status, 503, `${m} ${p}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, 'service_unavailable');
    }
    assert.equal((await call(run.url, 'GET', '/health')).status, 503);

    await proxy.restore();
    await until(async () => (await call(run.url, 'GET', '/health')).status === 200);
    const u = await call(run.url, 'GET', '/api/users/alice', { token: a.token });
    assert.equal(u.status, 200);
    assert.equal(u.body.templates, 1);
    assert.equal((await authenticate(run, a.token, [90, 100, 50])).body.status, 'succeeded');
  });
});
