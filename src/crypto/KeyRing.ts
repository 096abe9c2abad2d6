// Envelope encryption for templates and webhook signing secrets. Each client has a random 256-bit data
// key; only its wrapped form (AES-256-GCM under the master key, bound to the
// client id as associated data) is stored, in the client's row. Deleting the
// client row destroys the only copy of the wrapped key, which makes any
// leftover template ciphertext (backups, snapshots) unreadable.
// Template blobs: version byte | 12-byte IV | 16-byte tag | ciphertext, with
// `client id + template id` as associated data so a blob cannot be moved to
// another client or template undetected. Webhook secrets use the same blob
// format with `client id + webhook id` as associated data.
import crypto from 'node:crypto';
import { FacegateError } from '../../common/errors.ts';

const VERSION = 1;
const IV_LEN = 12;
const TAG_LEN = 16;
const HEADER = 1 + IV_LEN + TAG_LEN;

function seal(key: Buffer, plain: Buffer, aad: string): Buffer {
  const iv = crypto.randomBytes(IV_LEN);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
}

function open(key: Buffer, blob: Buffer, aad: string, what: string): Buffer {
  if (blob.length < HEADER || blob[0] !== VERSION) {
    throw new FacegateError('internal_error', `${what} is malformed`, { reason: 'ciphertext_malformed' });
  }
  const d = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_LEN));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(blob.subarray(1 + IV_LEN, HEADER));
  try {
    return Buffer.concat([d.update(blob.subarray(HEADER)), d.final()]);
  } catch (e) {
    throw new FacegateError('internal_error', `${what} failed authentication (tampered or wrong key)`, {
      reason: 'ciphertext_tampered',
    }, { cause: e });
  }
}

export class KeyRing {
  readonly #master: Buffer;
  /** Unwrapped data keys by client id; cleared on forget(). */
  readonly #keys = new Map<string, Buffer>();

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new TypeError('master key must be 32 bytes');
    this.#master = Buffer.from(masterKey);
  }

  static fromHex(hex: string): KeyRing {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError('master key must be 64 hex characters');
    return new KeyRing(Buffer.from(hex, 'hex'));
  }

  /** A fresh data key for a new client, returned wrapped (to store) and cached unwrapped. */
  newClientKey(clientId: string): Buffer {
    const dk = crypto.randomBytes(32);
    this.#keys.set(clientId, dk);
    return seal(this.#master, dk, `client-key:${clientId}`);
  }

  /** Unwraps and caches a client's data key. Throws if it was wrapped under another master key or client. */
  load(clientId: string, wrapped: Buffer): void {
    if (this.#keys.has(clientId)) return;
    const dk = open(this.#master, wrapped, `client-key:${clientId}`, 'client data key');
    if (dk.length !== 32) throw new FacegateError('internal_error', 'client data key has a bad length');
    this.#keys.set(clientId, dk);
  }

  has(clientId: string): boolean {
    return this.#keys.has(clientId);
  }

  /** Drops the cached key (client deleted); zeroes it first. */
  forget(clientId: string): void {
    const k = this.#keys.get(clientId);
    if (k) k.fill(0);
    this.#keys.delete(clientId);
  }

  encryptTemplate(clientId: string, templateId: string, embedding: Float32Array): Buffer {
    const plain = Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength);
    return seal(this.#key(clientId), plain, `template:${clientId}:${templateId}`);
  }

  decryptTemplate(clientId: string, templateId: string, blob: Buffer): Float32Array {
    const plain = open(this.#key(clientId), blob, `template:${clientId}:${templateId}`, 'template');
    if (plain.length % 4 !== 0) throw new FacegateError('internal_error', 'template plaintext has a bad length');
    const out = new Float32Array(plain.length / 4);
    Buffer.from(out.buffer).set(plain);
    return out;
  }

  encryptWebhookSecret(clientId: string, webhookId: string, secret: string): Buffer {
    return seal(this.#key(clientId), Buffer.from(secret, 'utf8'), `webhook-secret:${clientId}:${webhookId}`);
  }

  /** Throws FacegateError (reason ciphertext_tampered / ciphertext_malformed / key_not_loaded) when it cannot. */
  decryptWebhookSecret(clientId: string, webhookId: string, blob: Buffer): string {
    return open(this.#key(clientId), blob, `webhook-secret:${clientId}:${webhookId}`, 'webhook secret').toString('utf8');
  }

  /** Key for the client's gallery snapshot files, derived from its data key (dies with it). */
  snapshotKey(clientId: string): Buffer {
    return crypto.createHmac('sha256', this.#key(clientId)).update('gallery-snapshot-v1').digest();
  }

  #key(clientId: string): Buffer {
    const k = this.#keys.get(clientId);
    if (!k) throw new FacegateError('internal_error', 'client data key not loaded', { reason: 'key_not_loaded' });
    return k;
  }
}
