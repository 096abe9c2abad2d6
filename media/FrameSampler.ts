// Processor: decoded frames at the publisher's rate -> frames at a fixed
// cadence (config.media.frameRate). Time is cut into slots of 1/frameRate;
// at most one frame leaves per slot, as soon as the slot has one (no added
// wait when the slot is free), and never closer than half a slot to the
// previous one. The latest frame wins: a frame that arrives while its slot
// is taken replaces the one waiting, and a frame older than maxAgeMs when its
// turn comes is dropped, never queued. Time is an input
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

/** Minimum spacing between two emitted frames, as a fraction of the interval. */
const MIN_GAP = 0.5;

export class FrameSampler {
  readonly #intervalMs: number;
  readonly #frameRate: number;
  readonly #maxAgeMs: number;
  #lastEmitMs = -Infinity;
  #lastSlot = -Infinity;
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
    if (this.#nextEmitMs() > nowMs) return [];
    this.#pending = undefined;
    this.#lastEmitMs = nowMs;
    this.#lastSlot = Math.floor(nowMs / this.#intervalMs);
    this.#emitted++;
    return [frame];
  }

  /** Ms until tick() can emit the waiting frame; undefined when nothing waits. */
  nextDueInMs(nowMs: number): number | undefined {
    if (this.#pending === undefined) return undefined;
    return Math.max(0, this.#nextEmitMs() - nowMs);
  }

  /** Earliest time the next frame may leave: the next slot, and half a slot after the last one. */
  #nextEmitMs(): number {
    return Math.max((this.#lastSlot + 1) * this.#intervalMs, this.#lastEmitMs + this.#intervalMs * MIN_GAP);
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
