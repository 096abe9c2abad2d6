// NodeLink on Redis: ownership claims are keys set only if absent (with the
// session's TTL), each node's lease is a key it refreshes, and requests and
// replies travel on two pub/sub channels per node. PUBLISH answers how many
// subscribers got the message, so a request to a node whose process is gone
// is known at once (no subscriber) instead of waiting for the time limit.
// Messages are binary: a 4-byte header length, the JSON header, the body.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { isFacegateError } from '../../common/errors.ts';
import type { NodeLink, NodeReply, NodeRequestHandler } from './NodeLink.ts';
import { DEFAULT_REDIS_PREFIX, redisConnection, unavailable } from '../state/RedisStateStore.ts';

// Returns the owner: the existing one, or this node after it set the key.
const CLAIM_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

export interface RedisNodeLinkOptions {
  readonly url: string;
  /** Key and channel prefix, the same as the state store's. */
  readonly prefix?: string;
  /** This node's id (default: a random one). */
  readonly nodeId?: string;
  /** How long a lease lasts without a refresh, ms (refreshed every third of it). Default 6000. */
  readonly leaseMs?: number;
}

interface Pending {
  readonly resolve: (r: NodeReply) => void;
  readonly timer: NodeJS.Timeout;
}

interface RequestHeader {
  readonly id: string;
  readonly from: string;
  readonly h: unknown;
}

type ReplyMessage =
  | { readonly id: string; readonly ok: true; readonly value: unknown }
  | { readonly id: string; readonly ok: false; readonly code: string; readonly message: string; readonly details: Record<string, unknown> | null };

function pack(header: unknown, body: Uint8Array | null): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return body === null || body.length === 0 ? Buffer.concat([len, h]) : Buffer.concat([len, h, body]);
}

function unpack(m: Buffer): { header: unknown; body: Uint8Array | null } | null {
  if (m.length < 4) return null;
  const n = m.readUInt32BE(0);
  if (4 + n > m.length) return null;
  try {
    const header: unknown = JSON.parse(m.subarray(4, 4 + n).toString('utf8'));
    // A view on the message buffer: the body is read once, by the handler.
    const body = m.length > 4 + n ? new Uint8Array(m.buffer, m.byteOffset + 4 + n, m.length - 4 - n) : null;
    return { header, body };
  } catch {
    return null;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export class RedisNodeLink implements NodeLink {
  readonly nodeId: string;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #lease: NodeJS.Timeout;
  #handler: NodeRequestHandler | null = null;
  #closed = false;

  private constructor(redis: Redis, sub: Redis, prefix: string, nodeId: string, leaseMs: number) {
    this.#redis = redis;
    this.#sub = sub;
    this.#prefix = prefix;
    this.nodeId = nodeId;
    this.#leaseMs = leaseMs;
    this.#lease = setInterval(() => void this.#renew().catch(() => {}), Math.max(50, Math.floor(leaseMs / 3)));
    this.#lease.unref();
  }

  static async open(options: RedisNodeLinkOptions): Promise<RedisNodeLink> {
    const leaseMs = options.leaseMs ?? 6000;
    if (!Number.isInteger(leaseMs) || leaseMs < 150) throw new TypeError('leaseMs must be an integer >= 150');
    const nodeId = options.nodeId ?? `node_${crypto.randomBytes(6).toString('hex')}`;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(nodeId)) throw new TypeError('nodeId must be 1-64 letters, digits, _ or -');
    const redis = redisConnection(options.url);
    const sub = redisConnection(options.url);
    let link: RedisNodeLink | undefined;
    try {
      await redis.connect();
      await sub.connect();
      link = new RedisNodeLink(redis, sub, options.prefix ?? DEFAULT_REDIS_PREFIX, nodeId, leaseMs);
      const l = link;
      sub.on('messageBuffer', (channel: Buffer, message: Buffer) => l.#onMessage(channel.toString(), message));
      await sub.subscribe(l.#requestChannel(nodeId), l.#replyChannel(nodeId));
      await l.#renew();
      return l;
    } catch (e) {
      if (link) await link.close();
      redis.disconnect();
      sub.disconnect();
      throw unavailable(e);
    }
  }

  #requestChannel(nodeId: string): string {
    return `${this.#prefix}node:${nodeId}:req`;
  }

  #replyChannel(nodeId: string): string {
    return `${this.#prefix}node:${nodeId}:rep`;
  }

  #leaseKey(nodeId: string): string {
    return `${this.#prefix}node:${nodeId}:lease`;
  }

  #ownerKey(key: string): string {
    return `${this.#prefix}owner:${key}`;
  }

  async #renew(): Promise<void> {
    if (this.#closed) return;
    await this.#redis.set(this.#leaseKey(this.nodeId), '1', 'PX', this.#leaseMs);
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw unavailable(e);
    }
  }

  async claim(key: string, ttlMs: number): Promise<string> {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('claim() needs a key');
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const owner = await this.#run(() => this.#redis.eval(CLAIM_SCRIPT, 1, this.#ownerKey(key), this.nodeId, String(ttl)));
    return String(owner);
  }

  async owner(key: string): Promise<string | null> {
    return this.#run(() => this.#redis.get(this.#ownerKey(key)));
  }

  async isAlive(nodeId: string): Promise<boolean> {
    if (nodeId === this.nodeId) return !this.#closed;
    return (await this.#run(() => this.#redis.exists(this.#leaseKey(nodeId)))) > 0;
  }

  async request(nodeId: string, header: unknown, body: Uint8Array | null, timeoutMs: number): Promise<NodeReply> {
    if (this.#closed) return { kind: 'gone' };
    const id = crypto.randomBytes(9).toString('base64url');
    const message = pack({ id, from: this.nodeId, h: header } satisfies RequestHeader, body);
    const reply = new Promise<NodeReply>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.#pending.set(id, { resolve, timer });
    });
    let receivers: number;
    try {
      receivers = await this.#redis.publish(this.#requestChannel(nodeId), message);
    } catch (e) {
      this.#settle(id, { kind: 'gone' });
      await reply;
      throw unavailable(e);
    }
    if (receivers === 0) this.#settle(id, { kind: 'gone' });
    return reply;
  }

  serve(handler: NodeRequestHandler): void {
    if (typeof handler !== 'function') throw new TypeError('serve() needs a handler');
    this.#handler = handler;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#lease);
    for (const id of [...this.#pending.keys()]) this.#settle(id, { kind: 'gone' });
    // Unsubscribing first makes requests to this node see no receiver at once.
    await this.#sub.unsubscribe().catch(() => {});
    await this.#redis.del(this.#leaseKey(this.nodeId)).catch(() => {});
    this.#redis.disconnect();
    this.#sub.disconnect();
  }

  #settle(id: string, r: NodeReply): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(r);
  }

  #onMessage(channel: string, message: Buffer): void {
    if (this.#closed) return;
    if (channel === this.#replyChannel(this.nodeId)) {
      this.#onReply(message);
      return;
    }
    if (channel !== this.#requestChannel(this.nodeId)) return;
    const m = unpack(message);
    if (m === null || !isRecord(m.header)) return;
    const { id, from, h } = m.header;
    if (typeof id !== 'string' || typeof from !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(from)) return;
    void this.#answer(id, from, h, m.body);
  }

  async #answer(id: string, from: string, header: unknown, body: Uint8Array | null): Promise<void> {
    let reply: ReplyMessage;
    const handler = this.#handler;
    if (handler === null) {
      reply = { id, ok: false, code: 'service_unavailable', message: 'this node serves no requests', details: null };
    } else {
      try {
        reply = { id, ok: true, value: await handler({ header, body, from }) };
      } catch (e) {
        reply = isFacegateError(e)
          ? { id, ok: false, code: e.code, message: e.message, details: e.details ? { ...e.details } : null }
          : { id, ok: false, code: 'internal_error', message: 'the owning node failed to process the request', details: null };
      }
    }
    if (this.#closed) return;
    await this.#redis.publish(this.#replyChannel(from), JSON.stringify(reply)).catch(() => {});
  }

  #onReply(message: Buffer): void {
    let r: unknown;
    try {
      r = JSON.parse(message.toString('utf8'));
    } catch {
      return;
    }
    if (!isRecord(r) || typeof r.id !== 'string') return;
    if (r.ok === true) {
      this.#settle(r.id, { kind: 'reply', value: r.value });
    } else {
      this.#settle(r.id, {
        kind: 'error',
        code: typeof r.code === 'string' ? r.code : 'internal_error',
        message: typeof r.message === 'string' ? r.message : 'the owning node failed',
        details: isRecord(r.details) ? r.details : null,
      });
    }
  }
}
