// StateStore on Redis (ioredis): sessions as JSON strings with PX expiry,
// compare-and-set through a Lua script on the record's version, and events
// on a pub/sub channel. Commands fail fast while Redis is down (no offline
// queue, one retry) and surface as FacegateError('service_unavailable').
import { Redis } from 'ioredis';
import crypto from 'node:crypto';
import { FacegateError } from '../../common/errors.ts';
import type { SessionRecord } from '../../common/session.ts';
import type { StateEvent, StateStore } from './StateStore.ts';

const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local v = cjson.decode(cur)['version']
if tonumber(v) ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

export interface RedisStateStoreOptions {
  readonly url: string;
  /** Key prefix; tests use a unique one per run. */
  readonly prefix?: string;
}

/** Key prefix when none is given (FacegateService passes its redisPrefix option). */
export const DEFAULT_REDIS_PREFIX = 'facegate:';

/**
 * A not-yet-connected ioredis client with the state store's failure policy:
 * no offline queue, one retry, reconnect with capped backoff. Shared with
 * RedisNodeLink so both fail the same way while Redis is down.
 */
export function redisConnection(url: string): Redis {
  const r = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Keep reconnecting (capped backoff) so the node recovers when Redis returns.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Connection errors are reported per command; an unhandled 'error' would crash.
  r.on('error', () => {});
  return r;
}

export function unavailable(e: unknown): FacegateError {
  return new FacegateError('service_unavailable', 'session state unavailable', { component: 'redis' }, { cause: e });
}

export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #handlers = new Set<(e: StateEvent) => void>();
  #closed = false;

  private constructor(redis: Redis, sub: Redis, prefix: string) {
    this.#redis = redis;
    this.#sub = sub;
    this.#prefix = prefix;
    this.#channel = `${prefix}events`;
  }

  static async open(options: RedisStateStoreOptions): Promise<RedisStateStore> {
    const redis = redisConnection(options.url);
    const sub = redisConnection(options.url);
    try {
      await redis.connect();
      await sub.connect();
    } catch (e) {
      redis.disconnect();
      sub.disconnect();
      throw unavailable(e);
    }
    const store = new RedisStateStore(redis, sub, options.prefix ?? DEFAULT_REDIS_PREFIX);
    await sub.subscribe(store.#channel);
    sub.on('message', (channel: string, message: string) => {
      if (channel !== store.#channel) return;
      let ev: StateEvent;
      try {
        ev = JSON.parse(message) as StateEvent;
      } catch {
        return;
      }
      for (const h of store.#handlers) h(ev);
    });
    return store;
  }

  /** The command connection, shared with Redis-backed rate limiters. */
  get client(): Redis {
    return this.#redis;
  }

  get prefix(): string {
    return this.#prefix;
  }

  #key(token: string): string {
    // Keys hold a hash of the token so the capability never appears in Redis key listings.
    return `${this.#prefix}session:${crypto.createHash('sha256').update(token).digest('base64url')}`;
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw unavailable(e);
    }
  }

  async getSession(token: string): Promise<SessionRecord | null> {
    const s = await this.#run(() => this.#redis.get(this.#key(token)));
    return s === null ? null : (JSON.parse(s) as SessionRecord);
  }

  async createSession(rec: SessionRecord, ttlMs: number): Promise<boolean> {
    const r = await this.#run(() => this.#redis.set(this.#key(rec.token), JSON.stringify(rec), 'PX', ttlMs, 'NX'));
    return r === 'OK';
  }

  async updateSession(rec: SessionRecord, ttlMs: number): Promise<boolean> {
    const r = await this.#run(() =>
      this.#redis.eval(CAS_SCRIPT, 1, this.#key(rec.token), JSON.stringify(rec), String(rec.version - 1), String(ttlMs)),
    );
    return Number(r) === 1;
  }

  async deleteSession(token: string): Promise<boolean> {
    return (await this.#run(() => this.#redis.del(this.#key(token)))) > 0;
  }

  async publish(event: StateEvent): Promise<void> {
    await this.#run(() => this.#redis.publish(this.#channel, JSON.stringify(event)));
  }

  subscribe(handler: (event: StateEvent) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#redis.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    this.#redis.disconnect();
    this.#sub.disconnect();
  }
}
