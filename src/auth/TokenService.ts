// Client access tokens: short-lived JWTs (HS256 only; `alg: none`, RS/ES and
// any other algorithm are refused), with issuer, audience and expiry checked
// on every request. The subject is the client id; the `kid` claim is the id
// of the API key the token was exchanged for (per-key rate limits, revocation).
// A token without a well-formed `kid` is refused (fail closed): every token
// this service has issued carries one, so only a forged or foreign token
// lacks it, and sharing one anonymous per-client budget would defeat the
// per-key limits.
import jwt from 'jsonwebtoken';
import { FacegateError } from '../../common/errors.ts';
import { looksLikeApiKeyId } from './apiKeys.ts';

export const JWT_ISSUER = 'facegate';
export const JWT_AUDIENCE = 'facegate-api';

export interface ClientClaims {
  readonly clientId: string;
  /** The API key the token was exchanged for. */
  readonly keyId: string;
  readonly expiresAt: number;
}

export class TokenService {
  readonly #secret: string;
  readonly #ttlS: number;

  constructor(secret: string, ttlS: number) {
    if (secret.length < 32) throw new TypeError('JWT secret must be at least 32 characters');
    if (!Number.isInteger(ttlS) || ttlS <= 0) throw new TypeError('ttlS must be a positive integer');
    this.#secret = secret;
    this.#ttlS = ttlS;
  }

  get ttlS(): number {
    return this.#ttlS;
  }

  issue(clientId: string, keyId: string): string {
    if (!looksLikeApiKeyId(keyId)) throw new TypeError('keyId must be an API key id');
    return jwt.sign({ kid: keyId, typ: 'client' }, this.#secret, {
      algorithm: 'HS256',
      subject: clientId,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.#ttlS,
    });
  }

  /** Verifies a token; any failure is FacegateError('unauthorized') with the reason in details. */
  verify(token: string): ClientClaims {
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.#secret, {
        algorithms: ['HS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
    } catch (e) {
      const reason = e instanceof jwt.TokenExpiredError ? 'token_expired' : 'token_invalid';
      throw new FacegateError('unauthorized', reason === 'token_expired' ? 'access token expired' : 'invalid access token', { reason });
    }
    if (
      typeof payload === 'string' ||
      typeof payload.sub !== 'string' ||
      payload.typ !== 'client' ||
      typeof payload.exp !== 'number' ||
      !looksLikeApiKeyId(payload.kid)
    ) {
      throw new FacegateError('unauthorized', 'invalid access token', { reason: 'token_invalid' });
    }
    return { clientId: payload.sub, keyId: payload.kid, expiresAt: payload.exp };
  }
}
