// npm run build:sdk — bundles the browser SDK (dist/sdk/facegate.js, global
// `Facegate`), the demo kiosk script (dist/sdk/demo.js) and the admin console
// (dist/admin/app.js, app.css) with esbuild. The server serves these when
// present, else builds them in memory.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUNDLE_NAMES, buildBundle, DEFAULT_SDK_OUT_DIR } from '../../signaling/sdkBundle.ts';
import { buildConsole, CONSOLE_FILES, DEFAULT_CONSOLE_OUT_DIR } from '../../src/admin/console/consoleBundle.ts';
import { parseScriptArgs } from '../lib/args.ts';

const args = parseScriptArgs({
  name: 'build:sdk',
  usage: 'usage: npm run build:sdk [-- OUT_DIR [CONSOLE_OUT_DIR]]   (default dist/sdk, dist/admin)',
  options: {},
});
if (args.positionals.length > 2) args.fail('OUT_DIR and CONSOLE_OUT_DIR only');
const outDir = args.positionals[0] !== undefined ? path.resolve(args.positionals[0]) : DEFAULT_SDK_OUT_DIR;
const consoleDir = args.positionals[1] !== undefined ? path.resolve(args.positionals[1]) : DEFAULT_CONSOLE_OUT_DIR;

async function write(file: string, text: string, t0: number): Promise<void> {
  await writeFile(file, text);
  console.log(`${file}  ${(text.length / 1024).toFixed(0)} KiB  ${(performance.now() - t0).toFixed(0)} ms`);
}

await mkdir(outDir, { recursive: true });
for (const name of BUNDLE_NAMES) {
  const t0 = performance.now();
  await write(path.join(outDir, name), await buildBundle(name), t0);
}
await mkdir(consoleDir, { recursive: true });
const t0 = performance.now();
const files = await buildConsole();
for (const name of CONSOLE_FILES) await write(path.join(consoleDir, name), files[name], t0);
