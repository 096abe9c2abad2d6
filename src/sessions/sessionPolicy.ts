// Per-session policy: the documented per-session settings a caller asks for
// (timeout_seconds, max_frames, min_confidence), bounded by the node's own
// settings, which act as the client's policy: a session may only be made
// stricter (shorter, fewer frames, a higher match threshold), never looser.
// require_liveness: false is refused (no client policy allows it yet).
import { FacegateError } from '../../common/errors.ts';
import type { SessionPolicy } from '../../common/session.ts';

export interface RequestedPolicy {
  readonly timeout_seconds?: number | undefined;
  readonly max_frames?: number | undefined;
  readonly min_confidence?: number | undefined;
  readonly require_liveness?: boolean | undefined;
  readonly no_gesture_path?: 'deny' | 'step_up' | undefined;
}

export interface PolicyBounds {
  readonly sessionTtlS: number;
  readonly maxFrames: number;
  readonly matchThreshold: number;
}

/** The policy a session runs under: each knob the stricter of the request and the bounds. */
export function sessionPolicy(requested: RequestedPolicy, bounds: PolicyBounds): SessionPolicy {
  if (requested.require_liveness === false) {
    throw new FacegateError('forbidden', "the client's policy requires liveness", { field: 'require_liveness', reason: 'liveness_required' });
  }
  return {
    timeoutS: Math.min(requested.timeout_seconds ?? bounds.sessionTtlS, bounds.sessionTtlS),
    maxFrames: Math.min(requested.max_frames ?? bounds.maxFrames, bounds.maxFrames),
    minConfidence: Math.max(requested.min_confidence ?? bounds.matchThreshold, bounds.matchThreshold),
    requireLiveness: true,
    // Not a loosening: the no-gesture path never succeeds, it hands the user to the client's step-up.
    ...(requested.no_gesture_path === 'step_up' ? { noGesturePath: 'step_up' as const } : {}),
  };
}
