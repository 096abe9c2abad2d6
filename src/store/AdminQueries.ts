// The operator's queries over the store's tables (admin API, jobs): listings
// across clients, key rotation, per-client policy, webhook redelivery,
// analytics per day and retention. Kept apart from SqlStore, whose methods are
// the tenant-scoped seam every request path uses.
import type { SqlClient, SqlRow } from './SqlClient.ts';
import { toIso } from './SqlClient.ts';

export interface ApiKeyListing {
  readonly id: string;
  readonly createdAt: string;
  /** When the key stopped working; null while it works. */
  readonly revokedAt: string | null;
  /** A scheduled revocation (rotation overlap) still ahead. */
  readonly revokesAt: string | null;
}

export interface ClientSummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly activeKeys: number;
  readonly users: number;
  readonly webhookUrl: string | null;
}

export interface DayStats {
  readonly day: string;
  readonly attempts: number;
  readonly successes: number;
}

export interface Analytics {
  readonly perDay: readonly DayStats[];
  readonly failureReasons: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
}

const num = (v: unknown): number | null => (v == null ? null : Number(v));

export class AdminQueries {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async clientSummaries(): Promise<ClientSummary[]> {
    const rows = await this.#db.query(
      `SELECT c.id, c.name, c.created_at, c.webhook_url,
              (SELECT count(*) FROM api_keys k WHERE k.client_id = c.id AND (k.revoked_at IS NULL OR k.revoked_at > now())) AS keys,
              (SELECT count(*) FROM users u WHERE u.client_id = c.id) AS users
         FROM clients c ORDER BY c.created_at, c.id`,
    );
    return rows.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      createdAt: toIso(r.created_at),
      activeKeys: Number(r.keys),
      users: Number(r.users),
      webhookUrl: r.webhook_url == null ? null : String(r.webhook_url),
    }));
  }

  async renameClient(id: string, name: string): Promise<boolean> {
    return (await this.#db.query('UPDATE clients SET name = $2 WHERE id = $1 RETURNING id', [id, name])).length > 0;
  }

  async listApiKeys(clientId: string): Promise<ApiKeyListing[]> {
    const rows = await this.#db.query(
      `SELECT id, created_at,
              CASE WHEN revoked_at <= now() THEN revoked_at END AS revoked_at,
              CASE WHEN revoked_at > now() THEN revoked_at END AS revokes_at
         FROM api_keys WHERE client_id = $1 ORDER BY created_at, id`,
      [clientId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      createdAt: toIso(r.created_at),
      revokedAt: r.revoked_at == null ? null : toIso(r.revoked_at),
      revokesAt: r.revokes_at == null ? null : toIso(r.revokes_at),
    }));
  }

  /** Schedules a working key's revocation (rotation); returns the time, or null when there is no such working key. */
  async scheduleRevocation(clientId: string, keyId: string, afterS: number): Promise<string | null> {
    const rows = await this.#db.query(
      `UPDATE api_keys SET revoked_at = now() + ($3::double precision * interval '1 second')
        WHERE client_id = $1 AND id = $2 AND (revoked_at IS NULL OR revoked_at > now()) RETURNING revoked_at`,
      [clientId, keyId, afterS],
    );
    return rows[0] ? toIso(rows[0].revoked_at) : null;
  }

  async getPolicy(clientId: string): Promise<string | null> {
    const rows = await this.#db.query('SELECT policy FROM client_policies WHERE client_id = $1', [clientId]);
    return rows[0] ? String(rows[0].policy) : null;
  }

  async setPolicy(clientId: string, policyJson: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO client_policies(client_id, policy) VALUES ($1, $2)
       ON CONFLICT (client_id) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now()`,
      [clientId, policyJson],
    );
  }

  /** Puts a delivery back in the queue with fresh attempts; false when the client has no such delivery. */
  async requeueDelivery(clientId: string, deliveryId: string): Promise<boolean> {
    // A pending delivery is already queued: putting it back would send it twice.
    const rows = await this.#db.query(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, last_error = NULL, updated_at = now()
        WHERE client_id = $1 AND id = $2 AND status <> 'pending' RETURNING id`,
      [clientId, deliveryId],
    );
    return rows.length > 0;
  }

  async deliveries(clientId: string, page: { limit: number; offset: number }): Promise<SqlRow[]> {
    return this.#db.query(
      `SELECT id, event, url, status, attempts, last_status, last_error, created_at, updated_at FROM webhook_deliveries
        WHERE client_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`,
      [clientId, page.limit, page.offset],
    );
  }

  /** Session outcomes per UTC day, failure reasons and latency percentiles; every client when clientId is null. */
  async analytics(clientId: string | null, from: Date, to: Date): Promise<Analytics> {
    const where = `created_at >= $1 AND created_at < $2${clientId !== null ? ' AND client_id = $3' : ''}`;
    const params = clientId !== null ? [from, to, clientId] : [from, to];
    const days = await this.#db.query(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*) AS attempts,
              count(*) FILTER (WHERE outcome = 'succeeded') AS successes
         FROM session_results WHERE ${where} GROUP BY 1 ORDER BY 1`,
      params,
    );
    const reasons = await this.#db.query(
      `SELECT coalesce(reason, outcome) AS reason, count(*) AS n FROM session_results
        WHERE ${where} AND outcome <> 'succeeded' GROUP BY 1 ORDER BY 1`,
      params,
    );
    const lat = await this.#db.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
         FROM session_results WHERE ${where}`,
      params,
    );
    return {
      perDay: days.map((d) => ({ day: String(d.day), attempts: Number(d.attempts), successes: Number(d.successes) })),
      failureReasons: Object.fromEntries(reasons.map((r) => [String(r.reason), Number(r.n)])),
      latencyMs: { p50: num(lat[0]?.p50), p95: num(lat[0]?.p95), p99: num(lat[0]?.p99) },
    };
  }

  /** Retention: removes session results and finished webhook deliveries older than the cut-off. */
  async deleteOlderThan(cutoff: Date): Promise<{ sessionResults: number; webhookDeliveries: number }> {
    const s = await this.#db.query('DELETE FROM session_results WHERE created_at < $1 RETURNING id', [cutoff]);
    const w = await this.#db.query(`DELETE FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending' RETURNING id`, [cutoff]);
    return { sessionResults: s.length, webhookDeliveries: w.length };
  }
}
