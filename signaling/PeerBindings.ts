// Which DTLS fingerprints each session id is bound to, across joins: a
// client that reconnects with the same session token gets a new live
// session, and that one must be the same peer (present one of the
// fingerprints the first one connected with). Filled when a live session
// closes, read when the next one for the id is created; entries expire after
// a TTL (longer than any session token lives) and the map is bounded.
export interface PeerBindingsOptions {
  /** How long a binding is remembered, ms. Default one day. */
  readonly ttlMs?: number;
  /** Most bindings kept; the oldest goes first. Default 100000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class PeerBindings {
  readonly #entries = new Map<string, { readonly fingerprints: readonly string[]; readonly expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: PeerBindingsOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** The fingerprints `sessionId` is bound to, if any. */
  get(sessionId: string): readonly string[] | undefined {
    const e = this.#entries.get(sessionId);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.#now()) {
      this.#entries.delete(sessionId);
      return undefined;
    }
    return e.fingerprints;
  }

  /** Remembers a binding (a session that never connected a transport has none: nothing is stored). */
  set(sessionId: string, fingerprints: readonly string[]): void {
    if (fingerprints.length === 0 || this.#entries.has(sessionId)) return;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(sessionId, { fingerprints: [...fingerprints], expiresAt: this.#now() + this.#ttlMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
