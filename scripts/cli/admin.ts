// Admin CLI for tenants, run against the configured store (DATABASE_URL or
// the embedded store in FACEGATE_DATA_DIR):
//   npm run admin -- create-client NAME [--json]   prints client id and API key (shown once)
//   npm run admin -- list-clients [--json]
//   npm run admin -- add-key CLIENT_ID [--json]
//   npm run admin -- revoke-key CLIENT_ID KEY_ID
//   npm run admin -- delete-client CLIENT_ID       destroys its data key, users and templates
import { loadConfig } from '../../src/config.ts';
import { KeyRing } from '../../src/crypto/KeyRing.ts';
import { TokenService } from '../../src/auth/TokenService.ts';
import { resolveSecrets } from '../../src/secrets.ts';
import { openStore } from '../../src/store/openStore.ts';
import { TenantService } from '../../src/tenants/TenantService.ts';
import { openAuditLog } from '../../src/audit/openAuditLog.ts';
import { RedisStateStore } from '../../src/state/RedisStateStore.ts';

const USAGE = `usage: npm run admin -- <command> [args] [--json]
  create-client NAME        create a client; prints {"client_id","api_key"} (the key is shown once)
  list-clients              list clients
  add-key CLIENT_ID         issue another API key
  revoke-key CLIENT_ID KEY_ID
  delete-client CLIENT_ID   delete a client, its users, templates and data key`;

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [cmd, ...rest] = args;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return cmd ? 0 : 2;
  }
  if (!['create-client', 'list-clients', 'add-key', 'revoke-key', 'delete-client'].includes(cmd)) {
    process.stderr.write(`unknown command: ${cmd}\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const secrets = resolveSecrets(config);
  if (secrets.fromDataDir.length > 0) {
    process.stderr.write(`note: using generated ${secrets.fromDataDir.join(' and ')} from ${secrets.file}\n`);
  }
  const store = await openStore(config);
  try {
    const keys = KeyRing.fromHex(secrets.masterKeyHex);
    const tenants = new TenantService(store, keys, new TokenService(secrets.jwtSecret, config.service.jwtTtlS));
    const audit = openAuditLog(config, store.sql);
    const out = (obj: Record<string, unknown>, text: string): void => {
      process.stdout.write(json ? `${JSON.stringify(obj)}\n` : `${text}\n`);
    };
    switch (cmd) {
      case 'create-client': {
        const name = rest.join(' ').trim();
        if (!name) throw new Error('create-client needs a NAME');
        const c = await tenants.createClient(name);
        await audit.append('client.created', c.clientId, { name: c.name });
        out({ client_id: c.clientId, api_key: c.apiKey }, `client_id: ${c.clientId}\napi_key:   ${c.apiKey}\n(store the API key now: it is not shown again)`);
        return 0;
      }
      case 'list-clients': {
        const cs = await store.listClients();
        if (json) process.stdout.write(`${JSON.stringify(cs.map((c) => ({ client_id: c.id, name: c.name, created_at: c.createdAt })))}\n`);
        else for (const c of cs) process.stdout.write(`${c.id}\t${c.createdAt}\t${c.name}\n`);
        return 0;
      }
      case 'add-key': {
        const [clientId] = rest;
        if (!clientId) throw new Error('add-key needs a CLIENT_ID');
        const k = await tenants.addApiKey(clientId);
        await audit.append('api_key.created', clientId, { keyId: k.keyId });
        out({ client_id: clientId, key_id: k.keyId, api_key: k.apiKey }, `key_id:  ${k.keyId}\napi_key: ${k.apiKey}`);
        return 0;
      }
      case 'revoke-key': {
        const [clientId, keyId] = rest;
        if (!clientId || !keyId) throw new Error('revoke-key needs CLIENT_ID KEY_ID');
        const ok = await tenants.revokeApiKey(clientId, keyId);
        if (ok) await audit.append('api_key.revoked', clientId, { keyId });
        out({ revoked: ok }, ok ? 'revoked' : 'no such active key');
        return ok ? 0 : 1;
      }
      case 'delete-client': {
        const [clientId] = rest;
        if (!clientId) throw new Error('delete-client needs a CLIENT_ID');
        const ok = await tenants.deleteClient(clientId);
        if (ok) await audit.append('client.deleted', clientId, {});
        // Running nodes drop the client's gallery when they share Redis;
        // single nodes prune its (sealed, now unreadable) snapshot at start.
        if (ok && config.storage.redisUrl) {
          const state = await RedisStateStore.open({ url: config.storage.redisUrl });
          await state.publish({ type: 'client.deleted', clientId, templateIds: [], origin: 'admin' });
          await state.close();
        }
        out({ deleted: ok }, ok ? 'deleted (data key destroyed)' : 'no such client');
        return ok ? 0 : 1;
      }
      default:
        process.stderr.write(`unknown command: ${cmd}\n${USAGE}\n`);
        return 2;
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`admin: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
