// A clock tests drive by hand: time moves only in advance(), and due timers
// fire in deadline order during that call.
import type { Clock } from './types.ts';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return () => {
      this.#timers.delete(id);
    };
  }

  /** Moves time forward by `ms`, firing each timer that falls due at its own time. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new TypeError('advance() needs a non-negative number of ms');
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers.values()) if (t.at <= end && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }

  /** Sets the time (never backwards), firing due timers. */
  set(t: number): void {
    if (t > this.#now) this.advance(t - this.#now);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }
}
