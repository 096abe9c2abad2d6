// Exact (brute-force cosine) store of enrolled templates, for tests and the
// eval harness. The engine reads it as a SubjectMatcher; add() and remove()
// are its owner's writes, made the way the service commits an enrollment
// (the decision's template), never by the engine.
import type { Decision, MatchResult, SubjectMatcher } from './types.ts';
import { cosine, l2normalize } from '../../common/vector.ts';

export class InMemoryGallery implements SubjectMatcher {
  readonly #templates = new Map<string, Float32Array>();
  readonly #dim: number;

  constructor(dim = 512) {
    this.#dim = dim;
  }

  async add(subjectId: string, embedding: Float32Array): Promise<void> {
    if (typeof subjectId !== 'string' || subjectId.length === 0) throw new TypeError('subjectId must be a non-empty string');
    this.#checkDim(embedding);
    this.#templates.set(subjectId, l2normalize(embedding));
  }

  /** Commits a succeeded enrollment's template under its subject, as the service does; false for any other decision. */
  async commit(decision: Decision): Promise<boolean> {
    if (decision.kind !== 'enrollment' || decision.outcome !== 'succeeded' || !decision.template || decision.subjectId === undefined) return false;
    await this.add(decision.subjectId, Float32Array.from(decision.template));
    return true;
  }

  async remove(subjectId: string): Promise<boolean> {
    return this.#templates.delete(subjectId);
  }

  async compare(subjectId: string, probe: Float32Array): Promise<number | null> {
    this.#checkDim(probe);
    const t = this.#templates.get(subjectId);
    return t ? cosine(t, probe) : null;
  }

  async search(probe: Float32Array, k: number): Promise<readonly MatchResult[]> {
    this.#checkDim(probe);
    if (!(k >= 1)) throw new TypeError('k must be >= 1');
    const all: MatchResult[] = [];
    for (const [subjectId, t] of this.#templates) all.push({ subjectId, similarity: cosine(t, probe) });
    all.sort((a, b) => b.similarity - a.similarity);
    return all.slice(0, k);
  }

  async size(): Promise<number> {
    return this.#templates.size;
  }

  #checkDim(v: Float32Array): void {
    if (!(v instanceof Float32Array) || v.length !== this.#dim) {
      throw new TypeError(`embedding must be a Float32Array of length ${this.#dim}`);
    }
  }
}
