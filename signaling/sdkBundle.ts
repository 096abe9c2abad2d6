// Builds the browser bundles with esbuild: the SDK (global `Facegate`) and
// the demo kiosk page script. Used by scripts/cli/build-sdk.ts (to dist/sdk/) and,
// in memory, by the SDK router when no prebuilt bundle is there.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type BundleName = 'facegate.js' | 'demo.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES: Record<BundleName, { entry: string; globalName?: string }> = {
  'facegate.js': { entry: path.join(ROOT, 'signaling/sdk/index.ts'), globalName: 'Facegate' },
  'demo.js': { entry: path.join(ROOT, 'signaling/demo/demo.ts') },
};

export const DEMO_HTML_PATH = path.join(ROOT, 'signaling/demo/index.html');
export const DEFAULT_SDK_OUT_DIR = path.join(ROOT, 'dist/sdk');

/** Bundles one entry; returns the JavaScript text. */
export async function buildBundle(name: BundleName, options: { minify?: boolean } = {}): Promise<string> {
  const esbuild = await import('esbuild');
  const spec = ENTRIES[name];
  const result = await esbuild.build({
    entryPoints: [spec.entry],
    bundle: true,
    write: false,
    format: 'iife',
    ...(spec.globalName !== undefined ? { globalName: spec.globalName } : {}),
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    // zod's JIT probe (new Function) trips a CSP without 'unsafe-eval' (ours and integrators' pages): run jitless.
    banner: { js: 'globalThis.__zod_globalConfig={jitless:true};' },
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error(`esbuild produced no output for ${name}`);
  return out.text;
}

export const BUNDLE_NAMES: readonly BundleName[] = ['facegate.js', 'demo.js'];
