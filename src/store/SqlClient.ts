// The one seam between facegate's store and a SQL engine. PostgreSQL (pg) and
// the embedded PGlite both speak it with the same SQL text and $n parameters,
// so migrations and queries are written once. Engine failures that mean "the
// database is not there" become FacegateError('service_unavailable') here, so
// the REST layer answers 503 instead of 500.
import { FacegateError } from '../../common/errors.ts';

export type SqlParam = string | number | boolean | null | Uint8Array | Date;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<R[]>;
}

export interface SqlClient extends SqlExecutor {
  readonly engine: 'postgres' | 'pglite';
  /** Runs several statements separated by `;` (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn inside BEGIN/COMMIT; rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Cheap round trip for /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// SQLSTATE classes 08 (connection exception), 57P (operator intervention:
// admin shutdown, crash shutdown, cannot connect now) and 53 (resources).
const UNAVAILABLE_SQLSTATE = /^(08|57P|53)/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** Maps driver errors that mean "database unreachable" to a typed 503; other errors pass through. */
export function mapSqlError(e: unknown): unknown {
  if (e instanceof FacegateError) return e;
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = typeof err?.message === 'string' ? err.message : String(e);
  if (
    UNAVAILABLE_SQLSTATE.test(code) ||
    UNAVAILABLE_ERRNO.has(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection (is )?closed|PGlite is closed|Cannot use a pool after calling end/i.test(
      message,
    )
  ) {
    return new FacegateError('service_unavailable', 'database unavailable', { component: 'database' }, { cause: e });
  }
  return e;
}

/** Normalises a bytea value from either driver (Buffer from pg, Uint8Array from PGlite). */
export function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError('expected a bytea value');
}

/** Normalises a timestamptz (Date from both drivers, string when cast) to an ISO string. */
export function toIso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' || typeof v === 'number') return new Date(v).toISOString();
  throw new TypeError('expected a timestamp value');
}
