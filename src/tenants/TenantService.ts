// Tenancy: creating and deleting clients (with their data keys), issuing and
// revoking API keys, and exchanging an API key for an access token. The
// client id every other module uses comes from here, verified.
import crypto from 'node:crypto';
import { FacegateError } from '../../common/errors.ts';
import type { KeyRing } from '../crypto/KeyRing.ts';
import type { ClientRecord, Store } from '../store/Store.ts';
import { hashApiKey, looksLikeApiKey, newApiKey } from '../auth/apiKeys.ts';
import type { ClientClaims, TokenService } from '../auth/TokenService.ts';

export interface CreatedClient {
  readonly clientId: string;
  readonly name: string;
  /** Shown once. */
  readonly apiKey: string;
}

export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly clientId: string;
  readonly keyId: string;
}

export class TenantService {
  readonly #store: Store;
  readonly #keys: KeyRing;
  readonly #tokens: TokenService;

  constructor(store: Store, keys: KeyRing, tokens: TokenService) {
    this.#store = store;
    this.#keys = keys;
    this.#tokens = tokens;
  }

  async createClient(name: string): Promise<CreatedClient> {
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
      throw new FacegateError('validation_error', 'client name must be 1-200 characters');
    }
    const clientId = `cl_${crypto.randomBytes(12).toString('hex')}`;
    const wrappedKey = this.#keys.newClientKey(clientId);
    await this.#store.createClient({ id: clientId, name: name.trim(), wrappedKey });
    const k = newApiKey();
    await this.#store.addApiKey({ id: k.id, clientId, keyHash: k.hash });
    return { clientId, name: name.trim(), apiKey: k.key };
  }

  async addApiKey(clientId: string): Promise<{ keyId: string; apiKey: string }> {
    if (!(await this.#store.getClient(clientId))) throw new FacegateError('not_found', 'no such client');
    const k = newApiKey();
    await this.#store.addApiKey({ id: k.id, clientId, keyHash: k.hash });
    return { keyId: k.id, apiKey: k.key };
  }

  async revokeApiKey(clientId: string, keyId: string): Promise<boolean> {
    return this.#store.revokeApiKey(clientId, keyId);
  }

  /** Deletes the client; its wrapped data key goes with the row and the cached key is zeroed. */
  async deleteClient(clientId: string): Promise<boolean> {
    const ok = await this.#store.deleteClient(clientId);
    this.#keys.forget(clientId);
    return ok;
  }

  /** API key -> access token. Unknown, malformed and revoked keys all read the same. */
  async exchangeApiKey(apiKey: string): Promise<IssuedToken> {
    const rec = looksLikeApiKey(apiKey) ? await this.#store.findApiKey(hashApiKey(apiKey)) : null;
    if (!rec) throw new FacegateError('unauthorized', 'invalid API key', { reason: 'api_key_invalid' });
    return {
      accessToken: this.#tokens.issue(rec.clientId, rec.id),
      tokenType: 'Bearer',
      expiresIn: this.#tokens.ttlS,
      clientId: rec.clientId,
      keyId: rec.id,
    };
  }

  /**
   * Bearer token -> a live client and API key: tokens of a deleted client or
   * of a revoked key stop working at once, not when they expire.
   */
  async authenticate(token: string): Promise<{ claims: ClientClaims; client: ClientRecord }> {
    const claims = this.#tokens.verify(token);
    const client = await this.#store.getClient(claims.clientId);
    if (!client) throw new FacegateError('unauthorized', 'invalid access token', { reason: 'client_unknown' });
    const key = await this.#store.getApiKey(claims.clientId, claims.keyId);
    if (!key || key.revokedAt !== null) {
      throw new FacegateError('unauthorized', 'invalid access token', { reason: key ? 'api_key_revoked' : 'api_key_unknown' });
    }
    this.#keys.load(client.id, client.wrappedKey);
    return { claims, client };
  }

  /** Loads a client's data key (for work started from a session token rather than a bearer token). */
  async loadClientKey(clientId: string): Promise<ClientRecord> {
    const client = await this.#store.getClient(clientId);
    if (!client) throw new FacegateError('not_found', 'no such client');
    this.#keys.load(client.id, client.wrappedKey);
    return client;
  }
}
