// Comparing embeddings: cosine similarity and the shipped match threshold.
// The threshold comes from the measurements in ../shared/MODELS.md (recipe
// embeddings, 220 genuine / 4830 impostor pairs): at cosine 0.45 no impostor
// is accepted but 2.3% of genuine pairs are refused, at 0.40 every genuine pair
// is accepted and 3 impostors (6e-4) are too. 0.42 sits between the two with
// margin on both sides; eval:verify re-measures it on any folder of identities.

/** Cosine similarity at or above which two faces are taken to be the same person (shared with config, so it lives in common/). */
export { DEFAULT_MATCH_THRESHOLD } from '../common/defaults.ts';

/** Cosine similarity of two embeddings (L2-normalised or not). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) {
    throw new TypeError(`embeddings must have the same non-zero length, got ${a.length} and ${b.length}`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const d = Math.sqrt(na) * Math.sqrt(nb);
  return d > 0 ? dot / d : 0;
}
