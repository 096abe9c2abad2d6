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
  /** Per UTC day (YYYY-MM-DD), oldest first; days without attempts are absent. */
  readonly byDate: readonly { readonly date: string; readonly attempts: number; readonly successes: number }[];
}

/** An end-user account (issue #14 item 4); its id is also the external user id of its face templates. */
export interface AccountRecord {
  readonly id: string;
  readonly clientId: string;
  /** Normalised (NFKC, trimmed, lower case). */
  readonly email: string;
  /** Argon2id PHC string. */
  readonly passwordHash: string;
  readonly fullName: string;
  readonly phoneNumber: string | null;
  readonly authenticationCount: number;
  readonly lastAuthenticationAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface RefreshTokenRecord {
  readonly id: string;
  readonly familyId: string;
  readonly clientId: string;
  readonly accountId: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
  readonly revokedAt: string | null;
}

/** What consuming a refresh token found: the token (now used), or why it was refused. */
export type RefreshUse =
  | { readonly kind: 'ok'; readonly token: RefreshTokenRecord }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'expired' }
  /** Used or revoked before: the family has just been revoked. */
  | { readonly kind: 'reused'; readonly token: RefreshTokenRecord };

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

  /** Null when the client already has an account with this (normalised) email. */
  createAccount(a: { id: string; clientId: string; email: string; passwordHash: string; fullName: string; phoneNumber: string | null }): Promise<AccountRecord | null>;
  getAccount(clientId: string, accountId: string): Promise<AccountRecord | null>;
  findAccountByEmail(clientId: string, email: string): Promise<AccountRecord | null>;
  updateAccount(clientId: string, accountId: string, patch: { fullName?: string; phoneNumber?: string | null }): Promise<AccountRecord | null>;
  /** Counts one successful face authentication of the account. */
  recordAccountAuthentication(clientId: string, accountId: string): Promise<void>;
  /** Stores a refresh token (its hash) and drops the account's expired ones. */
  addRefreshToken(t: { id: string; familyId: string; clientId: string; accountId: string; tokenHash: string; expiresAt: Date }): Promise<void>;
  /**
   * Marks the token with this hash used, atomically: exactly one caller gets
   * 'ok'. A token already used or revoked revokes its whole family ('reused').
   */
  useRefreshToken(tokenHash: string): Promise<RefreshUse>;
  revokeRefreshFamily(familyId: string): Promise<number>;

  recordSessionResult(r: SessionResultRecord): Promise<void>;
  authMetrics(clientId: string, from: Date, to: Date): Promise<AuthMetrics>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
