// Outages: a dedicated redis-server this test starts and stops, and a TCP
// proxy in front of PostgreSQL that the test cuts. While a backend is down the
// API answers 503 service_unavailable (never a crash); committed enrollments
// survive and are usable once it returns.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PG_URL, SKIP_PG, authenticate, call, dropSchema, enroll, isErrorShape, newClient, startService } from './fixtures.ts';

const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return p;
    await sleep(100);
  }
  p.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await done;
}

async function until(fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error('condition not met in time');
}

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
    const target = new URL(PG_URL!);
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((c) => {
      const up = net.connect(Number(target.port || 5432), target.hostname);
      sockets.add(c).add(up);
      c.pipe(up).pipe(c);
      const drop = () => {
        c.destroy();
        up.destroy();
      };
      c.on('error', drop);
      up.on('error', drop);
      c.on('close', () => sockets.delete(c));
      up.on('close', () => sockets.delete(up));
    });
    const listen = (port: number) => new Promise<void>((r) => proxy.listen(port, '127.0.0.1', () => r()));
    await listen(0);
    const port = (proxy.address() as net.AddressInfo).port;
    const url = new URL(PG_URL!);
    url.host = `127.0.0.1:${port}`;
    const run = await startService({ name: 'postgres via proxy', databaseUrl: url.toString() });
    t.after(async () => {
      await run.close();
      for (const s of sockets) s.destroy();
      proxy.close();
      await dropSchema(run.schema);
    });
    const a = await newClient(run);
    assert.equal((await enroll(run, a.token, 'alice', [90, 100, 50])).body.status, 'succeeded');

    // Cut the database off: stop accepting and kill live connections.
    await new Promise<void>((r) => {
      proxy.close(() => r());
      for (const s of sockets) s.destroy();
    });
    for (const [m, p, opts] of [
      ['GET', '/api/users/alice', { token: a.token }],
      ['POST', '/api/auth/client', { json: { api_key: a.apiKey } }],
    ] as const) {
      const r = await call(run.url, m, p, opts);
      assert.equal(r.status, 503, `${m} ${p}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, 'service_unavailable');
    }
    assert.equal((await call(run.url, 'GET', '/health')).status, 503);

    await listen(port);
    await until(async () => (await call(run.url, 'GET', '/health')).status === 200);
    const u = await call(run.url, 'GET', '/api/users/alice', { token: a.token });
    assert.equal(u.status, 200);
    assert.equal(u.body.templates, 1);
    assert.equal((await authenticate(run, a.token, [90, 100, 50])).body.status, 'succeeded');
  });
});
