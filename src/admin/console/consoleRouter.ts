// Serves the admin console at /admin: index.html for /admin and every
// /admin/* page path (the app routes in the browser), and its two bundle
// files. The bundle comes from dist/admin/ when `npm run build:sdk` made it
// and it is newer than the sources, else it is built in memory once, on the
// first request. A strict CSP goes with every answer: the bundle has no
// inline script and no eval, and talks to this origin only.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router, type Response } from 'express';
import { buildConsole, CONSOLE_FILES, CONSOLE_HTML_PATH, DEFAULT_CONSOLE_OUT_DIR, newestSourceMtime, type ConsoleFile } from './consoleBundle.ts';

export interface ConsoleRouterOptions {
  /** 'auto': dist/admin when fresh, else build; 'build': always build from source. */
  readonly bundles?: 'auto' | 'build';
  readonly outDir?: string;
}

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<ConsoleFile, string> = { 'app.js': 'application/javascript', 'app.css': 'text/css' };

export function createConsoleRouter(options: ConsoleRouterOptions = {}): Router {
  const router = Router();
  const outDir = options.outDir ?? DEFAULT_CONSOLE_OUT_DIR;
  let files: Promise<Record<ConsoleFile, string>> | null = null;
  const prebuiltIsFresh = (): boolean => {
    if (options.bundles === 'build') return false;
    const built = CONSOLE_FILES.map((f) => path.join(outDir, f));
    if (!built.every((f) => existsSync(f))) return false;
    const src = newestSourceMtime();
    return built.every((f) => statSync(f).mtimeMs >= src);
  };
  const load = (): Promise<Record<ConsoleFile, string>> => {
    if (files === null) {
      files = prebuiltIsFresh()
        ? Promise.all(CONSOLE_FILES.map((f) => readFile(path.join(outDir, f), 'utf8'))).then(([js, css]) => ({ 'app.js': js!, 'app.css': css! }))
        : buildConsole();
      files.catch(() => {
        files = null;
      });
    }
    return files;
  };
  const headers = (res: Response): Response =>
    res.set({ 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-cache' });

  for (const name of CONSOLE_FILES) {
    router.get(`/${name}`, (_req, res) => {
      load().then(
        (f) => headers(res).type(TYPES[name]).send(f[name]),
        () => res.status(500).json({ error: 'internal_error', message: 'the admin console bundle could not be built', details: {}, timestamp: new Date().toISOString() }),
      );
    });
  }
  // Every other GET below /admin is a page of the app.
  router.get(/.*/, (_req, res) => {
    readFile(CONSOLE_HTML_PATH, 'utf8').then(
      (html) => headers(res).type('html').send(html),
      () => res.status(500).end(),
    );
  });
  return router;
}
