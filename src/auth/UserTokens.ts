// End-user tokens: a short-lived access JWT (HS256, `typ: user`, its own
// audience, so a client token is never taken for a user's or the other way
// round) and an opaque refresh token. A refresh token is 32 random bytes
// (base64url) behind an `rt_` prefix; the store keeps only its SHA-256, so a
// database leak yields no usable token.
import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { FacegateError } from '../../common/errors.ts';
import { JWT_ISSUER } from './TokenService.ts';

export const USER_JWT_AUDIENCE = 'facegate-user';

export interface UserClaims {
  readonly accountId: string;
  readonly clientId: string;
  readonly expiresAt: number;
}

export class UserTokens {
  readonly #secret: string;
  readonly accessTtlS: number;
  readonly refreshTtlS: number;

  constructor(secret: string, o: { accessTtlS: number; refreshTtlS: number }) {
    if (secret.length < 32) throw new TypeError('JWT secret must be at least 32 characters');
    for (const v of [o.accessTtlS, o.refreshTtlS]) if (!Number.isInteger(v) || v <= 0) throw new TypeError('token lifetimes must be positive integers');
    // A key of its own, derived from the service secret: user and client tokens never share a MAC key.
    this.#secret = crypto.createHmac('sha256', secret).update('facegate:user-access-token').digest('hex');
    this.accessTtlS = o.accessTtlS;
    this.refreshTtlS = o.refreshTtlS;
  }

  issueAccess(clientId: string, accountId: string): string {
    return jwt.sign({ typ: 'user', cid: clientId }, this.#secret, {
      algorithm: 'HS256',
      subject: accountId,
      issuer: JWT_ISSUER,
      audience: USER_JWT_AUDIENCE,
      expiresIn: this.accessTtlS,
      jwtid: crypto.randomBytes(9).toString('base64url'),
    });
  }

  /** Any failure is FacegateError('unauthorized') with the reason in details. */
  verifyAccess(token: string): UserClaims {
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.#secret, { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: USER_JWT_AUDIENCE });
    } catch (e) {
      const expired = e instanceof jwt.TokenExpiredError;
      throw new FacegateError('unauthorized', expired ? 'access token expired' : 'invalid access token', { reason: expired ? 'token_expired' : 'token_invalid' });
    }
    if (typeof payload === 'string' || payload.typ !== 'user' || typeof payload.sub !== 'string' || typeof payload.cid !== 'string' || typeof payload.exp !== 'number') {
      throw new FacegateError('unauthorized', 'invalid access token', { reason: 'token_invalid' });
    }
    return { accountId: payload.sub, clientId: payload.cid, expiresAt: payload.exp };
  }

  /** A new opaque refresh token and the hash the store keeps. */
  newRefresh(): { token: string; hash: string } {
    const token = `rt_${crypto.randomBytes(32).toString('base64url')}`;
    return { token, hash: refreshTokenHash(token) };
  }
}

export function refreshTokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}
