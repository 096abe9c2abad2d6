// The composition root's ownership list: every resource is pushed as it is
// opened and closed in reverse order (like mediasoup's Worker > Router >
// Transport tree: a parent outlives what depends on it). closeAll() is
// idempotent, carries on past a close that fails and reports each failure,
// so one stuck part does not leave the rest open.

export interface CloseFailure {
  readonly name: string;
  readonly error: unknown;
}

export type CloseFn = () => unknown;

export class CloseStack {
  readonly #entries: { readonly name: string; readonly close: CloseFn }[] = [];
  readonly #onFailure: (failure: CloseFailure) => void;
  #closing: Promise<readonly CloseFailure[]> | null = null;

  /** `onFailure` hears each close that throws or rejects (a log line, typically). */
  constructor(onFailure: (failure: CloseFailure) => void = () => {}) {
    this.#onFailure = onFailure;
  }

  /** Whether closeAll() has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Names of the open resources, in opening order. */
  get names(): readonly string[] {
    return this.#entries.map((e) => e.name);
  }

  /** Registers a resource that was just opened; closeAll() closes it before everything pushed earlier. */
  push(name: string, close: CloseFn): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('name must be a non-empty string');
    if (typeof close !== 'function') throw new TypeError('close must be a function');
    if (this.#closing) throw new Error(`cannot open ${name}: the close stack is already closed`);
    this.#entries.push({ name, close });
  }

  /** Closes everything in reverse opening order, one at a time; resolves with the failures (never rejects). */
  closeAll(): Promise<readonly CloseFailure[]> {
    this.#closing ??= (async () => {
      const failures: CloseFailure[] = [];
      for (let e = this.#entries.pop(); e !== undefined; e = this.#entries.pop()) {
        try {
          await e.close();
        } catch (error) {
          const failure = { name: e.name, error };
          failures.push(failure);
          this.#onFailure(failure);
        }
      }
      return failures;
    })();
    return this.#closing;
  }
}
