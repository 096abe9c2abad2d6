// Versioned schema migrations, applied in order at start inside one
// transaction each. Versions are append-only: never edit a shipped migration,
// add the next one. The same SQL runs on PostgreSQL and on PGlite.
import type { SqlClient } from './SqlClient.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenancy, templates, audit, webhooks, session results',
    sql: `
      CREATE TABLE clients (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        wrapped_key   bytea NOT NULL,
        webhook_url   text,
        webhook_secret text,
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE api_keys (
        id          text PRIMARY KEY,
        client_id   text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        key_hash    text NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz
      );
      CREATE INDEX api_keys_client ON api_keys(client_id);
      CREATE TABLE users (
        client_id    text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        external_id  text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_id, external_id)
      );
      CREATE TABLE templates (
        id           text PRIMARY KEY,
        client_id    text NOT NULL,
        external_id  text NOT NULL,
        ciphertext   bytea NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (client_id, external_id) REFERENCES users(client_id, external_id) ON DELETE CASCADE
      );
      CREATE INDEX templates_client ON templates(client_id);
      CREATE TABLE audit_log (
        seq        bigint PRIMARY KEY,
        at         text NOT NULL,
        client_id  text,
        event      text NOT NULL,
        payload    text NOT NULL,
        prev_hash  text NOT NULL,
        hash       text NOT NULL
      );
      CREATE TABLE session_results (
        id           text PRIMARY KEY,
        client_id    text NOT NULL,
        kind         text NOT NULL,
        outcome      text NOT NULL,
        reason       text,
        latency_ms   double precision NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX session_results_client_time ON session_results(client_id, created_at);
      CREATE TABLE webhook_deliveries (
        id           text PRIMARY KEY,
        client_id    text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        event        text NOT NULL,
        url          text NOT NULL,
        body         text NOT NULL,
        status       text NOT NULL,
        attempts     integer NOT NULL DEFAULT 0,
        last_status  integer,
        last_error   text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_deliveries_client ON webhook_deliveries(client_id, created_at);
    `,
  },
  {
    // Webhook signing secrets move to ciphertext under the client's data key
    // (AAD: client id + webhook id). Encrypting needs the master key, which
    // SQL never sees: WebhookDispatcher.encryptPlaintextSecrets() seals the
    // rows left in webhook_secret at start and clears that column.
    version: 2,
    name: 'webhook secrets encrypted at rest',
    sql: `
      ALTER TABLE clients ADD COLUMN webhook_id text;
      ALTER TABLE clients ADD COLUMN webhook_secret_ciphertext bytea
    `,
  },
  {
    // Operations (issue 12): the audit chain's signed heads and pruning
    // checkpoints live apart from its rows; per-client policy; job runs.
    // An api_keys.revoked_at in the future is a scheduled revocation (key
    // rotation's overlap window).
    version: 3,
    name: 'signed audit heads and checkpoints, client policy, job runs',
    sql: `
      CREATE TABLE audit_heads (
        seq        bigint PRIMARY KEY,
        hash       text NOT NULL,
        at         text NOT NULL,
        key_id     text NOT NULL,
        signature  text NOT NULL
      );
      CREATE TABLE audit_checkpoints (
        seq          bigint PRIMARY KEY,
        hash         text NOT NULL,
        at           text NOT NULL,
        rows_pruned  bigint NOT NULL,
        key_id       text NOT NULL,
        signature    text NOT NULL
      );
      CREATE TABLE client_policies (
        client_id   text PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
        policy      text NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE job_runs (
        id           text PRIMARY KEY,
        job          text NOT NULL,
        node_id      text NOT NULL,
        started_at   timestamptz NOT NULL,
        finished_at  timestamptz,
        status       text NOT NULL,
        result       text,
        error        text
      );
      CREATE INDEX job_runs_job_time ON job_runs(job, started_at)
    `,
  },
  {
    // Failed-attempt lockouts (issue 13): on the store when there is no Redis,
    // so a restart does not lift them. One row per client + external user.
    version: 4,
    name: 'lockouts',
    sql: `
      CREATE TABLE lockouts (
        key         text PRIMARY KEY,
        failures    integer NOT NULL,
        expires_at  timestamptz NOT NULL
      )
    `,
  },
  {
    // End-user accounts (issue #14): each belongs to one client; the email is
    // unique within it. The account id doubles as the external user id its
    // face templates are enrolled under. Refresh tokens are kept as hashes,
    // grouped in families: a reused (already rotated) token revokes its family.
    version: 5,
    name: 'end-user accounts and refresh token families',
    sql: `
      CREATE TABLE accounts (
        id                     text PRIMARY KEY,
        client_id              text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        email                  text NOT NULL,
        password_hash          text NOT NULL,
        full_name              text NOT NULL DEFAULT '',
        phone_number           text,
        authentication_count   integer NOT NULL DEFAULT 0,
        last_authentication_at timestamptz,
        created_at             timestamptz NOT NULL DEFAULT now(),
        updated_at             timestamptz NOT NULL DEFAULT now(),
        UNIQUE (client_id, email)
      );
      CREATE TABLE refresh_tokens (
        id          text PRIMARY KEY,
        family_id   text NOT NULL,
        client_id   text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        account_id  text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        token_hash  text NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz,
        revoked_at  timestamptz
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id)
    `,
  },
];

// Arbitrary constant: serialises concurrent migrators (several nodes starting
// against one PostgreSQL) on a transaction-scoped advisory lock.
const MIGRATION_LOCK = 0x66616365;

/** Applies every migration newer than the database's version; returns the versions applied. */
export async function migrate(db: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (done.length > 0) return;
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations(version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    });
  }
  return applied;
}

export async function schemaVersion(db: SqlClient): Promise<number> {
  const rows = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return Number(rows[0]?.v ?? 0);
}

// Migrations hold no functions or string literals with `;`, so a plain split
// is enough and lets both drivers run them as single prepared statements.
function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
