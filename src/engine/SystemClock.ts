// Real time for the engine: performance.now()-based milliseconds and timers.
import type { Clock } from './types.ts';

export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fn: () => void): () => void {
    const h = setTimeout(fn, Math.max(0, ms));
    // Session timers must never keep a process alive on their own.
    h.unref();
    return () => clearTimeout(h);
  }
}
