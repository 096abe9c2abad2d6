// RateLimits on memory and on Redis (when FACEGATE_TEST_REDIS_URL is set),
// then the limits over HTTP: per API key (a client's keys have independent
// budgets, frame uploads count against the key that created the session),
// per IP across keys, and one shared budget across two nodes on Redis.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { FacegateError } from '../../common/errors.ts';
import { RateLimits } from '../../src/ratelimit/RateLimits.ts';
import {
  BACKENDS,
  REDIS_URL,
  SKIP_REDIS,
  call,
  colourImage,
  dropSchema,
  isErrorShape,
  runId,
  startService,
  type Reply,
  type Running,
} from './fixtures.ts';

const redisClients: Redis[] = [];
after(() => {
  for (const r of redisClients) r.disconnect();
});

const variants: { name: string; skip: string | false; make: () => Promise<RateLimits> }[] = [
  { name: 'memory', skip: false, make: async () => new RateLimits({ perKey: 3, perIp: 2, lockoutFailures: 2, lockoutWindowS: 60 }) },
  {
    name: 'Redis',
    skip: SKIP_REDIS,
    make: async () => {
      const r = new Redis(REDIS_URL!, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
      redisClients.push(r);
      await r.ping();
      return new RateLimits({ perKey: 3, perIp: 2, lockoutFailures: 2, lockoutWindowS: 60, redis: r, prefix: `${runId()}:rl:` });
    },
  },
];

for (const v of variants) {
  describe(`RateLimits on ${v.name}`, { skip: v.skip }, () => {
    test('hit() allows the quota per key then throws rate_limit_exceeded with retryAfterS', async () => {
      const rl = await v.make();
      for (let i = 0; i < 3; i++) await rl.hit('key', 'cl_a');
      await assert.rejects(rl.hit('key', 'cl_a'), (e: unknown) => e instanceof FacegateError && e.code === 'rate_limit_exceeded' && Number(e.details?.retryAfterS) >= 1);
      await rl.hit('key', 'cl_b');
      await rl.hit('ip', '10.0.0.1');
      await rl.hit('ip', '10.0.0.1');
      await assert.rejects(rl.hit('ip', '10.0.0.1'), FacegateError);
    });

    test('hitKey() gives each API key of a client its own budget; sessions without a key share a per-client one', async () => {
      const rl = await v.make();
      for (let i = 0; i < 3; i++) await rl.hitKey('cl_a', 'key000000001');
      await assert.rejects(rl.hitKey('cl_a', 'key000000001'), (e: unknown) => e instanceof FacegateError && e.code === 'rate_limit_exceeded' && e.details?.scope === 'key');
      for (let i = 0; i < 3; i++) await rl.hitKey('cl_a', 'key000000002');
      await assert.rejects(rl.hitKey('cl_a', 'key000000002'), FacegateError);
      for (let i = 0; i < 3; i++) await rl.hitKey('cl_a', null);
      await assert.rejects(rl.hitKey('cl_a', null), FacegateError);
      await rl.hitKey('cl_b', 'key000000001');
    });

    test('recordFailure() locks a user out at the limit, per client, and reset() clears it', async () => {
      const rl = await v.make();
      assert.equal(await rl.isLockedOut('cl_a', 'u1'), false);
      await rl.recordFailure('cl_a', 'u1');
      assert.equal(await rl.isLockedOut('cl_a', 'u1'), false);
      await rl.recordFailure('cl_a', 'u1');
      assert.equal(await rl.isLockedOut('cl_a', 'u1'), true);
      assert.equal(await rl.isLockedOut('cl_b', 'u1'), false, 'same external id under another client');
      await rl.reset('cl_a', 'u1');
      assert.equal(await rl.isLockedOut('cl_a', 'u1'), false);
    });
  });
}

describe('RateLimits with Redis down', () => {
  test('hit() answers service_unavailable rather than letting requests through', async () => {
    const r = new Redis('redis://127.0.0.1:1/0', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    redisClients.push(r);
    const rl = new RateLimits({ perKey: 3, perIp: 2, lockoutFailures: 2, lockoutWindowS: 60, redis: r });
    await assert.rejects(rl.hit('key', 'x'), (e: unknown) => e instanceof FacegateError && e.code === 'service_unavailable');
    await assert.rejects(rl.isLockedOut('c', 'u'), (e: unknown) => e instanceof FacegateError && e.code === 'service_unavailable');
  });
});

// ---- over HTTP ------------------------------------------------------------

interface Keyed {
  readonly clientId: string;
  readonly tokens: readonly [string, string];
}

/** A client with two API keys, exchanged in process (no HTTP request spent on the IP budget). */
async function clientWithTwoKeys(run: Running): Promise<Keyed> {
  const c = await run.service.tenants.createClient('two keys');
  const k2 = await run.service.tenants.addApiKey(c.clientId);
  const t1 = await run.service.tenants.exchangeApiKey(c.apiKey);
  const t2 = await run.service.tenants.exchangeApiKey(k2.apiKey);
  assert.notEqual(t1.keyId, t2.keyId);
  return { clientId: c.clientId, tokens: [t1.accessToken, t2.accessToken] };
}

function assertLimited(r: Reply, scope: 'key' | 'ip'): void {
  assert.equal(r.status, 429, JSON.stringify(r.body));
  assert.ok(isErrorShape(r.body));
  assert.equal(r.body.error, 'rate_limit_exceeded');
  assert.equal((r.body.details as Record<string, unknown>).scope, scope);
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${r.headers.get('retry-after')}`);
  assert.equal((r.body.details as Record<string, unknown>).retryAfterS, retry);
}

const frame = async (run: Running, token: unknown, rgb: [number, number, number]): Promise<Reply> =>
  call(run.url, 'POST', '/api/auth/authentication/process-frame', { json: { session_token: token, image: await colourImage(...rgb) } });

for (const backend of BACKENDS) {
  describe(`rate limits over HTTP on ${backend.name}`, { skip: backend.skip }, () => {
    test('two keys of one client have independent budgets; frame uploads count against their session, not the key that created it', async (t) => {
      const run = await startService(backend, { env: { RATE_LIMIT_PER_KEY: '6', RATE_LIMIT_PER_IP: '1000' } });
      t.after(async () => {
        await run.close();
        await dropSchema(run.schema);
      });
      const c = await clientWithTwoKeys(run);
      const [k1, k2] = c.tokens;
      // One point each: a session per key.
      const s1 = await call(run.url, 'POST', '/api/auth/authentication', { token: k1, json: {} });
      const s2 = await call(run.url, 'POST', '/api/auth/authentication', { token: k2, json: {} });
      assert.equal(s1.status, 201);
      assert.equal(s2.status, 201);
      // Key 1 spends the rest of its budget (6 a minute).
      for (let i = 0; i < 5; i++) assert.equal((await call(run.url, 'GET', '/api/users', { token: k1 })).status, 200, `request ${i + 2}`);
      assertLimited(await call(run.url, 'GET', '/api/users', { token: k1 }), 'key');
      // Uploads to key 1's session come from the end user's device: they count against the
      // session's own budget, never key 1's (issue 13, defect 3), so they go through here.
      const up1 = await frame(run, s1.body.session_token, [180, 90, 45]);
      assert.equal(up1.status, 200, JSON.stringify(up1.body));
      assertLimited(await call(run.url, 'GET', '/api/users', { token: k1 }), 'key');
      // Key 2 is untouched: its requests and its session's uploads go through.
      assert.equal((await call(run.url, 'GET', '/api/users', { token: k2 })).status, 200);
      const up = await frame(run, s2.body.session_token, [180, 90, 45]);
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.equal(up.body.status, 'failed', 'an empty gallery: decided no_match');
      // Another client is untouched too.
      const other = await clientWithTwoKeys(run);
      assert.equal((await call(run.url, 'GET', '/api/users', { token: other.tokens[0] })).status, 200);
    });

    test('the per-IP limit applies across all keys of all clients', async (t) => {
      const run = await startService(backend, { env: { RATE_LIMIT_PER_KEY: '1000', RATE_LIMIT_PER_IP: '7' } });
      t.after(async () => {
        await run.close();
        await dropSchema(run.schema);
      });
      const a = await clientWithTwoKeys(run);
      const b = await clientWithTwoKeys(run);
      const tokens = [...a.tokens, ...b.tokens];
      for (let i = 0; i < 7; i++) {
        assert.equal((await call(run.url, 'GET', '/api/users', { token: tokens[i % 4] })).status, 200, `request ${i + 1}`);
      }
      for (const token of tokens) assertLimited(await call(run.url, 'GET', '/api/users', { token }), 'ip');
      // Unauthenticated routes under /api are counted too.
      assertLimited(await call(run.url, 'POST', '/api/auth/client', { json: { api_key: 'x' } }), 'ip');
    });
  });
}

const shared = BACKENDS[1]!;

describe('per-key budget shared by two nodes on Redis', { skip: shared.skip }, () => {
  test('a key that spends its budget across nodes A and B is limited on both; its sibling key is not', async (t) => {
    const schema = runId();
    const env = { RATE_LIMIT_PER_KEY: '6', RATE_LIMIT_PER_IP: '1000' };
    const a = await startService(shared, { schema, env });
    t.after(async () => {
      await a.close();
      await dropSchema(schema);
    });
    const b = await startService(shared, { schema, env });
    t.after(() => b.close());
    const c = await clientWithTwoKeys(a);
    const [k1, k2] = c.tokens;
    const s1 = await call(a.url, 'POST', '/api/auth/authentication', { token: k1, json: {} });
    assert.equal(s1.status, 201);
    for (let i = 0; i < 2; i++) assert.equal((await call(a.url, 'GET', '/api/users', { token: k1 })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await call(b.url, 'GET', '/api/users', { token: k1 })).status, 200);
    // 6 spent: 3 on A, 3 on B.
    assertLimited(await call(b.url, 'GET', '/api/users', { token: k1 }), 'key');
    assertLimited(await call(a.url, 'GET', '/api/users', { token: k1 }), 'key');
    // The session created on A with key 1 uploads through B: its session's budget, not key 1's
    // (issue 13, defect 3), so it goes through and key 1 stays limited on both nodes.
    const up = await frame(b, s1.body.session_token, [180, 90, 45]);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assertLimited(await call(b.url, 'GET', '/api/users', { token: k1 }), 'key');
    assert.equal((await call(b.url, 'GET', '/api/users', { token: k2 })).status, 200);
    assert.equal((await call(a.url, 'GET', '/api/users', { token: k2 })).status, 200);
  });
});
