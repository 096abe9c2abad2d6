// ICE servers handed to a session: STUN URLs as configured and TURN URLs with
// time-limited credentials in the TURN REST API form (username
// "<expiry>:<session id>", credential base64(HMAC-SHA1(secret, username))),
// which coturn checks with `use-auth-secret`.
import crypto from 'node:crypto';
import type { Config } from '../config.ts';

export interface IceServer {
  readonly urls: readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

export function iceServersFor(config: Config, sessionId: string, nowMs = Date.now()): IceServer[] {
  const out: IceServer[] = [];
  if (config.media.stunUrls.length > 0) out.push({ urls: [...config.media.stunUrls] });
  if (config.media.turnUrls.length > 0 && config.media.turnSecret) {
    const username = `${Math.floor(nowMs / 1000) + config.media.turnTtlS}:${sessionId}`;
    const credential = crypto.createHmac('sha1', config.media.turnSecret).update(username).digest('base64');
    out.push({ urls: [...config.media.turnUrls], username, credential });
  }
  return out;
}
