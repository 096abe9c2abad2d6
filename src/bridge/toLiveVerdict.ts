// Maps a liveness engine Decision onto the service's LiveVerdict: the
// per-signal scores that were evaluated, the fused spoof score, the match and
// the timings. Embeddings and templates never leave the engine this way.
import type { Decision } from '../engine/index.ts';
import type { LiveVerdict } from '../sessions/SessionService.ts';

export function toLiveVerdict(d: Decision): LiveVerdict {
  const scores: Record<string, number> = {};
  for (const [name, s] of Object.entries(d.signals)) if (s.evaluated && Number.isFinite(s.score)) scores[name] = s.score;
  if (Number.isFinite(d.spoofScore)) scores['spoof'] = d.spoofScore;
  const timings: Record<string, number> = { analyzeMsTotal: d.timings.analyzeMsTotal };
  if (d.timings.firstFrameToVerdictMs !== null) timings['firstFrameToVerdictMs'] = d.timings.firstFrameToVerdictMs;
  return {
    outcome: d.outcome,
    reason: d.reason ?? null,
    matchedUserId: d.match?.subjectId ?? null,
    similarity: d.match?.similarity ?? d.bestSimilarity,
    scores,
    timings,
    frames: d.timings.frames,
  };
}
