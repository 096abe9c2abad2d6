// The admin commands behind `npm run admin` and `npm run audit:verify`. When a
// node runs on this data dir (<dataDir>/node.json names a live pid) they go
// through its admin API with the admin token; only when none runs do they
// open the store themselves (embedded: taking the data dir's lock) and run
// the same AdminService methods the API runs. Output is the same either way.
import { openAuditLog } from '../../src/audit/openAuditLog.ts';
import type { VerifyResult } from '../../src/audit/AuditLog.ts';
import { resolveAdminToken } from '../../src/admin/adminAuth.ts';
import { AdminService, type JsonObject } from '../../src/admin/AdminService.ts';
import { runningNode } from '../../src/admin/nodeFile.ts';
import { TokenService } from '../../src/auth/TokenService.ts';
import type { Config } from '../../src/config.ts';
import { KeyRing } from '../../src/crypto/KeyRing.ts';
import { resolveSecrets } from '../../src/secrets.ts';
import { RedisStateStore } from '../../src/state/RedisStateStore.ts';
import { openStore } from '../../src/store/openStore.ts';
import { TenantService } from '../../src/tenants/TenantService.ts';

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One admin operation, as an HTTP call on the node and as a method on a local AdminService. */
interface Op {
  readonly method: HttpMethod;
  readonly path: string;
  readonly body?: Record<string, unknown>;
  readonly local: (a: AdminService) => Promise<JsonObject> | JsonObject;
}

/** An admin call failed the way the API reports it (not found, validation, ...). */
export class AdminCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminCallError';
  }
}

export interface AdminSession {
  readonly via: 'node' | 'store';
  run(op: Op): Promise<JsonObject>;
  close(): Promise<void>;
}

async function nodeSession(config: Config): Promise<AdminSession | null> {
  const node = runningNode(config.storage.dataDir);
  if (!node) return null;
  const cred = resolveAdminToken(config, { generate: false });
  if (!cred) throw new Error(`a node runs (pid ${node.pid}) but there is no admin token: set ADMIN_TOKEN as the node has it`);
  const call = async (op: Op): Promise<JsonObject> => {
    const res = await fetch(`${node.url}/api/admin${op.path}`, {
      method: op.method,
      headers: { authorization: `Bearer ${cred.token}`, ...(op.body ? { 'content-type': 'application/json' } : {}) },
      ...(op.body ? { body: JSON.stringify(op.body) } : {}),
    });
    const body = (await res.json().catch(() => ({}))) as JsonObject;
    if (!res.ok) throw new AdminCallError(String(body.error ?? res.status), String(body.message ?? `HTTP ${res.status}`));
    return body;
  };
  // A node that is starting or stopping may not answer yet: then the store decides (its lock tells).
  try {
    await call({ method: 'GET', path: '/system', local: (a) => a.system() });
  } catch (e) {
    if (e instanceof AdminCallError) throw e;
    return null;
  }
  return { via: 'node', run: call, close: async () => {} };
}

async function storeSession(config: Config, holder: string): Promise<AdminSession> {
  const secrets = resolveSecrets(config);
  if (secrets.fromDataDir.length > 0) {
    process.stderr.write(`note: using generated ${secrets.fromDataDir.join(' and ')} from ${secrets.file}\n`);
  }
  // Several CLIs without a node queue on the embedded store's lock for a while instead of failing.
  const store = await openStore(config, { lock: { holder, waitMs: 15_000 } });
  const keys = KeyRing.fromHex(secrets.masterKeyHex);
  const tenants = new TenantService(store, keys, new TokenService(secrets.jwtSecret, config.service.jwtTtlS));
  const audit = openAuditLog(config, store.sql);
  const admin = new AdminService({
    config,
    store,
    tenants,
    audit,
    // No gallery here: running nodes drop the client when they share Redis;
    // a single node prunes its (sealed, now unreadable) snapshot at start.
    dropClient: async (clientId) => {
      if (!config.storage.redisUrl) return;
      const state = await RedisStateStore.open({ url: config.storage.redisUrl });
      await state.publish({ type: 'client.deleted', clientId, templateIds: [], origin: 'admin' });
      await state.close();
    },
  });
  return {
    via: 'store',
    run: async (op) => {
      try {
        return await op.local(admin);
      } catch (e) {
        const fe = e as { code?: unknown; message?: unknown };
        if (typeof fe.code === 'string' && typeof fe.message === 'string') throw new AdminCallError(fe.code, fe.message);
        throw e;
      }
    },
    close: async () => {
      await audit.flush();
      await store.close();
    },
  };
}

/** The running node's admin API when there is one, else the store. */
export async function openAdmin(config: Config, holder = 'admin CLI'): Promise<AdminSession> {
  return (await nodeSession(config)) ?? (await storeSession(config, holder));
}

const enc = encodeURIComponent;

/** The operations the CLI exposes, by command name. */
export const OPS = {
  createClient: (name: string): Op => ({ method: 'POST', path: '/clients', body: { name }, local: (a) => a.createClient(name) }),
  listClients: (): Op => ({ method: 'GET', path: '/clients', local: (a) => a.listClients() }),
  renameClient: (id: string, name: string): Op => ({ method: 'PATCH', path: `/clients/${enc(id)}`, body: { name }, local: (a) => a.renameClient(id, name) }),
  deleteClient: (id: string): Op => ({ method: 'DELETE', path: `/clients/${enc(id)}`, local: (a) => a.deleteClient(id) }),
  listKeys: (id: string): Op => ({ method: 'GET', path: `/clients/${enc(id)}/keys`, local: (a) => a.listKeys(id) }),
  addKey: (id: string): Op => ({ method: 'POST', path: `/clients/${enc(id)}/keys`, local: (a) => a.createKey(id) }),
  revokeKey: (id: string, keyId: string): Op => ({
    method: 'POST',
    path: `/clients/${enc(id)}/keys/${enc(keyId)}/revoke`,
    local: (a) => a.revokeKey(id, keyId),
  }),
  rotateKey: (id: string, keyId: string, overlapS: number): Op => ({
    method: 'POST',
    path: `/clients/${enc(id)}/keys/${enc(keyId)}/rotate`,
    body: { overlap_s: overlapS },
    local: (a) => a.rotateKey(id, keyId, overlapS),
  }),
  auditVerify: (): Op => ({ method: 'GET', path: '/audit/verify', local: (a) => a.auditVerify() }),
} as const;

/** audit:verify: through the node when one runs, else on the store. */
export async function auditVerify(config: Config): Promise<VerifyResult> {
  const s = await openAdmin(config, 'audit:verify');
  try {
    const r = await s.run(OPS.auditVerify());
    // key_id is the API's addition; the verdict is the AuditLog's.
    const { key_id: _keyId, ...verdict } = r as JsonObject & { key_id?: unknown };
    return verdict as unknown as VerifyResult;
  } finally {
    await s.close();
  }
}
