// Request rate limits (per API key, per IP) and failed-attempt lockout per
// external user, on rate-limiter-flexible: Redis-backed when session state is
// Redis (shared by all nodes), in memory otherwise. The per-key budget is
// keyed `<client id>:<key id>`: a client's keys have independent budgets, and
// REST frame uploads, which carry a session token (end-user traffic), never
// touch the key's budget: they count against their session's own budget
// (perSession a minute, on top of the per-IP one), so a leaked session token
// cannot starve the integrator's API calls.
// Lockouts outlive a restart: on Redis when there is one, else in the
// store's lockouts table (SqlFailureCounter); never only in memory.
// A limiter store that is down is reported as service_unavailable, never as
// "allowed": failing open would turn an outage into a brute-force window.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { FacegateError } from '../../common/errors.ts';
import type { AttemptLimiter } from '../sessions/SessionService.ts';
import type { SqlClient } from '../store/SqlClient.ts';
import { SqlFailureCounter } from './SqlFailureCounter.ts';

export interface RateLimitsOptions {
  /** Requests per minute per API key. */
  readonly perKey: number;
  /** Requests per minute per IP. */
  readonly perIp: number;
  /** REST frame uploads per minute per session (default 120). */
  readonly perSession?: number;
  /** Failed attempts per external user before lockout... */
  readonly lockoutFailures: number;
  /** ...within this window (seconds); the lockout lasts as long. */
  readonly lockoutWindowS: number;
  /** Redis client to share; memory when absent (lockouts: the store, below). */
  readonly redis?: Redis;
  /** Where lockouts are kept without Redis, so a restart keeps them. Memory when absent too (unit tests). */
  readonly store?: SqlClient;
  readonly prefix?: string;
}

export type LimitScope = 'key' | 'ip' | 'session';

function tooMany(res: RateLimiterRes, scope: string): FacegateError {
  return new FacegateError('rate_limit_exceeded', 'rate limit exceeded; retry later', {
    scope,
    retryAfterS: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
}

function unavailable(e: unknown): FacegateError {
  // The store reports its own outage (service_unavailable, component database).
  if (e instanceof FacegateError) return e;
  return new FacegateError('service_unavailable', 'rate limiter unavailable', { component: 'redis' }, { cause: e });
}

export class RateLimits implements AttemptLimiter {
  readonly #perKey: RateLimiterAbstract;
  readonly #perIp: RateLimiterAbstract;
  readonly #perSession: RateLimiterAbstract;
  readonly #failures: RateLimiterAbstract;
  /** Set when lockouts live in the store (no Redis); #failures is then unused. */
  readonly #storedFailures: SqlFailureCounter | null;
  readonly #lockoutFailures: number;

  constructor(o: RateLimitsOptions) {
    const prefix = o.prefix ?? 'facegate:rl:';
    const mk = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
      o.redis
        ? new RateLimiterRedis({ storeClient: o.redis, keyPrefix: prefix + keyPrefix, points, duration, rejectIfRedisNotReady: true, useRedisPackage: false })
        : new RateLimiterMemory({ keyPrefix: prefix + keyPrefix, points, duration });
    this.#perKey = mk('key', o.perKey, 60);
    this.#perIp = mk('ip', o.perIp, 60);
    this.#perSession = mk('ses', o.perSession ?? 120, 60);
    this.#failures = mk('fail', o.lockoutFailures, o.lockoutWindowS);
    this.#storedFailures = !o.redis && o.store ? new SqlFailureCounter(o.store, o.lockoutWindowS) : null;
    this.#lockoutFailures = o.lockoutFailures;
  }

  /** Consumes one request for the scope; throws rate_limit_exceeded (429) or service_unavailable (503). */
  async hit(scope: LimitScope, key: string): Promise<void> {
    const limiter = scope === 'key' ? this.#perKey : scope === 'ip' ? this.#perIp : this.#perSession;
    try {
      await limiter.consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw tooMany(e, scope);
      throw unavailable(e);
    }
  }

  /**
   * Consumes one request from an API key's budget. keyId null: work not
   * started with an API key (demo route, in-process sessions), counted in
   * one budget per client that no key's token can reach (`*` is not a key id).
   */
  async hitKey(clientId: string, keyId: string | null): Promise<void> {
    await this.hit('key', `${clientId}:${keyId ?? '*'}`);
  }

  async isLockedOut(clientId: string, externalUserId: string): Promise<boolean> {
    try {
      const key = `${clientId}:${externalUserId}`;
      if (this.#storedFailures) return (await this.#storedFailures.count(key)) >= this.#lockoutFailures;
      const r = await this.#failures.get(key);
      return r !== null && r.consumedPoints >= this.#lockoutFailures;
    } catch (e) {
      throw unavailable(e);
    }
  }

  async recordFailure(clientId: string, externalUserId: string): Promise<void> {
    try {
      const key = `${clientId}:${externalUserId}`;
      if (this.#storedFailures) await this.#storedFailures.add(key);
      else await this.#failures.penalty(key, 1);
    } catch (e) {
      throw unavailable(e);
    }
  }

  async reset(clientId: string, externalUserId: string): Promise<void> {
    try {
      const key = `${clientId}:${externalUserId}`;
      if (this.#storedFailures) await this.#storedFailures.clear(key);
      else await this.#failures.delete(key);
    } catch (e) {
      throw unavailable(e);
    }
  }
}
