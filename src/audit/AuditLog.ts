// Append-only, hash-chained audit log in the store's audit_log table.
// Each row's hash = SHA-256(prev_hash | seq | at | client | event | payload),
// so editing, deleting or reordering any row breaks every later link;
// verify() names the first row that does not check. Appends are serialised
// (an in-process queue plus a table lock, for several nodes on PostgreSQL).
// Payloads never hold raw IPs (only hashes), images or embeddings.
//
// A hash chain alone cannot show a cut-off tail or a chain rewritten from
// some row on (recomputing every later hash is easy). So every append also
// signs the new head (Ed25519, AuditSigner) into audit_heads, apart from the
// rows, and mirrors the latest signed head into a file outside the database
// (<dataDir>/audit-head.json). verify() checks each row against its signed
// head, and that no signed head lies beyond the last row. Old rows leave only
// through a signed checkpoint (pruneThrough), from which the chain goes on.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { SqlClient, SqlExecutor, SqlRow } from '../store/SqlClient.ts';
import type { AuditSigner, SignedPoint } from './AuditSigner.ts';
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

export type VerifyFailure =
  | 'hash_mismatch'
  | 'broken_link'
  | 'gap'
  /** Signed heads (in the table or the head file) name rows that are gone. */
  | 'truncated'
  /** The row differs from what was signed when it was appended (a rewritten chain). */
  | 'head_mismatch'
  | 'signature_invalid'
  | 'checkpoint_invalid';

export type VerifyResult =
  | {
      readonly ok: true;
      readonly rows: number;
      /** Rows whose signed head verified; rows older than signing (legacy) are chained only. */
      readonly signedRows?: number;
      /** The checkpoint the chain starts from after pruning, if any. */
      readonly checkpointSeq?: number;
    }
  | { readonly ok: false; readonly rows: number; readonly firstBadSeq: number; readonly reason: VerifyFailure };

export interface SignedHead extends SignedPoint {
  readonly keyId: string;
  readonly signature: string;
}

export interface Checkpoint extends SignedHead {
  readonly rowsPruned: number;
}

export interface AuditQuery {
  readonly limit: number;
  /** Entries with seq below this (paging backwards from the newest). */
  readonly beforeSeq?: number;
  readonly event?: string;
  readonly clientId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

export interface AuditLogOptions {
  readonly onError?: (e: unknown) => void;
  /** Signs the head on every append; without one the chain is hash-linked only. */
  readonly signer?: AuditSigner;
  /** Mirror of the latest signed head outside the database. */
  readonly headFile?: string;
}

export function chainHash(e: Omit<AuditEntry, 'hash'>): string {
  return crypto
    .createHash('sha256')
    .update([e.prevHash, String(e.seq), e.at, e.clientId ?? '', e.event, e.payload].join('\n'))
    .digest('hex');
}

export function entryFromRow(r: SqlRow): AuditEntry {
  return {
    seq: Number(r.seq),
    at: String(r.at),
    clientId: r.client_id == null ? null : String(r.client_id),
    event: String(r.event),
    payload: String(r.payload),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

function headFromRow(r: SqlRow): SignedHead {
  return { seq: Number(r.seq), hash: String(r.hash), at: String(r.at), keyId: String(r.key_id), signature: String(r.signature) };
}

const COLUMNS = 'seq, at, client_id, event, payload, prev_hash, hash';

export function readHeadFile(file: string): SignedHead | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SignedHead>;
    if (typeof h.seq !== 'number' || typeof h.hash !== 'string' || typeof h.at !== 'string' || typeof h.signature !== 'string') return null;
    return { seq: h.seq, hash: h.hash, at: h.at, keyId: String(h.keyId ?? ''), signature: h.signature };
  } catch {
    return null;
  }
}

export class AuditLog implements SessionObserver {
  readonly #db: SqlClient;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #onError: (e: unknown) => void;
  readonly #signer: AuditSigner | null;
  readonly #headFile: string | null;

  constructor(db: SqlClient, onError: ((e: unknown) => void) | AuditLogOptions = {}) {
    const o: AuditLogOptions = typeof onError === 'function' ? { onError } : onError;
    this.#db = db;
    this.#onError = o.onError ?? (() => {});
    this.#signer = o.signer ?? null;
    this.#headFile = o.headFile ?? null;
  }

  get signer(): AuditSigner | null {
    return this.#signer;
  }

  /** Appends one event; resolves with the stored entry. */
  append(event: string, clientId: string | null, payload: Record<string, unknown>): Promise<AuditEntry> {
    const run = this.#tail.then(() => this.#append(event, clientId, payload));
    this.#tail = run.catch(() => {});
    return run;
  }

  async #append(event: string, clientId: string | null, payload: Record<string, unknown>): Promise<AuditEntry> {
    const { entry, head } = await this.#db.transaction(async (tx) => {
      await tx.query('LOCK TABLE audit_log IN EXCLUSIVE MODE');
      const last = await tx.query<{ seq: unknown; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
      // After pruning every row, the chain goes on from the newest checkpoint.
      const base0 = last[0] ? null : (await tx.query('SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1'))[0];
      const prevHash = last[0]?.hash ?? (base0 ? String(base0.hash) : GENESIS);
      const seq = last[0] ? Number(last[0].seq) + 1 : base0 ? Number(base0.seq) + 1 : 1;
      const base = { seq, at: new Date().toISOString(), clientId, event, payload: JSON.stringify(payload), prevHash };
      const entry: AuditEntry = { ...base, hash: chainHash(base) };
      await tx.query(`INSERT INTO audit_log(${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        entry.seq,
        entry.at,
        entry.clientId,
        entry.event,
        entry.payload,
        entry.prevHash,
        entry.hash,
      ]);
      const head = this.#signer ? await this.#signHead(tx, this.#signer, entry) : null;
      return { entry, head };
    });
    if (head && this.#headFile) this.#writeHeadFile(head);
    return entry;
  }

  async #signHead(tx: SqlExecutor, signer: AuditSigner, e: AuditEntry): Promise<SignedHead> {
    const point = { seq: e.seq, hash: e.hash, at: e.at };
    const head: SignedHead = { ...point, keyId: signer.keyId, signature: signer.sign('head', point) };
    await tx.query('INSERT INTO audit_heads(seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5)', [
      head.seq,
      head.hash,
      head.at,
      head.keyId,
      head.signature,
    ]);
    return head;
  }

  #writeHeadFile(head: SignedHead): void {
    const file = this.#headFile!;
    try {
      // Another process (a second node on this data dir) may have written a newer head.
      const current = readHeadFile(file);
      if (current && current.seq > head.seq) return;
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(head), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (e) {
      this.#onError(e);
    }
  }

  /** The newest checkpoint (pruned rows end there), or null. */
  async checkpoint(): Promise<Checkpoint | null> {
    const rows = await this.#db.query('SELECT seq, hash, at, rows_pruned, key_id, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
    const r = rows[0];
    return r ? { ...headFromRow(r), rowsPruned: Number(r.rows_pruned) } : null;
  }

  /**
   * Walks the chain in seq order, in pages, from the newest checkpoint (or
   * genesis); reports the first row that does not verify: a broken link or
   * hash, a missing row, a row unlike its signed head, or signed heads past
   * the last row (a cut-off tail).
   */
  async verify(pageSize = 1000): Promise<VerifyResult> {
    const cp = await this.checkpoint();
    if (cp && !(this.#signer?.verify('checkpoint', cp, cp.signature) ?? false)) {
      return { ok: false, rows: 0, firstBadSeq: cp.seq, reason: 'checkpoint_invalid' };
    }
    let prevHash = cp?.hash ?? GENESIS;
    let expectSeq = cp ? cp.seq + 1 : 1;
    let rows = 0;
    let signedRows = 0;
    let firstUnsigned: number | null = null;
    for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
      const page = (await this.#db.query(`SELECT ${COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, [expectSeq, pageSize])).map(entryFromRow);
      if (page.length === 0) break;
      const heads = new Map(
        (await this.#db.query('SELECT seq, hash, at, key_id, signature FROM audit_heads WHERE seq >= $1 AND seq <= $2', [page[0]!.seq, page[page.length - 1]!.seq]))
          .map(headFromRow)
          .map((h) => [h.seq, h]),
      );
      for (const e of page) {
        if (e.seq !== expectSeq) return { ok: false, rows, firstBadSeq: expectSeq, reason: 'gap' };
        if (e.prevHash !== prevHash) return { ok: false, rows, firstBadSeq: e.seq, reason: 'broken_link' };
        if (chainHash(e) !== e.hash) return { ok: false, rows, firstBadSeq: e.seq, reason: 'hash_mismatch' };
        const head = heads.get(e.seq);
        if (head) {
          if (head.hash !== e.hash || head.at !== e.at) return { ok: false, rows, firstBadSeq: e.seq, reason: 'head_mismatch' };
          if (!this.#signer?.verify('head', head, head.signature)) return { ok: false, rows, firstBadSeq: e.seq, reason: 'signature_invalid' };
          signedRows++;
        } else {
          firstUnsigned ??= e.seq;
        }
        prevHash = e.hash;
        expectSeq++;
        rows++;
      }
    }
    const lastSeq = expectSeq - 1;
    const newest = (await this.#db.query('SELECT seq, hash, at, key_id, signature FROM audit_heads ORDER BY seq DESC LIMIT 1')).map(headFromRow)[0];
    const fileHead = this.#headFile ? readHeadFile(this.#headFile) : null;
    for (const h of [newest, fileHead]) {
      if (!h || h.seq <= lastSeq) continue;
      // Only a genuine head proves rows are missing; a forged one is itself the finding.
      if (!this.#signer?.verify('head', h, h.signature)) return { ok: false, rows, firstBadSeq: h.seq, reason: 'signature_invalid' };
      return { ok: false, rows, firstBadSeq: lastSeq + 1, reason: 'truncated' };
    }
    // The head file names a row that is still there: it must be that very row.
    if (fileHead && fileHead.seq > (cp?.seq ?? 0)) {
      const r = (await this.#db.query('SELECT hash FROM audit_log WHERE seq = $1', [fileHead.seq]))[0];
      if (r && String(r.hash) !== fileHead.hash && this.#signer?.verify('head', fileHead, fileHead.signature)) {
        // Rewritten together with its heads (removed: forged ones fail above):
        // the first row left without a signed head is where it starts.
        return { ok: false, rows, firstBadSeq: firstUnsigned ?? fileHead.seq, reason: 'head_mismatch' };
      }
    }
    return { ok: true, rows, ...(this.#signer ? { signedRows } : {}), ...(cp ? { checkpointSeq: cp.seq } : {}) };
  }

  /**
   * Prunes every row up to and including seq behind a signed checkpoint
   * holding that row's hash, so the remaining chain still verifies from it.
   * Returns the checkpoint, or null when there is no such row.
   */
  async pruneThrough(seq: number): Promise<Checkpoint | null> {
    const signer = this.#signer;
    if (!signer) throw new TypeError('pruning the audit log needs a signing key');
    const run = this.#tail.then(() =>
      this.#db.transaction(async (tx) => {
        await tx.query('LOCK TABLE audit_log IN EXCLUSIVE MODE');
        const row = (await tx.query('SELECT seq, hash FROM audit_log WHERE seq = $1', [seq]))[0];
        if (!row) return null;
        const pruned = await tx.query('DELETE FROM audit_log WHERE seq <= $1 RETURNING seq', [seq]);
        await tx.query('DELETE FROM audit_heads WHERE seq <= $1', [seq]);
        const point = { seq, hash: String(row.hash), at: new Date().toISOString() };
        const cp: Checkpoint = { ...point, rowsPruned: pruned.length, keyId: signer.keyId, signature: signer.sign('checkpoint', point) };
        await tx.query('INSERT INTO audit_checkpoints(seq, hash, at, rows_pruned, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)', [
          cp.seq,
          cp.hash,
          cp.at,
          cp.rowsPruned,
          cp.keyId,
          cp.signature,
        ]);
        return cp;
      }),
    );
    this.#tail = run.catch(() => {});
    return run;
  }

  /** One page of entries, newest first, with optional filters. */
  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: (string | number | Date)[] = [];
    const add = (sql: string, v: string | number | Date): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.beforeSeq !== undefined) add('seq < ?', q.beforeSeq);
    if (q.event !== undefined) add('event = ?', q.event);
    if (q.clientId !== undefined) add('client_id = ?', q.clientId);
    if (q.from !== undefined) add('at >= ?', q.from.toISOString());
    if (q.to !== undefined) add('at < ?', q.to.toISOString());
    params.push(q.limit);
    const sql = `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`;
    return (await this.#db.query(sql, params)).map(entryFromRow);
  }

  /** Every entry from the newest checkpoint on, in seq order, in pages (export). */
  async *entries(pageSize = 1000): AsyncGenerator<AuditEntry> {
    let after = 0;
    for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
      const page = (await this.#db.query(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, pageSize])).map(entryFromRow);
      if (page.length === 0) return;
      yield* page;
      after = page[page.length - 1]!.seq;
    }
  }

  async list(clientId: string, limit: number): Promise<AuditEntry[]> {
    return this.query({ clientId, limit });
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
