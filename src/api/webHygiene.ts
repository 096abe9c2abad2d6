// Web hygiene for every HTTP response this server sends: helmet's security
// headers with one Content-Security-Policy that the demo kiosk, the SDK,
// Swagger UI, ReDoc and the admin console all pass (scripts and styles from
// this origin only, no inline script), and CORS for an allow-list of origins
// (CORS_ALLOWED_ORIGINS, none by default). The composition root puts it in
// front of everything (SDK and demo page included); createApp puts it in
// front of the REST API, so the app is covered when served on its own. It
// runs once per response either way.
import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export interface WebHygieneOptions {
  /** Browser origins allowed cross-origin; empty: no CORS headers for anyone. */
  readonly corsAllowedOrigins: readonly string[];
}

/**
 * The CSP directives. style-src allows inline styles: the demo page, Swagger
 * UI and ReDoc (styled-components) carry <style> blocks. Scripts never run
 * inline. blob: workers are ReDoc's search worker; mediastream:/blob: media is
 * the kiosk's camera preview. No upgrade-insecure-requests: a self-hosted
 * server on a LAN may be plain HTTP.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[] | null>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'media-src': ["'self'", 'blob:', 'mediastream:'],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'upgrade-insecure-requests': null,
};

const DONE = Symbol('facegate.webHygiene');

export function webHygiene(options: WebHygieneOptions): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // The SDK is loaded by integrators' pages on other origins.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  const allowed = new Set(options.corsAllowedOrigins);
  const corsHandler = cors({
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key'],
    // A browser client backs off on 429 only if it can read this.
    exposedHeaders: ['Retry-After'],
    maxAge: 600,
  });
  return (req, res, next) => {
    const locals = res.locals as Record<symbol, boolean>;
    if (locals[DONE] === true) {
      next();
      return;
    }
    locals[DONE] = true;
    headers(req, res, (err?: unknown) => {
      if (err !== undefined) {
        next(err);
        return;
      }
      if (req.path.startsWith('/sdk/')) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      corsHandler(req, res, next);
    });
  };
}

/** express's `trust proxy` value for the configured setting (a list becomes proxy-addr's array form). */
export function trustProxySetting(v: boolean | number | readonly string[]): boolean | number | string[] {
  return typeof v === 'boolean' || typeof v === 'number' ? v : [...v];
}
