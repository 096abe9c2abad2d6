// In-process StateStore for a single node with no Redis. Expiry is checked
// on read and swept periodically so abandoned sessions do not accumulate.
import { EventEmitter } from 'node:events';
import type { SessionRecord } from '../../common/session.ts';
import type { StateEvent, StateStore } from './StateStore.ts';

export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  readonly #sessions = new Map<string, { rec: string; expiresAt: number }>();
  readonly #events = new EventEmitter();
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(sweepMs = 30_000) {
    this.#sweep = setInterval(() => this.#sweepExpired(), sweepMs);
    this.#sweep.unref();
  }

  async getSession(token: string): Promise<SessionRecord | null> {
    const e = this.#sessions.get(token);
    if (!e) return null;
    if (e.expiresAt <= Date.now()) {
      this.#sessions.delete(token);
      return null;
    }
    return JSON.parse(e.rec) as SessionRecord;
  }

  async createSession(rec: SessionRecord, ttlMs: number): Promise<boolean> {
    if (this.#sessions.has(rec.token) && (await this.getSession(rec.token))) return false;
    this.#sessions.set(rec.token, { rec: JSON.stringify(rec), expiresAt: Date.now() + ttlMs });
    return true;
  }

  async updateSession(rec: SessionRecord, ttlMs: number): Promise<boolean> {
    const cur = await this.getSession(rec.token);
    if (!cur || cur.version !== rec.version - 1) return false;
    this.#sessions.set(rec.token, { rec: JSON.stringify(rec), expiresAt: Date.now() + ttlMs });
    return true;
  }

  async deleteSession(token: string): Promise<boolean> {
    return this.#sessions.delete(token);
  }

  async publish(event: StateEvent): Promise<void> {
    this.#events.emit('event', event);
  }

  subscribe(handler: (event: StateEvent) => void): () => void {
    this.#events.on('event', handler);
    return () => this.#events.off('event', handler);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#sessions.clear();
    this.#events.removeAllListeners();
  }

  #sweepExpired(): void {
    const now = Date.now();
    for (const [k, e] of this.#sessions) if (e.expiresAt <= now) this.#sessions.delete(k);
  }
}
