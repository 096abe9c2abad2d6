// TURN REST API credentials (draft-uberti-behave-turn-rest, as coturn's
// use-auth-secret implements it): username "<unix expiry>:<sessionId>",
// password base64(HMAC-SHA1(shared secret, username)). coturn checks them
// with the same secret and no per-user state; they expire on their own.
import { createHmac } from 'node:crypto';
import type { IceServer } from '../common/protocol/signaling.ts';

export interface TurnCredentials {
  readonly username: string;
  readonly credential: string;
  /** Unix seconds after which coturn refuses them. */
  readonly expiresAt: number;
}

/** Mints credentials for one session; ttlS from config.media.turnTtlS. */
export function mintTurnCredentials(secret: string, sessionId: string, ttlS: number, nowMs: number = Date.now()): TurnCredentials {
  if (typeof secret !== 'string' || secret.length < 16) throw new TypeError('TURN secret must have at least 16 characters');
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.includes(':')) {
    throw new TypeError('sessionId must be non-empty and contain no ":"');
  }
  if (!Number.isInteger(ttlS) || ttlS <= 0) throw new TypeError('ttlS must be a positive integer');
  const expiresAt = Math.floor(nowMs / 1000) + ttlS;
  const username = `${expiresAt}:${sessionId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}

/** Checks credentials the way coturn does (for tests and diagnostics). */
export function verifyTurnCredentials(secret: string, username: string, credential: string, nowMs: number = Date.now()): boolean {
  const expiry = Number(username.split(':')[0]);
  if (!Number.isInteger(expiry) || expiry * 1000 < nowMs) return false;
  const expected = createHmac('sha1', secret).update(username).digest('base64');
  return expected.length === credential.length && expected === credential;
}

export interface IceServerConfig {
  readonly stunUrls: readonly string[];
  readonly turnUrls: readonly string[];
  readonly turnSecret: string | undefined;
  readonly turnTtlS: number;
}

/**
 * The ICE servers handed to one session: STUN as is, TURN with fresh
 * per-session credentials. The one place they are computed; config.media
 * satisfies IceServerConfig.
 */
export function iceServersFor(config: IceServerConfig, sessionId: string, nowMs: number = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: [...config.stunUrls] });
  if (config.turnUrls.length > 0 && config.turnSecret !== undefined) {
    const c = mintTurnCredentials(config.turnSecret, sessionId, config.turnTtlS, nowMs);
    servers.push({ urls: [...config.turnUrls], username: c.username, credential: c.credential });
  }
  return servers;
}
