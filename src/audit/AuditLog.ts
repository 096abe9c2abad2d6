// Append-only, hash-chained audit log in the store's audit_log table.
// Each row's hash = SHA-256(prev_hash | seq | at | client | event | payload),
// so editing, deleting or reordering any row breaks every later link;
// verify() names the first row that does not check. Appends are serialised
// (an in-process queue plus a table lock, for several nodes on PostgreSQL).
// Payloads never hold raw IPs (only hashes), images or embeddings.
import crypto from 'node:crypto';
import type { SqlClient } from '../store/SqlClient.ts';
import type { SessionObserver } from '../sessions/SessionService.ts';
import type { SessionRecord } from '../../common/session.ts';

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly clientId: string | null;
  readonly event: string;
  readonly payload: string;
  readonly prevHash: string;
  readonly hash: string;
}

export type VerifyResult =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly rows: number; readonly firstBadSeq: number; readonly reason: 'hash_mismatch' | 'broken_link' | 'gap' };

export function chainHash(e: Omit<AuditEntry, 'hash'>): string {
  return crypto
    .createHash('sha256')
    .update([e.prevHash, String(e.seq), e.at, e.clientId ?? '', e.event, e.payload].join('\n'))
    .digest('hex');
}

export class AuditLog implements SessionObserver {
  readonly #db: SqlClient;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #onError: (e: unknown) => void;

  constructor(db: SqlClient, onError: (e: unknown) => void = () => {}) {
    this.#db = db;
    this.#onError = onError;
  }

  /** Appends one event; resolves with the stored entry. */
  append(event: string, clientId: string | null, payload: Record<string, unknown>): Promise<AuditEntry> {
    const run = this.#tail.then(() => this.#append(event, clientId, payload));
    this.#tail = run.catch(() => {});
    return run;
  }

  async #append(event: string, clientId: string | null, payload: Record<string, unknown>): Promise<AuditEntry> {
    return this.#db.transaction(async (tx) => {
      await tx.query('LOCK TABLE audit_log IN EXCLUSIVE MODE');
      const last = await tx.query<{ seq: unknown; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
      const prevHash = last[0]?.hash ?? GENESIS;
      const seq = last[0] ? Number(last[0].seq) + 1 : 1;
      const base = { seq, at: new Date().toISOString(), clientId, event, payload: JSON.stringify(payload), prevHash };
      const entry: AuditEntry = { ...base, hash: chainHash(base) };
      await tx.query(
        'INSERT INTO audit_log(seq, at, client_id, event, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [entry.seq, entry.at, entry.clientId, entry.event, entry.payload, entry.prevHash, entry.hash],
      );
      return entry;
    });
  }

  /** Walks the chain in seq order, in pages; reports the first row that does not verify. */
  async verify(pageSize = 1000): Promise<VerifyResult> {
    let prevHash = GENESIS;
    let expectSeq = 1;
    let rows = 0;
    for (;;) {
      const page = await this.#db.query(
        'SELECT seq, at, client_id, event, payload, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2',
        [expectSeq, pageSize],
      );
      if (page.length === 0) return { ok: true, rows };
      for (const r of page) {
        const e: AuditEntry = {
          seq: Number(r.seq),
          at: String(r.at),
          clientId: r.client_id == null ? null : String(r.client_id),
          event: String(r.event),
          payload: String(r.payload),
          prevHash: String(r.prev_hash),
          hash: String(r.hash),
        };
        if (e.seq !== expectSeq) return { ok: false, rows, firstBadSeq: expectSeq, reason: 'gap' };
        if (e.prevHash !== prevHash) return { ok: false, rows, firstBadSeq: e.seq, reason: 'broken_link' };
        if (chainHash(e) !== e.hash) return { ok: false, rows, firstBadSeq: e.seq, reason: 'hash_mismatch' };
        prevHash = e.hash;
        expectSeq++;
        rows++;
      }
    }
  }

  async list(clientId: string, limit: number): Promise<AuditEntry[]> {
    const rows = await this.#db.query(
      'SELECT seq, at, client_id, event, payload, prev_hash, hash FROM audit_log WHERE client_id = $1 ORDER BY seq DESC LIMIT $2',
      [clientId, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: String(r.at),
      clientId: String(r.client_id),
      event: String(r.event),
      payload: String(r.payload),
      prevHash: String(r.prev_hash),
      hash: String(r.hash),
    }));
  }

  onCreated(s: SessionRecord): void {
    this.append('session.created', s.clientId, { sessionId: s.id, kind: s.kind, externalUserId: s.externalUserId, ipHash: s.ipHash }).catch(this.#onError);
  }

  onDecided(s: SessionRecord): void {
    const d = s.decision;
    this.append(`session.${s.status}`, s.clientId, {
      sessionId: s.id,
      kind: s.kind,
      externalUserId: d?.externalUserId ?? s.externalUserId,
      reason: d?.reason ?? null,
      scores: d?.scores ?? {},
      timingsMs: d?.timings ?? {},
      similarity: d?.similarity ?? null,
      framesProcessed: s.framesProcessed,
      durationMs: (d?.decidedAt ?? Date.now()) - s.createdAt,
      ipHash: s.ipHash,
    }).catch(this.#onError);
  }

  /** Waits for queued appends (shutdown, tests). */
  async flush(): Promise<void> {
    await this.#tail;
  }
}
