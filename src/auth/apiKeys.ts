// API key format and hashing. A key is `fg_<key id>_<secret>`; the server
// keeps only SHA-256(key). Keys carry 256 bits of randomness, so a fast hash
// is enough (no password stretching needed) and lookup is by hash equality.
import crypto from 'node:crypto';

const KEY_RE = /^fg_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const KEY_ID_RE = /^[a-z0-9]{12}$/;

export interface NewApiKey {
  readonly id: string;
  /** The full key: shown once, never stored. */
  readonly key: string;
  readonly hash: string;
}

export function newApiKey(): NewApiKey {
  const id = crypto.randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const key = `fg_${id}_${crypto.randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True when the string has the shape of a facegate API key (cheap pre-check before a lookup). */
export function looksLikeApiKey(key: string): boolean {
  return KEY_RE.test(key);
}

/** True when the string has the shape of an API key id (the `kid` claim of access tokens). */
export function looksLikeApiKeyId(id: unknown): id is string {
  return typeof id === 'string' && KEY_ID_RE.test(id);
}
