// Verifies the audit log: its hash chain, every row against its signed head,
// that no signed head lies past the last row (a cut-off tail), and the
// pruning checkpoint. Talks to the running node when there is one (admin
// API), else opens the configured store itself.
//   npm run audit:verify [-- --json]
//   npm run audit:verify -- --public-key          prints the signing public key (PEM)
//   npm run audit:verify -- --bundle FILE --key PEM_FILE   verifies an exported bundle offline
// Exit 0 when everything checks; 1 with the first broken row's seq otherwise.
import fs from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import { AuditSigner } from '../../src/audit/AuditSigner.ts';
import { verifyBundle } from '../../src/audit/auditBundle.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { auditVerify } from './adminClient.ts';

const args = parseScriptArgs({
  name: 'audit:verify',
  usage: `usage: npm run audit:verify [-- --json]
       npm run audit:verify -- --public-key                  print the signing public key (PEM)
       npm run audit:verify -- --bundle FILE [--key PEM_FILE]  verify an exported bundle offline`,
  options: { json: { type: 'boolean' }, 'public-key': { type: 'boolean' }, bundle: { type: 'string' }, key: { type: 'string' } },
  allowPositionals: false,
});

async function main(): Promise<number> {
  const { json, bundle, key: keyFile } = args.values;
  const config = loadConfig();
  if (args.values['public-key'] && bundle === undefined) {
    process.stdout.write(AuditSigner.resolve(config.admin.auditSigningKeyHex, config.storage.dataDir).publicKeyPem);
    return 0;
  }
  if (bundle !== undefined) {
    const pem = keyFile ? fs.readFileSync(keyFile, 'utf8') : AuditSigner.resolve(config.admin.auditSigningKeyHex, config.storage.dataDir).publicKeyPem;
    const r = verifyBundle(fs.readFileSync(bundle, 'utf8'), pem);
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (r.ok) process.stdout.write(`bundle OK: ${r.rows} rows, head seq=${r.headSeq} signed by key ${r.keyId}\n`);
    else process.stdout.write(`bundle BROKEN at row seq=${r.firstBadSeq} (${r.reason}); ${r.rows} rows before it verified\n`);
    return r.ok ? 0 : 1;
  }
  const r = await auditVerify(config);
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else if (r.ok) process.stdout.write(`audit chain OK: ${r.rows} rows verified${r.checkpointSeq !== undefined ? ` after checkpoint seq=${r.checkpointSeq}` : ''}\n`);
  else process.stdout.write(`audit chain BROKEN at row seq=${r.firstBadSeq} (${r.reason}); ${r.rows} rows before it verified\n`);
  return r.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`audit:verify: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
