// Fault tests (issue 13) against real PostgreSQL and Redis: the database made
// unreachable (a TCP proxy in front of it cut) just before an enrollment's
// committing frame, and a private redis-server SIGKILLed mid-session and
// started again. test/src/outage.test.ts covers a backend lost between
// requests; these lose it in the middle of a session. Every answer while a
// backend is gone is a 503 service_unavailable in the documented error
// shape, nothing half-written is left (no user row without its template),
// and the same node recovers once the backend is back.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, test } from 'node:test';
import pg from 'pg';
import { startServiceBehindPgProxy } from '../support/pgProxy.ts';
import { HAVE_REDIS, freePort, startRedis, stopProcess, until } from '../support/outage.ts';
import { PG_URL, SKIP_PG, authenticate, call, colourImage, isErrorShape, newClient, startService, type Reply, type Running } from '../src/fixtures.ts';

const FRAME = '/api/auth/enrollment/process-frame';

/** Users without a template, straight from PostgreSQL (not through the node). */
async function orphanUsers(schema: string): Promise<number> {
  const c = new pg.Client({ connectionString: PG_URL! });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.users u WHERE NOT EXISTS (SELECT 1 FROM ${schema}.templates t WHERE t.client_id = u.client_id AND t.external_id = u.external_id)`,
    );
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function userCount(schema: string, externalId: string): Promise<{ users: number; templates: number }> {
  const c = new pg.Client({ connectionString: PG_URL! });
  await c.connect();
  try {
    const u = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.users WHERE external_id = $1`, [externalId]);
    const t = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.templates WHERE external_id = $1`, [externalId]);
    return { users: Number(u.rows[0]!.n), templates: Number(t.rows[0]!.n) };
  } finally {
    await c.end();
  }
}

function assertUnavailable(r: Reply, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.ok(isErrorShape(r.body), `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error, 'service_unavailable');
}

/** Creates an enrollment session and submits all but its last (committing) frame. */
async function enrollAllButLast(run: Running, token: string, externalId: string, image: string): Promise<string> {
  const s = await call(run.url, 'POST', '/api/auth/enrollment', { token, json: { external_user_id: externalId } });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const sessionToken = String(s.body.session_token);
  for (let i = 0; i < run.service.config.service.enrollSamples - 1; i++) {
    const r = await call(run.url, 'POST', FRAME, { json: { session_token: sessionToken, image } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'capturing');
  }
  return sessionToken;
}

describe('PostgreSQL unreachable mid-enrollment', { skip: SKIP_PG }, () => {
  test('the committing frame gets 503, no user row is left without its template, and the same session commits once the database is back', { timeout: 60_000 }, async (t) => {
    const { run, proxy } = await startServiceBehindPgProxy(t);
    const a = await newClient(run);
    const image = await colourImage(90, 140, 60);
    const sessionToken = await enrollAllButLast(run, a.token, 'carol', image);

    await proxy.cut();
    assertUnavailable(await call(run.url, 'POST', FRAME, { json: { session_token: sessionToken, image } }), 'committing frame');
    assertUnavailable(await call(run.url, 'POST', '/api/auth/enrollment', { token: a.token, json: { external_user_id: 'dave' } }), 'new enrollment');
    // Nothing of carol reached the database, and no user anywhere lacks a template.
    assert.deepEqual(await userCount(run.schema, 'carol'), { users: 0, templates: 0 });
    assert.equal(await orphanUsers(run.schema), 0);

    await proxy.restore();
    await until(async () => (await call(run.url, 'GET', '/health')).status === 200);
    // The same node, no restart: the session whose commit failed resubmits its last frame and commits once.
    const retry = await call(run.url, 'POST', FRAME, { json: { session_token: sessionToken, image } });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.status, 'succeeded');
    assert.equal(retry.body.external_user_id, 'carol');
    assert.deepEqual(await userCount(run.schema, 'carol'), { users: 1, templates: 1 });
    assert.equal(await orphanUsers(run.schema), 0);
    assert.equal((await authenticate(run, a.token, [90, 140, 60], 'carol')).body.status, 'succeeded');
  });
});

describe('Redis stopped and restarted mid-session', { skip: HAVE_REDIS ? false : 'redis-server not installed' }, () => {
  test('frames of a session in progress get 503 while Redis is down; after it is back the node serves without a restart', { timeout: 60_000 }, async (t) => {
    const port = await freePort();
    let redis: ChildProcess = await startRedis(port);
    const run = await startService({ name: 'pglite+dedicated redis', redisUrl: `redis://127.0.0.1:${port}/0` });
    t.after(async () => {
      await run.close();
      await stopProcess(redis);
    });
    const a = await newClient(run);
    const image = await colourImage(60, 150, 200);
    const sessionToken = await enrollAllButLast(run, a.token, 'erin', image);

    await stopProcess(redis);
    assertUnavailable(await call(run.url, 'POST', FRAME, { json: { session_token: sessionToken, image } }), 'frame while Redis is down');
    assertUnavailable(await call(run.url, 'GET', `/api/auth/session/${sessionToken}/status`), 'status while Redis is down');
    assert.equal((await call(run.url, 'GET', '/api/users/erin', { token: a.token })).status === 200, false, 'erin was not enrolled');

    redis = await startRedis(port);
    await until(async () => (await call(run.url, 'GET', '/health')).status === 200);
    // The restarted redis-server has no persistence: the session state is gone, and the node says so clearly.
    const lost = await call(run.url, 'POST', FRAME, { json: { session_token: sessionToken, image } });
    assert.equal(lost.status, 404, JSON.stringify(lost.body));
    assert.ok(isErrorShape(lost.body));
    assert.equal(lost.body.error, 'not_found');
    assert.equal((await call(run.url, 'GET', `/api/auth/session/${sessionToken}/status`)).status, 404);
    // No half enrollment: erin is not there, and a new session enrolls and authenticates her.
    assert.equal((await call(run.url, 'GET', '/api/users/erin', { token: a.token })).status, 404);
    const again = await enrollAllButLast(run, a.token, 'erin', image);
    assert.equal((await call(run.url, 'POST', FRAME, { json: { session_token: again, image } })).body.status, 'succeeded');
    assert.equal((await authenticate(run, a.token, [60, 150, 200], 'erin')).body.status, 'succeeded');
  });
});
