// The shape of a session as kept in session state (memory or Redis). It is
// plain JSON so it can cross process boundaries; embeddings collected during
// an enrollment are kept as number arrays only for the session's short TTL.

export type SessionKind = 'enrollment' | 'authentication';
export type SessionStatus = 'created' | 'capturing' | 'succeeded' | 'failed' | 'expired' | 'cancelled';
export const TERMINAL_STATUSES: readonly SessionStatus[] = ['succeeded', 'failed', 'expired', 'cancelled'];

export const DECISION_REASONS = [
  'no_face',
  'multiple_faces',
  'face_too_small',
  'poor_quality',
  'liveness_failed',
  'occluded',
  'challenge_failed',
  'challenge_timeout',
  'spoof_suspected',
  'identity_changed',
  'no_match',
  'locked_out',
  'expired',
  'cancelled',
  'too_many_frames',
  // The node that held the session's liveness engine stopped (several nodes on
  // Redis): the session cannot go on elsewhere; the client starts a new one.
  'node_lost',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

/** Reasons that are the service's fault, not the user's: they never count toward a lockout. */
export const SERVICE_FAULT_REASONS: readonly DecisionReason[] = ['node_lost'];

export interface SessionDecision {
  readonly outcome: 'succeeded' | 'failed';
  readonly reason: DecisionReason | null;
  /** Authentication: the matched external user id (null when none). Enrollment: the enrolled user. */
  readonly externalUserId: string | null;
  readonly similarity: number | null;
  readonly scores: Readonly<Record<string, number>>;
  /** Per-stage milliseconds of the deciding frame (decode excluded). */
  readonly timings: Readonly<Record<string, number>>;
  readonly decidedAt: number;
}

export interface SessionRecord {
  readonly id: string;
  readonly token: string;
  readonly clientId: string;
  /**
   * The API key whose token created the session (its frame uploads count
   * against that key's rate limit); null when no key did (demo route,
   * in-process callers). Absent in records written by an older node.
   */
  readonly keyId?: string | null;
  readonly kind: SessionKind;
  /** Enrollment: the user being enrolled. Authentication: given for 1:1 verification, null for 1:N. */
  readonly externalUserId: string | null;
  readonly status: SessionStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly framesProcessed: number;
  /** Accepted enrollment samples (L2-normalised embeddings). */
  readonly samples: readonly (readonly number[])[];
  /** Last frame's gating feedback, for status polling. */
  readonly lastFeedback: string | null;
  readonly decision: SessionDecision | null;
  /** Hashed client IP (audit), never the raw address. */
  readonly ipHash: string | null;
  /** Optimistic-concurrency version, bumped by every write. */
  readonly version: number;
}
