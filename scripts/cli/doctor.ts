// `npm run doctor`: one line per native part, `OK <part> <detail>` or
// `FAIL <part> <reason and fix>`; exit 1 on any FAIL. Parts that are not
// configured (REDIS_URL unset) print `OK <part> not configured: ...`.
import { loadConfig } from '../../src/config.ts';
import { runDoctor } from '../../src/doctor.ts';
import { parseScriptArgs } from '../lib/args.ts';

parseScriptArgs({ name: 'doctor', usage: 'usage: npm run doctor   checks the native parts, one line each; exit 1 on any FAIL', options: {}, allowPositionals: false });

const cfg = loadConfig();
const results = await runDoctor({
  databaseUrl: cfg.storage.databaseUrl,
  redisUrl: cfg.storage.redisUrl,
  modelsDir: cfg.models.dir,
});
let failed = 0;
for (const r of results) {
  const ms = `(${Math.round(r.ms)} ms)`;
  if (r.status === 'fail') failed++;
  const head = r.status === 'fail' ? 'FAIL' : 'OK';
  const detail = r.status === 'skip' ? `not configured: ${r.detail}` : r.detail;
  console.log(`${head} ${r.part} ${detail} ${ms}`);
}
process.exit(failed > 0 ? 1 : 0);
