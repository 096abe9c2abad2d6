// Failed-attempt counts per key in the store's lockouts table, for nodes
// without Redis: a lockout outlives a restart. Semantics of
// rate-limiter-flexible's penalty(): the first failure opens a window of
// windowS seconds, later ones within it add to the count without moving its
// end, a failure after it starts a new window.
import type { SqlClient } from '../store/SqlClient.ts';

export class SqlFailureCounter {
  readonly #db: SqlClient;
  readonly #windowS: number;

  constructor(db: SqlClient, windowS: number) {
    this.#db = db;
    this.#windowS = windowS;
  }

  /** Failures in the key's current window (0 when none or expired). */
  async count(key: string): Promise<number> {
    const rows = await this.#db.query('SELECT failures FROM lockouts WHERE key = $1 AND expires_at > now()', [key]);
    return rows[0] ? Number(rows[0].failures) : 0;
  }

  async add(key: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO lockouts(key, failures, expires_at) VALUES ($1, 1, now() + make_interval(secs => $2))
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN lockouts.expires_at > now() THEN lockouts.failures + 1 ELSE 1 END,
         expires_at = CASE WHEN lockouts.expires_at > now() THEN lockouts.expires_at ELSE now() + make_interval(secs => $2) END`,
      [key, this.#windowS],
    );
  }

  async clear(key: string): Promise<void> {
    await this.#db.query('DELETE FROM lockouts WHERE key = $1', [key]);
  }
}
