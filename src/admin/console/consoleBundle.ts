// Builds the admin console (preact + uPlot, app/main.tsx) with esbuild into
// two files, app.js and app.css; index.html names them. Used by
// scripts/cli/build-sdk.ts (to dist/admin/) and, in memory, by the console
// router when no prebuilt bundle is there or the sources are newer.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ConsoleFile = 'app.js' | 'app.css';
export const CONSOLE_FILES: readonly ConsoleFile[] = ['app.js', 'app.css'];

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
export const CONSOLE_HTML_PATH = path.join(HERE, 'index.html');
export const DEFAULT_CONSOLE_OUT_DIR = path.join(ROOT, 'dist/admin');
const ENTRY = path.join(HERE, 'app/main.tsx');

/** Bundles the console; returns each output file's text. */
export async function buildConsole(options: { minify?: boolean } = {}): Promise<Record<ConsoleFile, string>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: ENTRY },
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const out: Partial<Record<ConsoleFile, string>> = {};
  for (const f of result.outputFiles) {
    const name = path.basename(f.path);
    if (name === 'app.js' || name === 'app.css') out[name] = f.text;
  }
  if (out['app.js'] === undefined || out['app.css'] === undefined) throw new Error('esbuild did not produce app.js and app.css for the admin console');
  return out as Record<ConsoleFile, string>;
}

/** The newest modification time (ms) of the console's sources. */
export function newestSourceMtime(dir: string = HERE): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSourceMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}
