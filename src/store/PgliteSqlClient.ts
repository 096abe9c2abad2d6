// SqlClient over the embedded PGlite (PostgreSQL compiled to WASM, in
// process). It runs the same SQL as PgSqlClient, so the embedded default and a
// PostgreSQL deployment share one schema and one set of migrations. PGlite
// has a single connection: transactions are serialised by PGlite itself.
// A directory has one owner process at a time (DataDirLock).
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
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
      throw e;
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
