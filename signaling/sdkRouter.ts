// Express router that serves the browser SDK at /sdk/facegate.js, the demo
// kiosk page at / (script /sdk/demo.js) and, when the composition root gives
// a token issuer, POST /demo/session for the demo page (the visitor's demo
// credential rides in an HttpOnly cookie, so each visitor is its own subject). Bundles come from
// dist/sdk/ when `npm run build:sdk` made them, else they are built in memory
// once, on first request.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { BUNDLE_NAMES, buildBundle, DEFAULT_SDK_OUT_DIR, DEMO_HTML_PATH, type BundleName } from './sdkBundle.ts';

export interface SdkRouterOptions {
  /** 'auto': dist/sdk if present, else build; 'build': always build from source (tests). */
  readonly bundles?: 'auto' | 'build';
  readonly outDir?: string;
  /** Issues a demo session token; without it the demo page needs ?token=. */
  readonly demoSession?: (visitorIp: string, visitor: string | undefined) => Promise<{ token: string; subject: string; visitor: string; visitorExpires: Date }>;
  /** Serve the demo page at / (default true). */
  readonly serveDemo?: boolean;
}

/** The cookie holding the demo visitor credential. */
export const DEMO_VISITOR_COOKIE = 'facegate_demo';

/** One cookie's value from a Cookie header (the credential is URL-safe, so no decoding). */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function createSdkRouter(options: SdkRouterOptions = {}): Router {
  const router = Router();
  const outDir = options.outDir ?? DEFAULT_SDK_OUT_DIR;
  const cache = new Map<BundleName, Promise<string>>();
  const load = (name: BundleName): Promise<string> => {
    let p = cache.get(name);
    if (p === undefined) {
      const file = path.join(outDir, name);
      p = options.bundles !== 'build' && existsSync(file) ? readFile(file, 'utf8') : buildBundle(name);
      p.catch(() => cache.delete(name));
      cache.set(name, p);
    }
    return p;
  };
  for (const name of BUNDLE_NAMES) {
    router.get(`/sdk/${name}`, (_req: Request, res: Response) => {
      load(name).then(
        (js) => {
          res.type('application/javascript').set('Cache-Control', 'no-cache').send(js);
        },
        () => res.status(500).json({ error: { code: 'internal_error', message: 'the SDK bundle could not be built' } }),
      );
    });
  }
  if (options.serveDemo !== false) {
    router.get('/', (_req: Request, res: Response) => {
      readFile(DEMO_HTML_PATH, 'utf8').then(
        (html) => res.type('html').set('Cache-Control', 'no-cache').send(html),
        () => res.status(500).end(),
      );
    });
  }
  const demoSession = options.demoSession;
  if (demoSession !== undefined) {
    // Errors go to the host's error handler, which answers in the REST error shape.
    router.post('/demo/session', (req: Request, res: Response, next: NextFunction) => {
      demoSession(req.ip ?? 'unknown', cookieValue(req.headers.cookie, DEMO_VISITOR_COOKIE)).then((s) => {
        res.cookie(DEMO_VISITOR_COOKIE, s.visitor, { httpOnly: true, sameSite: 'strict', path: '/', expires: s.visitorExpires, encode: String });
        res.json({ token: s.token, subject: s.subject });
      }, next);
    });
  }
  return router;
}
