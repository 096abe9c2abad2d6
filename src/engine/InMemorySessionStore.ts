// Process-local SessionStore with TTL eviction on a Clock. The service swaps in
// a Redis-backed store with the same interface for multi-node deployments.
import type { Clock, EngineSessionRecord, SessionStore } from './types.ts';

export class InMemorySessionStore implements SessionStore {
  readonly #clock: Clock;
  readonly #records = new Map<string, { record: EngineSessionRecord; expiresAt: number }>();
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async get(id: string): Promise<EngineSessionRecord | undefined> {
    const e = this.#records.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= this.#clock.now()) {
      this.#records.delete(id);
      return undefined;
    }
    return e.record;
  }

  async put(record: EngineSessionRecord, ttlMs: number): Promise<void> {
    if (this.#closed) throw new Error('session store is closed');
    if (!(ttlMs > 0)) throw new TypeError('put() needs a positive ttlMs');
    this.#records.set(record.id, { record, expiresAt: this.#clock.now() + ttlMs });
    this.#sweep();
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#records.clear();
  }

  get size(): number {
    return this.#records.size;
  }

  // Lazy eviction keeps memory bounded without a background timer.
  #sweep(): void {
    const now = this.#clock.now();
    for (const [id, e] of this.#records) if (e.expiresAt <= now) this.#records.delete(id);
  }
}
