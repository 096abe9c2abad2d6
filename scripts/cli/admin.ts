// Admin CLI for tenants. With a node running on this data dir it talks to
// that node's admin API (<dataDir>/node.json, admin token from ADMIN_TOKEN or
// <dataDir>/admin-token); otherwise it opens the configured store itself
// (DATABASE_URL, or the embedded store in FACEGATE_DATA_DIR):
//   npm run admin -- create-client NAME [--json]   prints client id and API key (shown once)
//   npm run admin -- list-clients [--json]
//   npm run admin -- rename-client CLIENT_ID NAME
//   npm run admin -- add-key CLIENT_ID [--json]
//   npm run admin -- list-keys CLIENT_ID [--json]
//   npm run admin -- revoke-key CLIENT_ID KEY_ID
//   npm run admin -- rotate-key CLIENT_ID KEY_ID [--overlap SECONDS]
//   npm run admin -- delete-client CLIENT_ID       destroys its data key, users and templates
//   npm run admin -- batch                          one command per stdin line, one JSON result per line
import readline from 'node:readline';
import { loadConfig } from '../../src/config.ts';
import type { JsonObject } from '../../src/admin/AdminService.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { AdminCallError, OPS, openAdmin, type AdminSession } from './adminClient.ts';

const USAGE = `usage: npm run admin -- <command> [args] [--json]
  create-client NAME        create a client; prints {"client_id","api_key"} (the key is shown once)
  list-clients              list clients
  rename-client CLIENT_ID NAME
  add-key CLIENT_ID         issue another API key
  list-keys CLIENT_ID       list a client's keys (active, rotating, revoked)
  revoke-key CLIENT_ID KEY_ID
  rotate-key CLIENT_ID KEY_ID [--overlap SECONDS]   new key now, the old one revoked after the overlap (default 3600)
  delete-client CLIENT_ID   delete a client, its users, templates and data key
  batch                     read commands from stdin, one per line; print one JSON result per line`;

const args = parseScriptArgs({
  name: 'admin',
  usage: USAGE,
  options: {
    json: { type: 'boolean' },
    overlap: { type: 'number', default: 3600, valid: (v) => Number.isInteger(v) && v >= 0, invalid: '--overlap needs a whole number of seconds' },
  },
});

const COMMANDS = ['create-client', 'list-clients', 'rename-client', 'add-key', 'list-keys', 'revoke-key', 'rotate-key', 'delete-client'] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (c: string): c is Command => (COMMANDS as readonly string[]).includes(c);

interface Printed {
  readonly json: unknown;
  readonly text: string;
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new Error(what);
  return v;
}

async function execute(s: AdminSession, cmd: Command, rest: string[], overlapS: number): Promise<Printed> {
  switch (cmd) {
    case 'create-client': {
      const r = await s.run(OPS.createClient(need(rest.join(' ').trim(), 'create-client needs a NAME')));
      return {
        json: { client_id: r.client_id, api_key: r.api_key },
        text: `client_id: ${String(r.client_id)}\napi_key:   ${String(r.api_key)}\n(store the API key now: it is not shown again)`,
      };
    }
    case 'list-clients': {
      const cs = (await s.run(OPS.listClients())).clients as { client_id: string; name: string; created_at: string }[];
      return {
        json: cs.map((c) => ({ client_id: c.client_id, name: c.name, created_at: c.created_at })),
        text: cs.map((c) => `${c.client_id}\t${c.created_at}\t${c.name}`).join('\n'),
      };
    }
    case 'rename-client': {
      const [id, ...name] = rest;
      const r = await s.run(OPS.renameClient(need(id, 'rename-client needs CLIENT_ID NAME'), need(name.join(' ').trim(), 'rename-client needs a NAME')));
      return { json: r, text: `renamed to ${String(r.name)}` };
    }
    case 'add-key': {
      const r = await s.run(OPS.addKey(need(rest[0], 'add-key needs a CLIENT_ID')));
      return { json: { client_id: r.client_id, key_id: r.key_id, api_key: r.api_key }, text: `key_id:  ${String(r.key_id)}\napi_key: ${String(r.api_key)}` };
    }
    case 'list-keys': {
      const ks = (await s.run(OPS.listKeys(need(rest[0], 'list-keys needs a CLIENT_ID')))).keys as JsonObject[];
      return { json: ks, text: ks.map((k) => `${String(k.key_id)}\t${String(k.status)}\t${String(k.created_at)}`).join('\n') };
    }
    case 'revoke-key': {
      const [id, keyId] = rest;
      await s.run(OPS.revokeKey(need(id, 'revoke-key needs CLIENT_ID KEY_ID'), need(keyId, 'revoke-key needs CLIENT_ID KEY_ID')));
      return { json: { revoked: true }, text: 'revoked' };
    }
    case 'rotate-key': {
      const [id, keyId] = rest;
      const r = await s.run(OPS.rotateKey(need(id, 'rotate-key needs CLIENT_ID KEY_ID'), need(keyId, 'rotate-key needs CLIENT_ID KEY_ID'), overlapS));
      return { json: r, text: `key_id:  ${String(r.key_id)}\napi_key: ${String(r.api_key)}\nold key ${keyId} stops working at ${String(r.old_key_revokes_at)}` };
    }
    case 'delete-client': {
      await s.run(OPS.deleteClient(need(rest[0], 'delete-client needs a CLIENT_ID')));
      return { json: { deleted: true }, text: 'deleted (data key destroyed)' };
    }
  }
}

/** The API's "no such ..." is a normal outcome for revoke/delete (exit 1, as before), not a crash. */
function notFound(e: unknown, cmd: Command): Printed | null {
  if (!(e instanceof AdminCallError) || e.code !== 'not_found') return null;
  if (cmd === 'revoke-key') return { json: { revoked: false }, text: 'no such active key' };
  if (cmd === 'delete-client') return { json: { deleted: false }, text: 'no such client' };
  return null;
}

async function batch(s: AdminSession, overlapS: number): Promise<number> {
  let failures = 0;
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    const [cmd, ...rest] = line.trim().split(/\s+/).filter((x) => x.length > 0);
    if (!cmd) continue;
    try {
      if (!isCommand(cmd)) throw new Error(`unknown command: ${cmd}`);
      process.stdout.write(`${JSON.stringify({ ok: true, command: cmd, result: (await execute(s, cmd, rest, overlapS)).json })}\n`);
    } catch (e) {
      failures++;
      process.stdout.write(`${JSON.stringify({ ok: false, command: cmd, error: e instanceof Error ? e.message : String(e) })}\n`);
    }
  }
  return failures === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const { json, overlap: overlapS } = args.values;
  const [cmd, ...rest] = args.positionals;
  if (cmd === undefined) return args.fail('a command is required (--help for usage)');
  if (!isCommand(cmd) && cmd !== 'batch') return args.fail(`unknown command: ${cmd}`);
  const session = await openAdmin(loadConfig());
  try {
    if (cmd === 'batch') return await batch(session, overlapS);
    let printed: Printed;
    let code = 0;
    try {
      printed = await execute(session, cmd, rest, overlapS);
    } catch (e) {
      const nf = notFound(e, cmd);
      if (!nf) throw e;
      printed = nf;
      code = 1;
    }
    process.stdout.write(json ? `${JSON.stringify(printed.json)}\n` : printed.text.length > 0 ? `${printed.text}\n` : '');
    return code;
  } finally {
    await session.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`admin: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
