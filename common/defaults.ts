// Defaults shared by config (the environment's defaults) and the modules
// that take these settings as options (models/, the engine, the gallery):
// one number each, so config needs no import of a module to state its default.

/**
 * MATCH_THRESHOLD default: cosine similarity at or above which two faces are
 * taken to be the same person. Measured on the recipe embeddings (220 genuine
 * / 4830 impostor pairs): at 0.45 no impostor is accepted but 2.3% of genuine
 * pairs are refused, at 0.40 every genuine pair is accepted and 3 impostors
 * (6e-4) are too; 0.42 sits between the two with margin on both sides.
 * `npm run eval:verify` re-measures it on any folder of identities.
 */
export const DEFAULT_MATCH_THRESHOLD = 0.42;

/**
 * GALLERY_HNSW_MIN default: from this many live templates a client's search
 * uses the graph. Where flat search p50 passes the graph's at recall@1 >= 0.99
 * (efSearch 64): at 3k flat 1.12 ms vs graph 1.19 ms, at 6k flat 11.3 ms vs
 * graph 1.8 ms (recall 0.995), at 10k 6.9 ms vs 1.7 ms (recall 1.000).
 */
export const DEFAULT_HNSW_MIN = 5_000;

/** The large-gallery index: IVF (the default, chosen by measurement, see src/SERVICE.md) or the HNSW graph. */
export type LargeIndexKind = 'ivf' | 'hnsw';
export const DEFAULT_LARGE_INDEX: LargeIndexKind = 'ivf';

/**
 * The colour flash's look (LIVENESS_FLASH_* defaults): base hues with no pure
 * red, mixed toward grey to 70 % saturation and dimmed to 85 % (photosensitivity
 * and comfort; `npm run eval:flash` measures detection with them), the notice
 * the prompt gives before the first colour, and the steps of one sequence.
 */
export const DEFAULT_FLASH_BASE_COLORS: readonly (readonly [number, number, number])[] = Object.freeze([
  Object.freeze([255, 96, 64] as const),
  Object.freeze([0, 255, 0] as const),
  Object.freeze([0, 96, 255] as const),
  Object.freeze([255, 255, 0] as const),
  Object.freeze([255, 0, 255] as const),
  Object.freeze([0, 255, 255] as const),
]);
export const DEFAULT_FLASH_SATURATION = 0.7;
export const DEFAULT_FLASH_INTENSITY = 0.85;
export const DEFAULT_FLASH_NOTICE_MS = 1500;
export const DEFAULT_FLASH_STEPS = 5;
