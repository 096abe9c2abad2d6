// Session state seam: short-lived session records with TTL and
// compare-and-set writes, plus a small pub/sub channel for cross-node events
// (gallery changes). In memory for a single node; Redis when REDIS_URL is set.
import type { SessionRecord } from '../../common/session.ts';

export interface StateEvent {
  readonly type: 'gallery.add' | 'gallery.remove' | 'client.deleted';
  readonly clientId: string;
  readonly templateIds: readonly string[];
  /** Node that published it (receivers skip their own events). */
  readonly origin: string;
}

export interface StateStore {
  readonly kind: 'memory' | 'redis';
  getSession(token: string): Promise<SessionRecord | null>;
  /** Creates a session; false if the token exists already. */
  createSession(rec: SessionRecord, ttlMs: number): Promise<boolean>;
  /** Writes rec if the stored version is rec.version - 1; false otherwise (a concurrent write won). */
  updateSession(rec: SessionRecord, ttlMs: number): Promise<boolean>;
  deleteSession(token: string): Promise<boolean>;
  publish(event: StateEvent): Promise<void>;
  subscribe(handler: (event: StateEvent) => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
