// Store over a SqlClient: one implementation for PostgreSQL and PGlite.
// Every tenant query carries `client_id = $1`; there is no method that reads
// tenant rows without a client id (except listing clients for the admin CLI).
import type { SqlClient, SqlRow } from './SqlClient.ts';
import { toBuffer, toIso } from './SqlClient.ts';
import { migrate } from './migrations.ts';
import type {
  AccountRecord,
  ApiKeyRecord,
  AuthMetrics,
  ClientRecord,
  RefreshTokenRecord,
  RefreshUse,
  SessionResultRecord,
  Store,
  TemplateRecord,
  UserRecord,
  WebhookConfig,
} from './Store.ts';

function clientFromRow(r: SqlRow): ClientRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    wrappedKey: toBuffer(r.wrapped_key),
    webhookUrl: r.webhook_url == null ? null : String(r.webhook_url),
    webhookId: r.webhook_id == null ? null : String(r.webhook_id),
    webhookSecretCiphertext: r.webhook_secret_ciphertext == null ? null : toBuffer(r.webhook_secret_ciphertext),
    createdAt: toIso(r.created_at),
  };
}

function apiKeyFromRow(r: SqlRow): ApiKeyRecord {
  return {
    id: String(r.id),
    clientId: String(r.client_id),
    createdAt: toIso(r.created_at),
    revokedAt: r.revoked_at == null ? null : toIso(r.revoked_at),
  };
}

function accountFromRow(r: SqlRow): AccountRecord {
  return {
    id: String(r.id),
    clientId: String(r.client_id),
    email: String(r.email),
    passwordHash: String(r.password_hash),
    fullName: String(r.full_name),
    phoneNumber: r.phone_number == null ? null : String(r.phone_number),
    authenticationCount: Number(r.authentication_count),
    lastAuthenticationAt: r.last_authentication_at == null ? null : toIso(r.last_authentication_at),
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.updated_at),
  };
}

function refreshFromRow(r: SqlRow): RefreshTokenRecord {
  return {
    id: String(r.id),
    familyId: String(r.family_id),
    clientId: String(r.client_id),
    accountId: String(r.account_id),
    expiresAt: toIso(r.expires_at),
    usedAt: r.used_at == null ? null : toIso(r.used_at),
    revokedAt: r.revoked_at == null ? null : toIso(r.revoked_at),
  };
}

export class SqlStore implements Store {
  readonly #db: SqlClient;

  private constructor(db: SqlClient) {
    this.#db = db;
  }

  /** Wraps an open SqlClient and applies pending migrations. The store owns (and closes) the client. */
  static async open(db: SqlClient): Promise<SqlStore> {
    await migrate(db);
    return new SqlStore(db);
  }

  get engine(): 'postgres' | 'pglite' {
    return this.#db.engine;
  }

  /** The underlying client, for modules that own their own tables (audit, webhooks). */
  get sql(): SqlClient {
    return this.#db;
  }

  async createClient(c: { id: string; name: string; wrappedKey: Buffer }): Promise<ClientRecord> {
    const rows = await this.#db.query(
      'INSERT INTO clients(id, name, wrapped_key) VALUES ($1, $2, $3) RETURNING *',
      [c.id, c.name, c.wrappedKey],
    );
    return clientFromRow(rows[0]!);
  }

  async getClient(id: string): Promise<ClientRecord | null> {
    const rows = await this.#db.query('SELECT * FROM clients WHERE id = $1', [id]);
    return rows[0] ? clientFromRow(rows[0]) : null;
  }

  async listClients(): Promise<ClientRecord[]> {
    return (await this.#db.query('SELECT * FROM clients ORDER BY created_at, id')).map(clientFromRow);
  }

  async deleteClient(id: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      // Templates reference users, users reference clients: explicit order
      // keeps the intent visible even though the FKs cascade.
      await tx.query('DELETE FROM templates WHERE client_id = $1', [id]);
      const rows = await tx.query('DELETE FROM clients WHERE id = $1 RETURNING id', [id]);
      return rows.length > 0;
    });
  }

  async setWebhook(clientId: string, webhook: WebhookConfig | null): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE clients SET webhook_url = $2, webhook_id = $3, webhook_secret_ciphertext = $4, webhook_secret = NULL
        WHERE id = $1 RETURNING id`,
      [clientId, webhook?.url ?? null, webhook?.id ?? null, webhook?.secretCiphertext ?? null],
    );
    return rows.length > 0;
  }

  async addApiKey(k: { id: string; clientId: string; keyHash: string }): Promise<void> {
    await this.#db.query('INSERT INTO api_keys(id, client_id, key_hash) VALUES ($1, $2, $3)', [
      k.id,
      k.clientId,
      k.keyHash,
    ]);
  }

  async findApiKey(keyHash: string): Promise<ApiKeyRecord | null> {
    const rows = await this.#db.query(
      'SELECT id, client_id, created_at, NULL AS revoked_at FROM api_keys WHERE key_hash = $1 AND (revoked_at IS NULL OR revoked_at > now())',
      [keyHash],
    );
    return rows[0] ? apiKeyFromRow(rows[0]) : null;
  }

  async getApiKey(clientId: string, keyId: string): Promise<ApiKeyRecord | null> {
    const rows = await this.#db.query(
      // A revocation scheduled for later (rotation overlap) is not one yet.
      'SELECT id, client_id, created_at, CASE WHEN revoked_at <= now() THEN revoked_at END AS revoked_at FROM api_keys WHERE client_id = $1 AND id = $2',
      [clientId, keyId],
    );
    return rows[0] ? apiKeyFromRow(rows[0]) : null;
  }

  async revokeApiKey(clientId: string, keyId: string): Promise<boolean> {
    const rows = await this.#db.query(
      'UPDATE api_keys SET revoked_at = now() WHERE client_id = $1 AND id = $2 AND (revoked_at IS NULL OR revoked_at > now()) RETURNING id',
      [clientId, keyId],
    );
    return rows.length > 0;
  }

  async enroll(
    clientId: string,
    externalId: string,
    templates: readonly { id: string; ciphertext: Buffer }[],
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO users(client_id, external_id) VALUES ($1, $2) ON CONFLICT (client_id, external_id) DO NOTHING',
        [clientId, externalId],
      );
      for (const t of templates) {
        await tx.query('INSERT INTO templates(id, client_id, external_id, ciphertext) VALUES ($1, $2, $3, $4)', [
          t.id,
          clientId,
          externalId,
          t.ciphertext,
        ]);
      }
    });
  }

  async getUser(clientId: string, externalId: string): Promise<UserRecord | null> {
    const rows = await this.#db.query(
      `SELECT u.external_id, u.created_at,
              (SELECT count(*) FROM templates t WHERE t.client_id = u.client_id AND t.external_id = u.external_id) AS n
         FROM users u WHERE u.client_id = $1 AND u.external_id = $2`,
      [clientId, externalId],
    );
    const r = rows[0];
    return r ? { externalId: String(r.external_id), createdAt: toIso(r.created_at), templateCount: Number(r.n) } : null;
  }

  async listUsers(
    clientId: string,
    page: { limit: number; offset: number },
  ): Promise<{ users: UserRecord[]; total: number }> {
    const rows = await this.#db.query(
      `SELECT u.external_id, u.created_at,
              (SELECT count(*) FROM templates t WHERE t.client_id = u.client_id AND t.external_id = u.external_id) AS n
         FROM users u WHERE u.client_id = $1 ORDER BY u.created_at, u.external_id LIMIT $2 OFFSET $3`,
      [clientId, page.limit, page.offset],
    );
    const total = await this.#db.query('SELECT count(*) AS n FROM users WHERE client_id = $1', [clientId]);
    return {
      users: rows.map((r) => ({
        externalId: String(r.external_id),
        createdAt: toIso(r.created_at),
        templateCount: Number(r.n),
      })),
      total: Number(total[0]?.n ?? 0),
    };
  }

  async deleteUser(clientId: string, externalId: string): Promise<string[] | null> {
    return this.#db.transaction(async (tx) => {
      const tpl = await tx.query('DELETE FROM templates WHERE client_id = $1 AND external_id = $2 RETURNING id', [
        clientId,
        externalId,
      ]);
      const u = await tx.query('DELETE FROM users WHERE client_id = $1 AND external_id = $2 RETURNING external_id', [
        clientId,
        externalId,
      ]);
      if (u.length === 0) return null;
      return tpl.map((r) => String(r.id));
    });
  }

  async listTemplates(clientId: string, externalId?: string): Promise<TemplateRecord[]> {
    const rows =
      externalId === undefined
        ? await this.#db.query('SELECT * FROM templates WHERE client_id = $1 ORDER BY created_at, id', [clientId])
        : await this.#db.query(
            'SELECT * FROM templates WHERE client_id = $1 AND external_id = $2 ORDER BY created_at, id',
            [clientId, externalId],
          );
    return rows.map((r) => ({
      id: String(r.id),
      clientId: String(r.client_id),
      externalId: String(r.external_id),
      ciphertext: toBuffer(r.ciphertext),
      createdAt: toIso(r.created_at),
    }));
  }

  async listTemplateIds(clientId: string): Promise<string[]> {
    const rows = await this.#db.query('SELECT id FROM templates WHERE client_id = $1', [clientId]);
    return rows.map((r) => String(r.id));
  }

  async templateOwner(clientId: string, templateId: string): Promise<string | null> {
    const rows = await this.#db.query('SELECT external_id FROM templates WHERE client_id = $1 AND id = $2', [
      clientId,
      templateId,
    ]);
    return rows[0] ? String(rows[0].external_id) : null;
  }

  async countTemplates(clientId: string, externalId: string): Promise<number> {
    const rows = await this.#db.query(
      'SELECT count(*) AS n FROM templates WHERE client_id = $1 AND external_id = $2',
      [clientId, externalId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async createAccount(a: { id: string; clientId: string; email: string; passwordHash: string; fullName: string; phoneNumber: string | null }): Promise<AccountRecord | null> {
    const rows = await this.#db.query(
      `INSERT INTO accounts(id, client_id, email, password_hash, full_name, phone_number) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (client_id, email) DO NOTHING RETURNING *`,
      [a.id, a.clientId, a.email, a.passwordHash, a.fullName, a.phoneNumber],
    );
    return rows[0] ? accountFromRow(rows[0]) : null;
  }

  async getAccount(clientId: string, accountId: string): Promise<AccountRecord | null> {
    const rows = await this.#db.query('SELECT * FROM accounts WHERE client_id = $1 AND id = $2', [clientId, accountId]);
    return rows[0] ? accountFromRow(rows[0]) : null;
  }

  async findAccountByEmail(clientId: string, email: string): Promise<AccountRecord | null> {
    const rows = await this.#db.query('SELECT * FROM accounts WHERE client_id = $1 AND email = $2', [clientId, email]);
    return rows[0] ? accountFromRow(rows[0]) : null;
  }

  async updateAccount(clientId: string, accountId: string, patch: { fullName?: string; phoneNumber?: string | null }): Promise<AccountRecord | null> {
    // $3/$5 say whether the field is being set, so null can clear the phone number.
    const rows = await this.#db.query(
      `UPDATE accounts SET
         full_name = CASE WHEN $3 THEN $4 ELSE full_name END,
         phone_number = CASE WHEN $5 THEN $6 ELSE phone_number END,
         updated_at = now()
       WHERE client_id = $1 AND id = $2 RETURNING *`,
      [clientId, accountId, patch.fullName !== undefined, patch.fullName ?? '', patch.phoneNumber !== undefined, patch.phoneNumber ?? null],
    );
    return rows[0] ? accountFromRow(rows[0]) : null;
  }

  async recordAccountAuthentication(clientId: string, accountId: string): Promise<void> {
    await this.#db.query(
      `UPDATE accounts SET authentication_count = authentication_count + 1, last_authentication_at = now()
        WHERE client_id = $1 AND id = $2`,
      [clientId, accountId],
    );
  }

  async addRefreshToken(t: { id: string; familyId: string; clientId: string; accountId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
    // Expired tokens are refused whatever their state: dropping them bounds the table per account.
    await this.#db.query('DELETE FROM refresh_tokens WHERE account_id = $1 AND expires_at < now()', [t.accountId]);
    await this.#db.query(
      'INSERT INTO refresh_tokens(id, family_id, client_id, account_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [t.id, t.familyId, t.clientId, t.accountId, t.tokenHash, t.expiresAt],
    );
  }

  async useRefreshToken(tokenHash: string): Promise<RefreshUse> {
    // The conditional UPDATE is the atomic step: of two concurrent refreshes
    // with one token, one gets the row and the other sees it used (reuse).
    // A family with any revoked token is dead: that also refuses a token the
    // winner inserted after the loser revoked the family.
    const used = await this.#db.query(
      `UPDATE refresh_tokens t SET used_at = now()
        WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
          AND NOT EXISTS (SELECT 1 FROM refresh_tokens f WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL)
        RETURNING t.*`,
      [tokenHash],
    );
    if (used[0]) return { kind: 'ok', token: refreshFromRow(used[0]) };
    const rows = await this.#db.query('SELECT *, expires_at <= now() AS expired FROM refresh_tokens WHERE token_hash = $1', [tokenHash]);
    if (!rows[0]) return { kind: 'unknown' };
    const token = refreshFromRow(rows[0]);
    if (token.usedAt === null && token.revokedAt === null && rows[0].expired === true) return { kind: 'expired' };
    await this.revokeRefreshFamily(token.familyId);
    return { kind: 'reused', token };
  }

  async revokeRefreshFamily(familyId: string): Promise<number> {
    const rows = await this.#db.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL RETURNING id',
      [familyId],
    );
    return rows.length;
  }

  async recordSessionResult(r: SessionResultRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO session_results(id, client_id, kind, outcome, reason, latency_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING`,
      [r.id, r.clientId, r.kind, r.outcome, r.reason, r.latencyMs],
    );
  }

  async authMetrics(clientId: string, from: Date, to: Date): Promise<AuthMetrics> {
    const where = `client_id = $1 AND kind = 'authentication' AND created_at >= $2 AND created_at < $3`;
    const params = [clientId, from, to];
    const totals = await this.#db.query(
      `SELECT count(*) AS attempts,
              count(*) FILTER (WHERE outcome = 'succeeded') AS successes,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
              avg(latency_ms) AS mean
         FROM session_results WHERE ${where}`,
      params,
    );
    const reasons = await this.#db.query(
      `SELECT coalesce(reason, outcome) AS reason, count(*) AS n FROM session_results
        WHERE ${where} AND outcome <> 'succeeded' GROUP BY 1 ORDER BY 1`,
      params,
    );
    const days = await this.#db.query(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS attempts,
              count(*) FILTER (WHERE outcome = 'succeeded') AS successes
         FROM session_results WHERE ${where} GROUP BY 1 ORDER BY 1`,
      params,
    );
    const t = totals[0] ?? {};
    const attempts = Number(t.attempts ?? 0);
    const successes = Number(t.successes ?? 0);
    const num = (v: unknown): number | null => (v == null ? null : Number(v));
    return {
      attempts,
      successes,
      failures: attempts - successes,
      failuresByReason: Object.fromEntries(reasons.map((r) => [String(r.reason), Number(r.n)])),
      latencyMs: { p50: num(t.p50), p95: num(t.p95), mean: num(t.mean) },
      byDate: days.map((d) => ({ date: String(d.day), attempts: Number(d.attempts), successes: Number(d.successes) })),
    };
  }

  async ping(): Promise<void> {
    await this.#db.ping();
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
