// A recording of analysed observations that several sessions can replay: the
// first reader pulls frames from the source (decode + analyze) on demand, later
// readers replay what was already analysed. Lets the eval run one clip under
// several challenge schedules, and tests share one analysis per clip, while
// decoding only as far as the slowest session needs. A frame the live
// schedule follows the face on is also analysed with the detector, as the live
// path does for a session whose challenge reads the eyes (LivenessSession.followsFace):
// replayFrames() gives both and the session's runner picks.
import type { FaceAnalyzerLike, FaceStage } from '../../../models/types.ts';
import type { TimedFrame } from './decodeClip.ts';
import { DetectSchedule, observeFrame } from '../../../src/engine/observe.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../../src/engine/options.ts';
import type { FaceGrid } from '../../../src/engine/signals/artefacts.ts';
import type { Observation } from '../../../src/engine/types.ts';

export const ALL_STAGES: readonly FaceStage[] = ['landmarks', 'pose', 'eyes', 'liveness', 'quality', 'embedding'];

/** One analysed frame: as the live detect schedule analyses it, and (where that followed the face) with the detector. */
export interface TapeFrame {
  readonly observation: Observation;
  /** The same frame detected; absent where `observation` was detected itself. */
  readonly detected?: Observation;
}

export class ObservationTape {
  readonly #source: AsyncIterator<TapeFrame>;
  readonly #items: TapeFrame[] = [];
  #done = false;
  #pending: Promise<void> | null = null;
  #closed = false;

  constructor(source: AsyncIterable<TapeFrame>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Observations of decoded frames, analysed with every stage (sessions pick what they need). */
  static fromFrames(analyzer: FaceAnalyzerLike, frames: AsyncIterable<TimedFrame>): ObservationTape {
    async function* gen(): AsyncGenerator<TapeFrame> {
      let grid: FaceGrid | undefined;
      // Detected and followed as the live path's schedule does; a followed frame is also detected.
      const detect = new DetectSchedule(DEFAULT_SESSION_OPTIONS.detectIntervalMs, DEFAULT_SESSION_OPTIONS.detectMinFrames);
      for await (const { frame, t } of frames) {
        const o = await observeFrame(analyzer, frame, t, ALL_STAGES, grid, detect.trackFor(t));
        const d = o.tracked ? await observeFrame(analyzer, frame, t, ALL_STAGES, grid) : undefined;
        grid = o.grid;
        detect.update(o, t);
        yield d !== undefined ? { observation: o.observation, detected: d.observation } : { observation: o.observation };
      }
    }
    return new ObservationTape(gen());
  }

  static fromArray(items: readonly Observation[]): ObservationTape {
    async function* gen(): AsyncGenerator<TapeFrame> {
      for (const observation of items) yield { observation };
    }
    return new ObservationTape(gen());
  }

  /** Number of observations analysed so far. */
  get length(): number {
    return this.#items.length;
  }

  get items(): readonly Observation[] {
    return this.#items.map((f) => f.observation);
  }

  async #pull(): Promise<void> {
    if (this.#done || this.#closed) return;
    this.#pending ??= (async () => {
      const r = await this.#source.next();
      if (r.done) this.#done = true;
      else this.#items.push(r.value);
    })().finally(() => {
      this.#pending = null;
    });
    await this.#pending;
  }

  /** Replays from the start, analysing further frames as the reader asks for them. */
  async *replay(): AsyncGenerator<Observation> {
    for await (const f of this.replayFrames()) yield f.observation;
  }

  /** replay() with each frame's detected analysis beside it (TapeFrame). */
  async *replayFrames(): AsyncGenerator<TapeFrame> {
    for (let i = 0; ; i++) {
      while (i >= this.#items.length && !this.#done && !this.#closed) await this.#pull();
      if (i >= this.#items.length) return;
      yield this.#items[i]!;
    }
  }

  /** Stops the source (kills the decoder); replays end after the cached part. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pending;
    await this.#source.return?.(undefined);
  }
}
