// SqlClient over a real PostgreSQL server (pg Pool). An optional schema
// isolates one deployment (or one test run) from another in the same
// database: it is created if missing and put first on every connection's
// search_path.
import pg from 'pg';
import { mapSqlError, type SqlClient, type SqlExecutor, type SqlParam, type SqlRow } from './SqlClient.ts';

export interface PgSqlClientOptions {
  readonly url: string;
  /** Schema name ([a-z_][a-z0-9_]*); default: the server's default search_path. */
  readonly schema?: string;
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export class PgSqlClient implements SqlClient {
  readonly engine = 'postgres' as const;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(options: PgSqlClientOptions): Promise<PgSqlClient> {
    if (options.schema !== undefined && !SCHEMA_RE.test(options.schema)) {
      throw new TypeError(`invalid schema name: ${options.schema}`);
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client losing its server emits 'error' on the pool; without a
    // listener that would crash the process. The next query reports the outage.
    pool.on('error', () => {});
    const client = new PgSqlClient(pool);
    if (options.schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    }
    await client.ping();
    return client;
  }

  async query<R extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<R[]> {
    try {
      const r = await this.#pool.query(sql, params as unknown[]);
      return r.rows as R[];
    } catch (e) {
      throw mapSqlError(e);
    }
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let conn: pg.PoolClient;
    try {
      conn = await this.#pool.connect();
    } catch (e) {
      throw mapSqlError(e);
    }
    // A checked-out client emits 'error' when its server connection drops
    // (the pool only listens while it is idle); unhandled, that would crash
    // the process. The failing query reports the outage instead.
    const onError = (): void => {};
    conn.on('error', onError);
    const tx: SqlExecutor = {
      query: async <R extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []) => {
        try {
          return (await conn.query(sql, params as unknown[])).rows as R[];
        } catch (e) {
          throw mapSqlError(e);
        }
      },
    };
    let broken = false;
    try {
      await tx.query('BEGIN');
      const out = await fn(tx);
      await tx.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await conn.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      conn.off('error', onError);
      conn.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
