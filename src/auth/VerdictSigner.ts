// Signed verdict tokens (issue #14 item 5): every decided session gets an
// ES256 JWT naming the session, client, user, outcome and a liveness summary,
// with a short expiry and the client id as audience, so an integrator's
// backend checks a verdict offline against /.well-known/jwks.json instead of
// trusting the browser that carried it. The P-256 key comes from config
// (VERDICT_SIGNING_KEY, PKCS#8 PEM) or is generated once into the data dir
// (mode 0600); the key id is its RFC 7638 thumbprint, in the JWKS and in
// every token's header.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import type { SessionKind, SessionVerdict } from '../../common/session.ts';
import { JWT_ISSUER } from './TokenService.ts';

export const VERDICT_ALG = 'ES256';
export const VERDICT_KEY_FILE = 'verdict-signing-key.pem';

export interface VerdictSubject {
  readonly sessionId: string;
  readonly clientId: string;
  readonly kind: SessionKind;
  /** 1:1 target or 1:N match; null when the session named nobody and matched nobody. */
  readonly externalUserId: string | null;
}

export interface VerdictSignerOptions {
  /** Token lifetime, seconds (default 300). */
  readonly ttlS?: number;
}

export class VerdictSigner {
  readonly #key: crypto.KeyObject;
  readonly #publicJwk: JWK;
  readonly kid: string;
  readonly #ttlS: number;
  /** Where the key came from: config, or the data dir (one node's own; several nodes must share a configured key). */
  readonly source: 'config' | 'data_dir';

  private constructor(key: crypto.KeyObject, publicJwk: JWK, kid: string, ttlS: number, source: 'config' | 'data_dir') {
    this.source = source;
    this.#key = key;
    this.#publicJwk = publicJwk;
    this.kid = kid;
    this.#ttlS = ttlS;
  }

  /** From a PKCS#8 PEM (config), else the data dir's key, generated there on first start. */
  static async open(o: { pem: string | undefined; dataDir: string } & VerdictSignerOptions): Promise<VerdictSigner> {
    const pem = o.pem ?? loadOrCreatePem(o.dataDir);
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(pem);
    } catch (e) {
      throw new Error('VERDICT_SIGNING_KEY is not a readable PKCS#8 PEM private key', { cause: e });
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('VERDICT_SIGNING_KEY must be an EC P-256 key (ES256)');
    }
    const { kty, crv, x, y } = await exportJWK(crypto.createPublicKey(key));
    const publicJwk: JWK = { kty, crv, x, y };
    const kid = await calculateJwkThumbprint(publicJwk);
    const ttlS = o.ttlS ?? 300;
    if (!Number.isInteger(ttlS) || ttlS <= 0) throw new TypeError('ttlS must be a positive integer');
    return new VerdictSigner(key, publicJwk, kid, ttlS, o.pem === undefined ? 'data_dir' : 'config');
  }

  /** The JWKS document served at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.#publicJwk, kid: this.kid, alg: VERDICT_ALG, use: 'sig' }] };
  }

  async sign(s: VerdictSubject, v: SessionVerdict): Promise<string> {
    const jwt = new SignJWT({
      sid: s.sessionId,
      cid: s.clientId,
      kind: s.kind,
      outcome: v.outcome,
      reason: v.reason,
      uid: s.externalUserId,
      similarity: v.similarity,
      liveness: livenessSummary(v),
    })
      .setProtectedHeader({ alg: VERDICT_ALG, kid: this.kid, typ: 'facegate-verdict+jwt' })
      .setIssuer(JWT_ISSUER)
      .setAudience(s.clientId)
      .setIssuedAt()
      .setExpirationTime(`${this.#ttlS}s`)
      .setJti(crypto.randomBytes(12).toString('base64url'));
    if (s.externalUserId !== null) jwt.setSubject(s.externalUserId);
    return jwt.sign(this.#key);
  }
}

/** Liveness was established when the session succeeded or failed only on the match; the spoof-related scores beside it. */
function livenessSummary(v: SessionVerdict): { passed: boolean; scores: Record<string, number> } {
  const scores: Record<string, number> = {};
  for (const [k, n] of Object.entries(v.scores)) if (!MATCH_SCORES.has(k)) scores[k] = n;
  return { passed: v.outcome === 'succeeded' || v.reason === 'no_match', scores };
}

const MATCH_SCORES: ReadonlySet<string> = new Set(['similarity', 'threshold', 'consistency']);

function loadOrCreatePem(dataDir: string): string {
  const file = path.join(dataDir, VERDICT_KEY_FILE);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // wx: never overwrite a key another process wrote meanwhile.
    fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return fs.readFileSync(file, 'utf8');
  }
}
