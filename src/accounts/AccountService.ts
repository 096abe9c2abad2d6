// End-user accounts (issue #14 item 4): register, password login, refresh
// token rotation with reuse detection, profile. Every account belongs to one
// client (the tenant whose credential registered it); its id is also the
// external user id its face is enrolled under, so an enrollment session for
// `user_id` = the account id gives the account its face, and a successful
// authentication session that matches it is a face login (faceLogin.ts).
// Emails are normalised (NFKC, trimmed, lower case) before they are stored or
// looked up. Passwords and tokens never reach a log line.
import crypto from 'node:crypto';
import { FacegateError } from '../../common/errors.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { refreshTokenHash, type UserClaims, type UserTokens } from '../auth/UserTokens.ts';
import type { AttemptLimiter } from '../sessions/SessionService.ts';
import type { AccountRecord, Store, TemplateRecord } from '../store/Store.ts';

/** A fresh access + refresh pair for one account. */
export interface AccountTokens {
  readonly access: string;
  readonly refresh: string;
  /** Access token lifetime, seconds. */
  readonly expiresIn: number;
  readonly accountId: string;
}

export interface AccountProfile {
  readonly account: AccountRecord;
  readonly enrollments: readonly Pick<TemplateRecord, 'id' | 'createdAt'>[];
}

export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

const INVALID_LOGIN = (): FacegateError => new FacegateError('unauthorized', 'invalid email or password', { reason: 'invalid_credentials' });

export class AccountService {
  readonly #store: Store;
  readonly #tokens: UserTokens;
  readonly #limiter: AttemptLimiter | undefined;
  /** Verified against when no account has the email, so a miss costs what a wrong password does. */
  readonly #dummyHash: Promise<string>;

  /** `limiter`: failed password logins per (client, email) lock that email out a while, as failed 1:1 face matches do. */
  constructor(store: Store, tokens: UserTokens, limiter?: AttemptLimiter) {
    this.#store = store;
    this.#tokens = tokens;
    this.#limiter = limiter;
    this.#dummyHash = hashPassword(crypto.randomBytes(16).toString('hex'));
  }

  async register(clientId: string, input: { email: string; password: string; fullName: string; phoneNumber: string | null }): Promise<AccountRecord> {
    const email = normaliseEmail(input.email);
    const account = await this.#store.createAccount({
      id: `usr_${crypto.randomBytes(12).toString('hex')}`,
      clientId,
      email,
      passwordHash: await hashPassword(input.password),
      fullName: input.fullName,
      phoneNumber: input.phoneNumber,
    });
    if (account === null) throw new FacegateError('conflict', 'an account with this email already exists', { field: 'email', reason: 'email_taken' });
    return account;
  }

  async login(clientId: string, email: string, password: string): Promise<{ account: AccountRecord; tokens: AccountTokens }> {
    const normalised = normaliseEmail(email);
    // Its own key space beside the face-match lockout's external user ids.
    const lockKey = `login:${normalised}`;
    if (await this.#limiter?.isLockedOut(clientId, lockKey)) {
      throw new FacegateError('rate_limit_exceeded', 'too many failed logins for this account; try later', { reason: 'locked_out' });
    }
    const account = await this.#store.findAccountByEmail(clientId, normalised);
    const ok = await verifyPassword(account?.passwordHash ?? (await this.#dummyHash), password);
    if (account === null || !ok) {
      await this.#limiter?.recordFailure(clientId, lockKey);
      throw INVALID_LOGIN();
    }
    await this.#limiter?.reset(clientId, lockKey);
    return { account, tokens: await this.#issue(account, crypto.randomUUID()) };
  }

  /** Rotates a refresh token: the old one is spent, a new one of the same family comes back. A reused token revokes the family. */
  async refresh(refreshToken: string): Promise<AccountTokens> {
    const use = await this.#store.useRefreshToken(refreshTokenHash(refreshToken));
    switch (use.kind) {
      case 'ok': {
        const account = await this.#store.getAccount(use.token.clientId, use.token.accountId);
        if (account === null) throw new FacegateError('unauthorized', 'invalid refresh token', { reason: 'token_invalid' });
        return this.#issue(account, use.token.familyId);
      }
      case 'reused':
        throw new FacegateError('unauthorized', 'refresh token reused; every token of its login was revoked', { reason: 'token_reused' });
      case 'expired':
        throw new FacegateError('unauthorized', 'refresh token expired', { reason: 'token_expired' });
      case 'unknown':
        throw new FacegateError('unauthorized', 'invalid refresh token', { reason: 'token_invalid' });
    }
  }

  /** Bearer access token -> the live account it names. */
  async authenticate(accessToken: string): Promise<AccountRecord> {
    const claims: UserClaims = this.#tokens.verifyAccess(accessToken);
    const account = await this.#store.getAccount(claims.clientId, claims.accountId);
    if (account === null) throw new FacegateError('unauthorized', 'invalid access token', { reason: 'account_unknown' });
    return account;
  }

  async profile(account: AccountRecord): Promise<AccountProfile> {
    const templates = await this.#store.listTemplates(account.clientId, account.id);
    return { account, enrollments: templates.map((t) => ({ id: t.id, createdAt: t.createdAt })) };
  }

  async update(account: AccountRecord, patch: { fullName?: string; phoneNumber?: string | null }): Promise<AccountRecord> {
    const next = await this.#store.updateAccount(account.clientId, account.id, patch);
    if (next === null) throw new FacegateError('unauthorized', 'invalid access token', { reason: 'account_unknown' });
    return next;
  }

  /**
   * Face login: a session that authenticated `externalUserId` under `clientId`
   * issues that account's tokens (a new family). Null when the user is no account.
   */
  async faceLogin(clientId: string, externalUserId: string): Promise<AccountTokens | null> {
    const account = await this.#store.getAccount(clientId, externalUserId);
    if (account === null) return null;
    await this.#store.recordAccountAuthentication(clientId, account.id);
    return this.#issue(account, crypto.randomUUID());
  }

  async #issue(account: AccountRecord, familyId: string): Promise<AccountTokens> {
    const { token, hash } = this.#tokens.newRefresh();
    await this.#store.addRefreshToken({
      id: `rtk_${crypto.randomBytes(9).toString('hex')}`,
      familyId,
      clientId: account.clientId,
      accountId: account.id,
      tokenHash: hash,
      expiresAt: new Date(Date.now() + this.#tokens.refreshTtlS * 1000),
    });
    return { access: this.#tokens.issueAccess(account.clientId, account.id), refresh: token, expiresIn: this.#tokens.accessTtlS, accountId: account.id };
  }
}
