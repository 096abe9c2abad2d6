// Comparing embeddings: cosine similarity and the shipped match threshold.
// The threshold comes from the measurements in models/README.md (recipe
// embeddings, 220 genuine / 4830 impostor pairs): at cosine 0.45 no impostor
// is accepted but 2.3% of genuine pairs are refused, at 0.40 every genuine pair
// is accepted and 3 impostors (6e-4) are too. 0.42 sits between the two with
// margin on both sides; eval:verify re-measures it on any folder of identities.

/** Cosine similarity at or above which two faces are taken to be the same person (shared with config, so it lives in common/). */
export { DEFAULT_MATCH_THRESHOLD } from '../common/defaults.ts';

/** Cosine similarity of two embeddings (L2-normalised or not): common/vector.ts's, under the name models/ has always used. */
export { cosine as cosineSimilarity } from '../common/vector.ts';
