// What the console watches live: the sessions this node has seen (created,
// updated per frame, decided) and job runs, as a bounded in-memory list plus
// an event stream (SSE at /api/admin/events). It is a SessionObserver; it
// never fails a session. Finished sessions stay listed for `keepFinishedMs`.
// Several nodes: each lists its own sessions (the audit log has them all).
import type { SessionObserver } from '../sessions/SessionService.ts';
import type { SessionKind, SessionRecord, SessionStatus } from '../../common/session.ts';
import { isTerminal } from '../../common/session.ts';
import { sessionView as restSessionView } from '../api/routes/sessions.ts';

export interface SessionView {
  readonly session_id: string;
  readonly client_id: string;
  readonly kind: SessionKind;
  readonly status: SessionStatus;
  readonly external_user_id: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly expires_at: string;
  readonly frames_processed: number;
  readonly feedback: string | null;
  readonly decision: {
    readonly outcome: 'succeeded' | 'failed';
    readonly reason: string | null;
    readonly external_user_id: string | null;
    readonly similarity: number | null;
    /** Every per-signal score the engine decided on. */
    readonly scores: Readonly<Record<string, number>>;
    /** Per-stage milliseconds of the deciding frame. */
    readonly timings_ms: Readonly<Record<string, number>>;
    readonly decided_at: string;
    readonly duration_ms: number;
  } | null;
}

export type FeedEvent =
  | { readonly type: 'session.created' | 'session.updated' | 'session.finished'; readonly session: SessionView }
  | { readonly type: 'job.run'; readonly job: Readonly<Record<string, unknown>> };

/** The REST API's session view (one wire shape) plus what the console needs: owner, times, duration. */
export function sessionView(s: SessionRecord): SessionView {
  const v = restSessionView(s, 0);
  return {
    session_id: v.session_id,
    client_id: s.clientId,
    kind: v.kind,
    status: v.status,
    external_user_id: v.external_user_id,
    created_at: new Date(s.createdAt).toISOString(),
    updated_at: new Date().toISOString(),
    expires_at: v.expires_at,
    frames_processed: v.frames_processed,
    feedback: v.feedback,
    decision: v.decision && s.decision ? { ...v.decision, duration_ms: s.decision.decidedAt - s.createdAt } : null,
  };
}

export class SessionFeed implements SessionObserver {
  readonly #sessions = new Map<string, SessionView>();
  readonly #listeners = new Set<(e: FeedEvent) => void>();
  readonly #max: number;
  readonly #keepFinishedMs: number;

  constructor(o: { readonly max?: number; readonly keepFinishedMs?: number } = {}) {
    this.#max = o.max ?? 2000;
    this.#keepFinishedMs = o.keepFinishedMs ?? 15 * 60_000;
  }

  onCreated(s: SessionRecord): void {
    this.#put(s, 'session.created');
  }

  onFrame(s: SessionRecord): void {
    this.#put(s, 'session.updated');
  }

  onDecided(s: SessionRecord): void {
    this.#put(s, 'session.finished');
  }

  /** Newest first, optionally filtered. */
  list(f: { readonly status?: SessionStatus; readonly kind?: SessionKind; readonly clientId?: string; readonly limit: number }): SessionView[] {
    this.#expire();
    const out: SessionView[] = [];
    for (const v of [...this.#sessions.values()].reverse()) {
      if (f.status !== undefined && v.status !== f.status) continue;
      if (f.kind !== undefined && v.kind !== f.kind) continue;
      if (f.clientId !== undefined && v.client_id !== f.clientId) continue;
      out.push(v);
      if (out.length >= f.limit) break;
    }
    return out;
  }

  get(sessionId: string): SessionView | null {
    return this.#sessions.get(sessionId) ?? null;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  subscribe(fn: (e: FeedEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  publish(e: FeedEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch {
        // A broken listener (a closed stream) must not stop the others.
      }
    }
  }

  #put(s: SessionRecord, type: 'session.created' | 'session.updated' | 'session.finished'): void {
    const v = sessionView(s);
    // Re-insert so the map's order is most recently touched last.
    this.#sessions.delete(s.id);
    this.#sessions.set(s.id, v);
    while (this.#sessions.size > this.#max) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.publish({ type, session: v });
  }

  #expire(): void {
    const cutoff = Date.now() - this.#keepFinishedMs;
    for (const [id, v] of this.#sessions) {
      if (isTerminal(v.status) && Date.parse(v.updated_at) < cutoff) this.#sessions.delete(id);
    }
  }
}
