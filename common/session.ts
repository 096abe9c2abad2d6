// The service's session vocabulary, in one place: what a session is for
// (kind), where it stands (status), why it ended (reason), what decided it
// (the decision) and the record kept in session state. Storage, sessions,
// cluster, bridge and the API all import it from here; the liveness engine
// has its own mode and reason list, mapped onto these in src/bridge.
// Plain JSON throughout, so a record crosses process boundaries.

/** What a service session is for; the engine's mode (enrollment, verification, identification) follows from it. */
export type SessionKind = 'enrollment' | 'authentication';

export type TerminalStatus = 'succeeded' | 'failed' | 'expired' | 'cancelled';
export type SessionStatus = 'created' | 'capturing' | TerminalStatus;
export const TERMINAL_STATUSES: readonly TerminalStatus[] = ['succeeded', 'failed', 'expired', 'cancelled'];

export function isTerminal(status: SessionStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly SessionStatus[]).includes(status);
}

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
  'injection_suspected',
  'identity_changed',
  'no_match',
  'locked_out',
  'expired',
  'cancelled',
  // The no-gesture path (no flash, no gesture: the user cannot do them and the client's
  // policy allows it): every passive check held, but liveness was not shown; the client steps up.
  'step_up_required',
  'too_many_frames',
  // The node that held the session's liveness engine stopped (several nodes on
  // Redis): the session cannot go on elsewhere; the client starts a new one.
  'node_lost',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

/** Reasons that are the service's fault, not the user's: they never count toward a lockout. */
export const SERVICE_FAULT_REASONS: readonly DecisionReason[] = ['node_lost'];

/**
 * The one verdict shape: what an engine (or the service itself, on expiry,
 * cancel or the frame cap) decided about a session, before the service
 * stamps and stores it as the session's SessionDecision.
 */
export interface SessionVerdict {
  readonly outcome: 'succeeded' | 'failed';
  /** Null exactly when the outcome is succeeded. */
  readonly reason: DecisionReason | null;
  /** Authentication: the matched external user id (null when none). Enrollment: the enrolled user. */
  readonly externalUserId: string | null;
  readonly similarity: number | null;
  /** Per-signal scores (passive, blink, ...), the fused spoof score, match figures. */
  readonly scores: Readonly<Record<string, number>>;
  /** Per-stage milliseconds of the deciding frame (decode excluded). */
  readonly timings: Readonly<Record<string, number>>;
}

/** An account's tokens issued by a face login (a succeeded authentication of an end-user account). */
export interface FaceLoginTokens {
  readonly access: string;
  readonly refresh: string;
  /** Access token lifetime, seconds. */
  readonly expiresIn: number;
  readonly userId: string;
}

/** What the service seals a decision with once it is made (src/accounts/faceLogin.ts). */
export interface DecisionSeal {
  /** ES256 JWT over the verdict (session, client, user, outcome, liveness), checkable against /.well-known/jwks.json. */
  readonly verdictToken?: string;
  readonly faceLogin?: FaceLoginTokens;
}

export interface SessionDecision extends SessionVerdict, DecisionSeal {
  readonly decidedAt: number;
}

/** The status a verdict leaves a session in: an expiry or a cancel has its own status, every other failure is 'failed'. */
export function statusOf(v: SessionVerdict): TerminalStatus {
  if (v.outcome === 'succeeded') return 'succeeded';
  return v.reason === 'expired' ? 'expired' : v.reason === 'cancelled' ? 'cancelled' : 'failed';
}

/** What one session runs under (src/sessions/sessionPolicy.ts): the caller's settings within the client's bounds. */
export interface SessionPolicy {
  readonly timeoutS: number;
  /** Frames before the session fails with too_many_frames. */
  readonly maxFrames: number;
  /** Similarity an authentication must reach. */
  readonly minConfidence: number;
  readonly requireLiveness: true;
  /**
   * What a user who cannot follow a flash or a gesture gets (they say so at join):
   * 'deny' (default, absent in older records): the challenges as for everyone;
   * 'step_up': the no-gesture path, whose best outcome is failed/step_up_required.
   */
  readonly noGesturePath?: 'deny' | 'step_up';
}

/** The shape of a session as kept in session state (memory or Redis). */
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
  /** Accepted enrollment samples (L2-normalised embeddings), kept only for the session's short TTL. */
  readonly samples: readonly (readonly number[])[];
  /** Last frame's gating feedback, for status polling. */
  readonly lastFeedback: string | null;
  readonly decision: SessionDecision | null;
  /** Hashed client IP (audit), never the raw address. */
  readonly ipHash: string | null;
  /** The session's policy; absent in records written by an older node (the node's settings apply). */
  readonly policy?: SessionPolicy;
  /** Epoch ms of the session's last frame or decision (absent in records written by an older node). */
  readonly updatedAt?: number;
  /** Optimistic-concurrency version, bumped by every write. */
  readonly version: number;
}
