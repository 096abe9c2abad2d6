// A self-contained SessionAuthorizer: short-lived session tokens signed with
// HMAC-SHA256 over a shared secret, "<base64url(json)>.<base64url(mac)>".
// Used by tests and the demo, and by the composition root until the session
// service provides its own authorizer. Stateless: a token cannot be revoked
// before it expires, so keep the TTL short.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AuthorizedSession, SessionAuthorizer } from './SessionAuthorizer.ts';

const PayloadSchema = z.object({
  sid: z.string().min(1).max(128),
  cid: z.string().min(1).max(128).optional(),
  exp: z.number().int().positive(),
});

export interface MintSessionTokenOptions {
  readonly sessionId?: string;
  readonly clientId?: string;
  /** Lifetime in seconds. Default 300. */
  readonly ttlS?: number;
  readonly nowMs?: number;
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 32) throw new TypeError('the session token secret needs at least 32 characters');
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** Mints a session token for HmacSessionAuthorizer; a new random sessionId unless one is given. */
export function mintSessionToken(secret: string, options: MintSessionTokenOptions = {}): { token: string; sessionId: string; expiresAt: number } {
  assertSecret(secret);
  const sessionId = options.sessionId ?? randomUUID();
  const ttlS = options.ttlS ?? 300;
  if (!Number.isInteger(ttlS) || ttlS <= 0) throw new TypeError('ttlS must be a positive integer');
  const exp = Math.floor((options.nowMs ?? Date.now()) / 1000) + ttlS;
  const payload = Buffer.from(
    JSON.stringify({ sid: sessionId, ...(options.clientId !== undefined ? { cid: options.clientId } : {}), exp }),
  ).toString('base64url');
  return { token: `${payload}.${mac(secret, payload).toString('base64url')}`, sessionId, expiresAt: exp };
}

export class HmacSessionAuthorizer implements SessionAuthorizer {
  readonly #secret: string;
  readonly #now: () => number;

  constructor(secret: string, now: () => number = Date.now) {
    assertSecret(secret);
    this.#secret = secret;
    this.#now = now;
  }

  async authorize(token: string): Promise<AuthorizedSession | null> {
    if (typeof token !== 'string' || token.length > 4096) return null;
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = mac(this.#secret, payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const r = PayloadSchema.safeParse(json);
    if (!r.success || r.data.exp * 1000 <= this.#now()) return null;
    return { sessionId: r.data.sid, ...(r.data.cid !== undefined ? { clientId: r.data.cid } : {}) };
  }
}
