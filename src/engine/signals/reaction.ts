// Reaction signal: how soon after a prompt reached the page the user began to
// answer it. A reply faster than a human can react was scripted.
import { median } from '../../../common/vector.ts';
import type { ChallengeTiming, SignalReport } from '../types.ts';

/** Reports the reaction times of `timings` (recorded answers and colour flashes have none). */
export function reactionReport(timings: readonly ChallengeTiming[], rttMs: number, minReactionMs: number): SignalReport {
  const reactions = timings.filter((x) => x.reactionMs !== null).map((x) => x.reactionMs!);
  return {
    evaluated: reactions.length > 0,
    score: reactions.length > 0 ? 1 : 0,
    passed: reactions.every((r) => r >= minReactionMs),
    values: { rttMs, medianMs: reactions.length ? median(reactions) : null, minMs: reactions.length ? Math.min(...reactions) : null },
  };
}
