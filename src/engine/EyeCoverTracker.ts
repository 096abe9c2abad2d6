// How long a session's eye crops have looked covered. The per-frame cue
// (frameGate.eyesOccluded) also fires on closed eyes, so only a run longer
// than a blink counts as an occlusion.
import { eyesOccluded, DEFAULT_GATE_OPTIONS, type GateOptions } from './frameGate.ts';
import type { Observation } from './types.ts';

export class EyeCoverTracker {
  readonly #options: GateOptions;
  #since: number | null = null;

  constructor(options: GateOptions = DEFAULT_GATE_OPTIONS) {
    this.#options = options;
  }

  /** Feeds one observation (in time order); true when the eyes have looked covered for eyeOcclusionMs. */
  update(obs: Observation): boolean {
    const e = obs.eyeCrop;
    if (!e || obs.faceCount !== 1 || !eyesOccluded(e, this.#options)) {
      this.#since = null;
      return false;
    }
    this.#since ??= obs.t;
    return obs.t - this.#since >= this.#options.eyeOcclusionMs;
  }
}
