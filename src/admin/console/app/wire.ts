// The admin API's answers as the console reads them (src/admin/README.md is
// the reference). Session views and the policy are the server's own types,
// imported type-only, so the two ends cannot drift there.
import type { Policy } from '../../adminSchemas.ts';
import type { SessionView } from '../../SessionFeed.ts';

export type { Policy, SessionView };
export type SessionStatus = SessionView['status'];
export type SessionKind = SessionView['kind'];
export const SESSION_STATUSES: readonly SessionStatus[] = ['created', 'capturing', 'succeeded', 'failed', 'expired', 'cancelled'];
export const SESSION_KINDS: readonly SessionKind[] = ['enrollment', 'authentication'];

export interface ClientSummary {
  readonly client_id: string;
  readonly name: string;
  readonly created_at: string;
  readonly active_keys: number;
  readonly users: number;
  readonly webhook_url: string | null;
}
export interface CreatedClient {
  readonly client_id: string;
  readonly name: string;
  readonly api_key: string;
  readonly key_id: string | null;
}
export type KeyStatus = 'active' | 'rotating' | 'revoked';
export interface ApiKey {
  readonly key_id: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly revokes_at: string | null;
  readonly status: KeyStatus;
}
export interface NewKey {
  readonly client_id: string;
  readonly key_id: string;
  readonly api_key: string;
  readonly old_key_id?: string;
  readonly old_key_revokes_at?: string;
}
export interface UserRow {
  readonly external_user_id: string;
  readonly created_at: string;
  readonly templates: number;
}
export interface UsersPage {
  readonly users: readonly UserRow[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}
export interface UserDetail {
  readonly external_user_id: string;
  readonly created_at: string;
  readonly templates: readonly { readonly template_id: string; readonly created_at: string; readonly bytes: number }[];
}
/** GET /sessions/:id: the live view, or one rebuilt from the audit log (then with `events`). */
export interface SessionDetail {
  readonly session_id: string;
  readonly client_id: string | null;
  readonly kind: SessionKind | null;
  readonly status: SessionStatus;
  readonly external_user_id?: string | null;
  readonly created_at?: string;
  readonly frames_processed?: number;
  readonly decision: {
    readonly outcome?: 'succeeded' | 'failed';
    readonly reason: string | null;
    readonly similarity: number | null;
    readonly scores: Readonly<Record<string, number>>;
    readonly timings_ms: Readonly<Record<string, number>>;
    readonly decided_at: string;
    readonly duration_ms: number | null;
  } | null;
  readonly events?: readonly { readonly seq: number; readonly at: string; readonly event: string }[];
}
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly client_id: string | null;
  readonly event: string;
  readonly payload: unknown;
  readonly hash: string;
}
export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly next_before_seq: number | null;
}
export type AuditVerify =
  | { readonly ok: true; readonly rows: number; readonly signedRows: number; readonly checkpointSeq?: number; readonly key_id: string | null }
  | { readonly ok: false; readonly rows: number; readonly firstBadSeq: number; readonly reason: string; readonly key_id: string | null };
export interface Delivery {
  readonly delivery_id: string;
  readonly event: string;
  readonly url: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly created_at: string;
}
export interface Analytics {
  readonly client_id: string | null;
  readonly from: string;
  readonly to: string;
  readonly per_day: readonly { readonly day: string; readonly attempts: number; readonly successes: number; readonly success_rate: number | null }[];
  readonly failure_reasons: Readonly<Record<string, number>>;
  readonly latency_ms: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
}
export interface JobRun {
  readonly id: string;
  readonly job: string;
  readonly node_id: string;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly result: unknown;
  readonly error: string | null;
}
export interface SystemInfo {
  readonly node_id: string | null;
  readonly pid: number;
  readonly uptime_s: number;
  readonly health: Readonly<Record<string, string>> | null;
  readonly store: string;
  readonly versions: { readonly facegate: string; readonly node: string; readonly schema: number };
  readonly memory: { readonly rss_bytes: number; readonly heap_used_bytes: number };
  readonly galleries: readonly { readonly client_id: string; readonly name: string; readonly size: number }[];
  readonly retention_days: number;
  readonly media?: { readonly workers?: readonly { readonly index: number; readonly pid: number | null; readonly sessions: number }[]; readonly sessions?: number; readonly workersReplaced?: number };
  readonly jobs?: { readonly enabled: boolean; readonly recent: readonly JobRun[] };
}
/** One SSE event of GET /events. */
export type FeedEvent =
  | { readonly type: 'session.created' | 'session.updated' | 'session.finished'; readonly session: SessionView }
  | { readonly type: 'job.run'; readonly job: JobRun };
/** The REST error shape. */
export interface ApiErrorBody {
  readonly error: string;
  readonly message: string;
  readonly details?: unknown;
}
