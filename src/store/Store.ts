// The persistent store's public seam: tenants (clients), their API keys, their
// users and encrypted templates, and session outcomes for analytics. Every
// method that touches tenant data takes the client id and scopes its query by
// it, so one client can never read, match or delete another's rows.
// Template bytes are ciphertext here; encryption lives in src/crypto.
import type { SessionKind, TerminalStatus } from '../../common/session.ts';

export interface ClientRecord {
  readonly id: string;
  readonly name: string;
  /** The client's data key, wrapped (encrypted) under the master key. */
  readonly wrappedKey: Buffer;
  readonly webhookUrl: string | null;
  /** Changes on every (re)configuration; part of the secret's associated data. */
  readonly webhookId: string | null;
  /** The signing secret sealed under the client's data key (KeyRing.encryptWebhookSecret). */
  readonly webhookSecretCiphertext: Buffer | null;
  readonly createdAt: string;
}

export interface WebhookConfig {
  readonly url: string;
  readonly id: string;
  readonly secretCiphertext: Buffer;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly clientId: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface UserRecord {
  readonly externalId: string;
  readonly createdAt: string;
  readonly templateCount: number;
}

export interface TemplateRecord {
  readonly id: string;
  readonly clientId: string;
  readonly externalId: string;
  readonly ciphertext: Buffer;
  readonly createdAt: string;
}

export interface SessionResultRecord {
  readonly id: string;
  readonly clientId: string;
  readonly kind: SessionKind;
  readonly outcome: TerminalStatus;
  readonly reason: string | null;
  readonly latencyMs: number;
}

export interface AuthMetrics {
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  readonly failuresByReason: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null; readonly mean: number | null };
}

export interface Store {
  readonly engine: 'postgres' | 'pglite';

  createClient(c: { id: string; name: string; wrappedKey: Buffer }): Promise<ClientRecord>;
  getClient(id: string): Promise<ClientRecord | null>;
  listClients(): Promise<ClientRecord[]>;
  /** Deletes the client and, by cascade, its keys, users, templates and wrapped data key. */
  deleteClient(id: string): Promise<boolean>;
  /** Sets or (null) clears the client's webhook; the secret arrives sealed, and any legacy plaintext is cleared. */
  setWebhook(clientId: string, webhook: WebhookConfig | null): Promise<boolean>;

  addApiKey(k: { id: string; clientId: string; keyHash: string }): Promise<void>;
  /** The active (not revoked) key with this hash, or null. */
  findApiKey(keyHash: string): Promise<ApiKeyRecord | null>;
  /** One of the client's keys by id, revoked or not; null when the client has no such key. */
  getApiKey(clientId: string, keyId: string): Promise<ApiKeyRecord | null>;
  revokeApiKey(clientId: string, keyId: string): Promise<boolean>;

  /** Creates the user if needed and stores the templates, atomically. */
  enroll(clientId: string, externalId: string, templates: readonly { id: string; ciphertext: Buffer }[]): Promise<void>;
  getUser(clientId: string, externalId: string): Promise<UserRecord | null>;
  listUsers(clientId: string, page: { limit: number; offset: number }): Promise<{ users: UserRecord[]; total: number }>;
  /** Deletes the user and its templates; returns the removed template ids, or null if there was no such user. */
  deleteUser(clientId: string, externalId: string): Promise<string[] | null>;
  /** A client's templates, optionally only one user's. */
  listTemplates(clientId: string, externalId?: string): Promise<TemplateRecord[]>;
  listTemplateIds(clientId: string): Promise<string[]>;
  /** Owner of a template within a client, or null (also when the template belongs to another client). */
  templateOwner(clientId: string, templateId: string): Promise<string | null>;
  countTemplates(clientId: string, externalId: string): Promise<number>;

  recordSessionResult(r: SessionResultRecord): Promise<void>;
  authMetrics(clientId: string, from: Date, to: Date): Promise<AuthMetrics>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
