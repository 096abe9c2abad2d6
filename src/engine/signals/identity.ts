// Identity continuity: embeddings sampled through a session must stay one
// person. The reference is the mean of the first samples; a sample below the
// threshold twice in a row means the face in front of the camera changed.
import { cosine, meanTemplate } from '../../../common/vector.ts';

export interface IdentityOptions {
  /** Reference = mean of this many first samples. */
  readonly referenceSamples: number;
  /**
   * Same-person threshold. 0.40 accepted every genuine pair of 101 real photos
   * of 21 people and 3 of 4830 impostor pairs (models/README.md); frames of
   * one session are far more alike than photos taken years apart.
   */
  readonly threshold: number;
  /** Consecutive low samples that confirm a change (one bad crop is no change). */
  readonly confirmations: number;
}

export const DEFAULT_IDENTITY_OPTIONS: IdentityOptions = Object.freeze({
  referenceSamples: 2,
  threshold: 0.4,
  confirmations: 2,
});

export interface IdentityState {
  readonly samples: number;
  readonly minSimilarity: number;
  readonly lastSimilarity: number | null;
  readonly changed: boolean;
}

export class IdentityTracker {
  readonly #options: IdentityOptions;
  readonly #first: Float32Array[] = [];
  readonly #all: Float32Array[] = [];
  #reference: Float32Array | null = null;
  #low = 0;
  #min = 1;
  #last: number | null = null;
  #changed = false;

  constructor(options: IdentityOptions = DEFAULT_IDENTITY_OPTIONS) {
    this.#options = options;
  }

  /** Adds one embedding; returns true when this sample confirms an identity change. */
  add(embedding: Float32Array): boolean {
    this.#all.push(embedding);
    if (!this.#reference) {
      this.#first.push(embedding);
      if (this.#first.length >= this.#options.referenceSamples) {
        // Two first samples that disagree already mean a swap (or a bad start).
        const s = this.#first.length > 1 ? cosine(this.#first[0]!, this.#first[1]!) : 1;
        this.#min = Math.min(this.#min, s);
        this.#last = s;
        this.#reference = meanTemplate(this.#first);
        if (s < this.#options.threshold) {
          this.#low = this.#options.confirmations;
          this.#changed = true;
        }
      }
      return this.#changed;
    }
    const s = cosine(this.#reference, embedding);
    this.#last = s;
    this.#min = Math.min(this.#min, s);
    this.#low = s < this.#options.threshold ? this.#low + 1 : 0;
    if (this.#low >= this.#options.confirmations) this.#changed = true;
    return this.#changed;
  }

  get state(): IdentityState {
    return { samples: this.#all.length, minSimilarity: this.#all.length > 1 ? this.#min : 1, lastSimilarity: this.#last, changed: this.#changed };
  }

  get hasReference(): boolean {
    return this.#reference !== null;
  }

  /** All samples so far (the decision's probe and enrollment template come from them). */
  get samples(): readonly Float32Array[] {
    return this.#all;
  }
}
