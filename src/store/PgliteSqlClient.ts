// SqlClient over the embedded PGlite (PostgreSQL compiled to WASM, in
// process). It runs the same SQL as PgSqlClient, so the embedded default and a
// PostgreSQL deployment share one schema and one set of migrations. PGlite
// has a single connection: transactions are serialised by PGlite itself.
// A directory has one owner process at a time (DataDirLock).
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { FacegateError } from '../../common/errors.ts';
import { DataDirLock, type DataDirLockOptions } from './DataDirLock.ts';
import { mapSqlError, type SqlClient, type SqlExecutor, type SqlParam, type SqlRow } from './SqlClient.ts';

export class PgliteSqlClient implements SqlClient {
  readonly engine = 'pglite' as const;
  readonly #db: PGlite;
  readonly #lock: DataDirLock | null;
  #closed = false;

  private constructor(db: PGlite, lock: DataDirLock | null) {
    this.#db = db;
    this.#lock = lock;
  }

  /**
   * Opens (creating if needed) a database in dataDir; `memory://` keeps it in
   * memory. Throws DataDirLockedError while another process has it open.
   */
  static async open(dataDir: string, lockOptions: DataDirLockOptions = {}): Promise<PgliteSqlClient> {
    if (dataDir.startsWith('memory://')) return new PgliteSqlClient(await PGlite.create(dataDir), null);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const lock = await DataDirLock.acquire(dataDir, lockOptions);
    try {
      return new PgliteSqlClient(await PGlite.create(dataDir), lock);
    } catch (e) {
      await lock.release();
      throw openError(e, dataDir);
    }
  }

  async query<R extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<R[]> {
    if (this.#closed) throw mapSqlError(new Error('PGlite is closed'));
    try {
      const r = await this.#db.query<R>(sql, params as unknown[]);
      return r.rows;
    } catch (e) {
      throw mapSqlError(e);
    }
  }

  async exec(sql: string): Promise<void> {
    if (this.#closed) throw mapSqlError(new Error('PGlite is closed'));
    try {
      await this.#db.exec(sql);
    } catch (e) {
      throw mapSqlError(e);
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.#closed) throw mapSqlError(new Error('PGlite is closed'));
    return this.#db.transaction(async (t) =>
      fn({
        query: async <R extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []) => {
          try {
            return (await t.query<R>(sql, params as unknown[])).rows;
          } catch (e) {
            throw mapSqlError(e);
          }
        },
      }),
    );
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#db.close();
    } finally {
      await this.#lock?.release();
    }
  }
}

/** Emscripten's errno for "no space left on device" (PGlite's file system layer throws ErrnoError with it). */
const EMSCRIPTEN_ENOSPC = 51;

/**
 * PGlite reports a failed start-up as an untyped ErrnoError (a WASM errno,
 * no message): a full disk becomes service_unavailable/storage_full saying
 * where and how much a new data dir needs; another errno says which.
 */
function openError(e: unknown, dataDir: string): unknown {
  const errno = typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ErrnoError' ? (e as { errno?: unknown }).errno : undefined;
  if (errno === undefined) return e;
  if (errno === EMSCRIPTEN_ENOSPC) {
    return new FacegateError('service_unavailable', `the embedded store could not be created in ${dataDir}: no space left on the device (a new data dir needs about 40 MiB)`, { reason: 'storage_full', dataDir }, { cause: e });
  }
  return new FacegateError('service_unavailable', `the embedded store in ${dataDir} could not be opened (PGlite file system errno ${String(errno)})`, { reason: 'store_open_failed', dataDir, errno }, { cause: e });
}
