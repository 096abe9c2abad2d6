// What the frame WebSocket says after one analysed frame: the engine's new
// prompts as liveness_instruction, then the frame's answer (processing or
// enrollment_progress while undecided; enrollment_complete,
// authentication_result, or an error naming the reason once decided). Pure:
// a FrameResult in, messages out.
import type { FrameSocketServerMessage } from '../../common/protocol/frameSocket.ts';
import type { SessionRecord } from '../../common/session.ts';
import type { FrameResult } from '../sessions/SessionService.ts';

export interface FrameContext {
  readonly token: string;
  /** Samples an enrollment takes (the per-frame engine; the liveness engine reports challenge progress instead). */
  readonly targetSamples: number;
  readonly framesDropped: number;
  /** Wall time of this frame's analysis, ms (decode included). */
  readonly processingMs: number;
}

/** Retry reasons and feedback that mean no usable face was in the frame. */
const NO_FACE = new Set(['no_face', 'face_too_small', 'multiple_faces']);

const FEEDBACK_TEXT: Readonly<Record<string, string>> = {
  accepted: 'Keep looking at the camera',
  no_face: 'No face found: look at the camera',
  multiple_faces: 'Only one person in front of the camera, please',
  face_too_small: 'Move closer to the camera',
  poor_quality: 'Image quality too low: ensure good lighting',
  occluded: 'Your face is covered: remove what hides it',
  frame_dropped: 'Keep looking at the camera',
};

const REASON_TEXT: Readonly<Record<string, string>> = {
  liveness_failed: 'Liveness could not be verified',
  challenge_failed: 'The liveness challenge was not completed',
  challenge_timeout: 'The liveness challenge timed out',
  spoof_suspected: 'A presentation attack was suspected',
  injection_suspected: 'The video did not come straight from a camera',
  poor_quality: 'Image quality too low for enrollment',
  no_match: 'Face not recognized',
  too_many_frames: 'Too many frames without a decision',
  expired: 'The session expired',
  cancelled: 'The session was cancelled',
};

function feedbackText(feedback: string): string {
  return FEEDBACK_TEXT[feedback] ?? 'Follow the instruction on screen';
}

/** Reasons that leave liveness passed: the face was live but did not match. */
function livenessPassed(s: SessionRecord): boolean {
  return s.decision !== null && (s.decision.outcome === 'succeeded' || s.decision.reason === 'no_match');
}

export function frameMessages(r: FrameResult, ctx: FrameContext): FrameSocketServerMessage[] {
  const out: FrameSocketServerMessage[] = [];
  let progress: number | null = null;
  for (const p of r.prompts ?? []) {
    if (p.type === 'progress') progress = p.value;
    else out.push({ type: 'liveness_instruction', instruction: p.action, message: p.text, timeout_seconds: p.timeoutMs !== undefined ? p.timeoutMs / 1000 : null, instruction_id: p.id });
  }
  const s = r.session;
  const facts = { feedback: r.feedback, frames_processed: s.framesProcessed, frames_dropped: ctx.framesDropped };
  const d = s.decision;
  if (d === null) {
    if (s.kind === 'authentication') {
      out.push({ type: 'processing', session_token: ctx.token, ...facts, message: feedbackText(r.feedback) });
      return out;
    }
    const completed = s.samples.length;
    out.push({
      type: 'enrollment_progress',
      session_token: ctx.token,
      completed_samples: completed,
      target_samples: ctx.targetSamples,
      progress: progress ?? Math.min(1, completed / ctx.targetSamples),
      quality_score: null,
      face_detected: !NO_FACE.has(r.feedback),
      liveness_data: { blinks_detected: null, motion_score: null, liveness_passed: null },
      obstacles: r.feedback === 'occluded' ? ['occlusion'] : [],
      message: feedbackText(r.feedback),
      ...facts,
    });
    return out;
  }
  const scores = { ...d.scores };
  if (s.kind === 'authentication') {
    out.push({
      type: 'authentication_result',
      session_token: ctx.token,
      session_id: s.id,
      authenticated: d.outcome === 'succeeded',
      user_id: d.externalUserId,
      external_user_id: d.externalUserId,
      confidence: d.similarity,
      liveness_passed: livenessPassed(s),
      processing_time_ms: Math.round(ctx.processingMs),
      // Templates are kept per user, not per enrollment session: which enrollment matched is not recorded.
      matched_enrollment_id: null,
      reason: d.reason,
      scores,
    });
    return out;
  }
  if (d.outcome === 'succeeded') {
    out.push({
      type: 'enrollment_complete',
      session_token: ctx.token,
      session_id: s.id,
      // An enrollment is its session: the session id names it.
      enrollment_id: s.id,
      user_id: d.externalUserId,
      external_user_id: d.externalUserId,
      completed_samples: ctx.targetSamples,
      liveness_verified: livenessPassed(s),
      quality_score: scores['quality'] ?? null,
      scores,
      message: 'Enrollment completed successfully',
    });
    return out;
  }
  const reason = d.reason ?? 'liveness_failed';
  out.push({ type: 'error', error_code: reason, message: REASON_TEXT[reason] ?? 'Enrollment failed', details: { status: s.status, reason, scores } });
  return out;
}
