// npm run build:sdk — bundles the browser SDK (dist/sdk/facegate.js, global
// `Facegate`) and the demo kiosk script (dist/sdk/demo.js) with esbuild.
// The server serves these when present, else builds them in memory.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUNDLE_NAMES, buildBundle, DEFAULT_SDK_OUT_DIR } from '../../signaling/sdkBundle.ts';
import { parseScriptArgs } from '../lib/args.ts';

const args = parseScriptArgs({ name: 'build:sdk', usage: 'usage: npm run build:sdk [-- OUT_DIR]   (default dist/sdk)', options: {} });
if (args.positionals.length > 1) args.fail('one OUT_DIR only');
const outDir = args.positionals[0] !== undefined ? path.resolve(args.positionals[0]) : DEFAULT_SDK_OUT_DIR;
await mkdir(outDir, { recursive: true });
for (const name of BUNDLE_NAMES) {
  const t0 = performance.now();
  const js = await buildBundle(name);
  await writeFile(path.join(outDir, name), js);
  console.log(`${path.join(outDir, name)}  ${(js.length / 1024).toFixed(0)} KiB  ${(performance.now() - t0).toFixed(0)} ms`);
}
