// RateLimits on memory and on Redis (when FACEGATE_TEST_REDIS_URL is set).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { FacegateError } from '../../src/errors.ts';
import { RateLimits } from '../../src/ratelimit/RateLimits.ts';
import { REDIS_URL, SKIP_REDIS, runId } from './fixtures.ts';

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
