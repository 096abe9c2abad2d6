// A simulated screen and face for synthetic publishers: it reads the
// colour-flash schedules that arrive on the data channel, "paints" them from
// the moment of receipt as the demo page does, and says which colour lights
// the face in a frame captured at a given wall-clock time, a camera latency
// later. Modes model what an attacker (or a broken page) would send:
// 'reflect' follows the screen; 'ignore' never changes (a replay, a screen
// held to the camera); 'other' follows a different sequence of the same
// colours (a guess); 'late' follows the right one, too late (a relay that
// re-renders the face after seeing the colours). Tests and benchmarks only.
import type { ServerMessage } from '../../common/protocol/dataChannel.ts';

export type ReflectionMode = 'reflect' | 'ignore' | 'other' | 'late';

type Rgb = readonly [number, number, number];

export interface FlashResponderOptions {
  /** The colours there are variants for: variant i + 1 is the face lit by colours[i]; 0 is unlit. */
  readonly colors: readonly Rgb[];
  readonly mode: ReflectionMode;
  /** Screen-to-capture latency (display scan-out + camera exposure and readout), ms. */
  readonly cameraLatencyMs: number;
  /** Extra delay of the 'late' mode, ms. Default 900. */
  readonly lateMs?: number;
  /** Uniform integer in [0, max) for the 'other' mode's guess. Default Math.random. */
  readonly randomInt?: (max: number) => number;
}

interface Painted {
  readonly receivedAt: number;
  readonly steps: readonly { readonly variant: number; readonly startMs: number; readonly durationMs: number }[];
}

export class FlashResponder {
  readonly #options: FlashResponderOptions;
  readonly #painted: Painted[] = [];
  readonly #asked: Rgb[][] = [];

  constructor(options: FlashResponderOptions) {
    if (options.colors.length < 2) throw new TypeError('a flash responder needs at least two colours');
    if (!(options.cameraLatencyMs >= 0)) throw new TypeError('cameraLatencyMs must be >= 0');
    this.#options = options;
  }

  /** The colour sequences received so far, as asked. */
  get asked(): readonly (readonly Rgb[])[] {
    return this.#asked;
  }

  /** Feed every server message (SyntheticPublisher.onMessage); receipt time is now. */
  onMessage(m: ServerMessage, receivedAt: number = Date.now()): void {
    if (m.type !== 'prompt' || m.colors === undefined || m.colors.length === 0) return;
    this.#asked.push(m.colors.map((c) => c.rgb));
    const index = (rgb: Rgb): number => this.#options.colors.findIndex((c) => c[0] === rgb[0] && c[1] === rgb[1] && c[2] === rgb[2]);
    let order = m.colors.map((c) => index(c.rgb));
    if (this.#options.mode === 'other') order = this.#guess(order);
    this.#painted.push({
      receivedAt,
      steps: m.colors.map((c, i) => ({ variant: (order[i] ?? -1) + 1, startMs: c.startMs, durationMs: c.durationMs })),
    });
  }

  /** The variant to send for a frame captured at `captureTimeMs` (wall clock). */
  variantAt(captureTimeMs: number): number {
    const o = this.#options;
    if (o.mode === 'ignore') return 0;
    const shown = captureTimeMs - o.cameraLatencyMs - (o.mode === 'late' ? (o.lateMs ?? 900) : 0);
    for (let i = this.#painted.length - 1; i >= 0; i--) {
      const p = this.#painted[i]!;
      const rel = shown - p.receivedAt;
      if (rel < 0) continue;
      for (const s of p.steps) if (rel >= s.startMs && rel < s.startMs + s.durationMs) return s.variant;
      return 0;
    }
    return 0;
  }

  /** Another arrangement of distinct colours, at least two steps off: what a wrong guess would paint. */
  #guess(asked: readonly number[]): number[] {
    const rnd = this.#options.randomInt ?? ((max: number) => Math.floor(Math.random() * max));
    const n = this.#options.colors.length;
    for (;;) {
      const pool = Array.from({ length: n }, (_, i) => i);
      const out: number[] = [];
      for (let i = 0; i < asked.length && pool.length > 0; i++) out.push(pool.splice(rnd(pool.length), 1)[0]!);
      if (out.filter((c, i) => c !== asked[i]).length >= Math.min(2, asked.length)) return out;
    }
  }
}
