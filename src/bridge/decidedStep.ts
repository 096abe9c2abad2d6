// Maps a liveness engine Decision onto the service's one verdict shape
// (common/session.ts): the per-signal scores that were evaluated, the fused
// spoof score, the match and the timings, with the engine's reason mapped
// through one exhaustive table. A succeeded enrollment's template rides along
// for the service to commit; it never reaches the session record or a client.
import type { DecisionReason, SessionVerdict } from '../../common/session.ts';
import type { Decision, ReasonCode } from '../engine/index.ts';
import type { DecidedStep } from '../sessions/SessionEngine.ts';

/** Every engine reason has its service reason: a new engine reason does not compile until it is mapped here. */
export const DECISION_REASON_OF: Readonly<Record<ReasonCode, DecisionReason>> = {
  no_face: 'no_face',
  multiple_faces: 'multiple_faces',
  face_too_small: 'face_too_small',
  poor_quality: 'poor_quality',
  occluded: 'occluded',
  liveness_failed: 'liveness_failed',
  challenge_failed: 'challenge_failed',
  challenge_timeout: 'challenge_timeout',
  spoof_suspected: 'spoof_suspected',
  injection_suspected: 'injection_suspected',
  identity_changed: 'identity_changed',
  no_match: 'no_match',
  expired: 'expired',
  cancelled: 'cancelled',
  step_up_required: 'step_up_required',
};

export function decidedStep(d: Decision): DecidedStep {
  const scores: Record<string, number> = {};
  for (const [name, s] of Object.entries(d.signals)) if (s.evaluated && Number.isFinite(s.score)) scores[name] = s.score;
  if (Number.isFinite(d.spoofScore)) scores['spoof'] = d.spoofScore;
  const timings: Record<string, number> = { analyzeMsTotal: d.timings.analyzeMsTotal };
  if (d.timings.firstFrameToVerdictMs !== null) timings['firstFrameToVerdictMs'] = d.timings.firstFrameToVerdictMs;
  const succeeded = d.outcome === 'succeeded';
  const verdict: SessionVerdict = {
    outcome: succeeded ? 'succeeded' : 'failed',
    // An engine expiry or cancel carries its reason, so the session gets that status (statusOf).
    reason: succeeded ? null : d.reason !== undefined ? DECISION_REASON_OF[d.reason] : 'liveness_failed',
    externalUserId: d.match?.subjectId ?? (d.kind === 'enrollment' ? (d.subjectId ?? null) : null),
    similarity: d.match?.similarity ?? d.bestSimilarity,
    scores,
    timings,
  };
  const template = succeeded && d.kind === 'enrollment' && d.template !== undefined ? Float32Array.from(d.template) : undefined;
  return template !== undefined ? { kind: 'decided', verdict, template } : { kind: 'decided', verdict };
}
