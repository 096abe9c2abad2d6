// Processor: decoded frames at the publisher's rate -> frames at a fixed
// cadence (config.media.frameRate). The latest frame wins: a frame that
// arrives before its slot replaces the one waiting, and a frame older than
// maxAgeMs when its slot comes is dropped, never queued. Time is an input
// (nowMs) so the stage is deterministic under test; the owner runs the timer
// that calls tick() at nextDueInMs().
import type { DecodedFrame } from './types.ts';

export interface FrameSamplerOptions {
  readonly frameRate: number;
  /** A waiting frame older than this (capture -> now) is dropped. Default 1000 ms. */
  readonly maxAgeMs?: number;
}

export interface FrameSamplerStats {
  readonly frameRate: number;
  readonly received: number;
  readonly emitted: number;
  readonly replaced: number;
  readonly stale: number;
}

/** Frames within this fraction of the interval count as on time (sender clocks jitter). */
const SLACK = 0.1;

export class FrameSampler {
  readonly #intervalMs: number;
  readonly #frameRate: number;
  readonly #maxAgeMs: number;
  #lastEmitMs = -Infinity;
  #pending: DecodedFrame | undefined;
  #received = 0;
  #emitted = 0;
  #replaced = 0;
  #stale = 0;

  constructor(options: FrameSamplerOptions) {
    if (!(options.frameRate > 0 && options.frameRate <= 120)) {
      throw new TypeError('frameRate must be in (0, 120]');
    }
    this.#frameRate = options.frameRate;
    this.#intervalMs = 1000 / options.frameRate;
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
  }

  processInput(input: { frame: DecodedFrame; nowMs: number }): DecodedFrame[] {
    this.#received++;
    if (this.#pending !== undefined) this.#replaced++;
    this.#pending = input.frame;
    return this.tick(input.nowMs);
  }

  /** Emits the waiting frame if its slot has come. */
  tick(nowMs: number): DecodedFrame[] {
    const frame = this.#pending;
    if (frame === undefined) return [];
    if (nowMs - frame.captureTimeMs > this.#maxAgeMs) {
      this.#pending = undefined;
      this.#stale++;
      return [];
    }
    if (nowMs - this.#lastEmitMs < this.#intervalMs * (1 - SLACK)) return [];
    this.#pending = undefined;
    this.#lastEmitMs = nowMs;
    this.#emitted++;
    return [frame];
  }

  /** Ms until tick() can emit the waiting frame; undefined when nothing waits. */
  nextDueInMs(nowMs: number): number | undefined {
    if (this.#pending === undefined) return undefined;
    return Math.max(0, this.#lastEmitMs + this.#intervalMs * (1 - SLACK) - nowMs);
  }

  toJSON(): FrameSamplerStats {
    return {
      frameRate: this.#frameRate,
      received: this.#received,
      emitted: this.#emitted,
      replaced: this.#replaced,
      stale: this.#stale,
    };
  }
}
