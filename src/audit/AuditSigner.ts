// The Ed25519 key that signs the audit chain's head and checkpoints. The key
// comes from AUDIT_SIGNING_KEY (a 32-byte seed, hex) or is generated once into
// <dataDir>/audit-signing-key (mode 0600). Several nodes on one PostgreSQL
// must share AUDIT_SIGNING_KEY, or heads signed by one fail on the others.
// What is signed is a fixed text: `facegate-audit-<kind>\n<seq>\n<hash>\n<at>`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// PKCS#8 DER of an Ed25519 private key is this prefix plus the 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export type SignedKind = 'head' | 'checkpoint';

export interface SignedPoint {
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
}

export function signedText(kind: SignedKind, p: SignedPoint): Buffer {
  return Buffer.from(`facegate-audit-${kind}\n${p.seq}\n${p.hash}\n${p.at}`, 'utf8');
}

/** Key id: the first 16 hex characters of SHA-256 over the public key's SPKI DER. */
export function keyIdOf(publicKey: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Checks a signature with a public key only (offline verification of exported bundles). */
export function verifySigned(publicKey: crypto.KeyObject, kind: SignedKind, p: SignedPoint, signatureB64: string): boolean {
  try {
    return crypto.verify(null, signedText(kind, p), publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

export class AuditSigner {
  readonly #privateKey: crypto.KeyObject;
  readonly publicKey: crypto.KeyObject;
  readonly keyId: string;

  constructor(seed: Buffer) {
    if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes');
    this.#privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    this.publicKey = crypto.createPublicKey(this.#privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  /** From the configured seed, else the data dir's key file (generated on first use). */
  static resolve(seedHex: string | undefined, dataDir: string): AuditSigner {
    if (seedHex !== undefined) return new AuditSigner(Buffer.from(seedHex, 'hex'));
    const file = path.join(dataDir, 'audit-signing-key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      try {
        fs.writeFileSync(file, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    const hex = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${file} is corrupt; set AUDIT_SIGNING_KEY or remove the file (old heads then fail to verify)`);
    return new AuditSigner(Buffer.from(hex, 'hex'));
  }

  get publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  sign(kind: SignedKind, p: SignedPoint): string {
    return crypto.sign(null, signedText(kind, p), this.#privateKey).toString('base64');
  }

  verify(kind: SignedKind, p: SignedPoint, signatureB64: string): boolean {
    return verifySigned(this.publicKey, kind, p, signatureB64);
  }
}
