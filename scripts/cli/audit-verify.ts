// Verifies the audit log's hash chain in the configured store:
//   npm run audit:verify [-- --json]
// Exit 0 when every row checks; 1 with the first broken row's seq otherwise.
import { loadConfig } from '../../src/config.ts';
import { AuditLog } from '../../src/audit/AuditLog.ts';
import { openStore } from '../../src/store/openStore.ts';
import { parseScriptArgs } from '../lib/args.ts';

const args = parseScriptArgs({
  name: 'audit:verify',
  usage: 'usage: npm run audit:verify [-- --json]',
  options: { json: { type: 'boolean' } },
  allowPositionals: false,
});

async function main(): Promise<number> {
  const { json } = args.values;
  const store = await openStore(loadConfig());
  try {
    const r = await new AuditLog(store.sql).verify();
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (r.ok) process.stdout.write(`audit chain OK: ${r.rows} rows verified\n`);
    else process.stdout.write(`audit chain BROKEN at row seq=${r.firstBadSeq} (${r.reason}); ${r.rows} rows before it verified\n`);
    return r.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`audit:verify: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
