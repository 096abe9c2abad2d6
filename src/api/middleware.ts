// What the REST routers share: request validation with the documented
// validation_error shape, the JSON-only guard for POST/PUT bodies, the body
// parsers, and bearer-token authentication (which also counts the request
// against the API key's rate limit).
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { FacegateError } from '../../common/errors.ts';
import type { RateLimits } from '../ratelimit/RateLimits.ts';
import type { TenantService } from '../tenants/TenantService.ts';

/** The caller a bearer token names, set by `bearerAuth` on res.locals. */
export interface Authed {
  readonly clientId: string;
  readonly keyId: string;
}

export function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query'): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    throw new FacegateError('validation_error', `invalid request ${where}`, {
      issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return r.data;
}

/**
 * Refuses a URL that does not percent-decode or that decodes to a NUL or
 * another control character, before any route reads a parameter from it
 * (PostgreSQL text cannot hold NUL; no id, token or query value has one).
 */
export function rejectMalformedUrl(req: Request, _res: Response, next: NextFunction): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(req.originalUrl);
  } catch {
    next(new FacegateError('invalid_request', 'the URL is not valid percent-encoding', { reason: 'malformed_url' }));
    return;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded)) {
    next(new FacegateError('invalid_request', 'the URL holds a control character', { reason: 'malformed_url' }));
    return;
  }
  next();
}

/** POST routes take JSON only: a missing or wrong content type is a 415, not an empty body. */
export function requireJson(req: Request, _res: Response, next: NextFunction): void {
  if (!req.is('application/json')) {
    next(new FacegateError('unsupported_media_type', 'content-type must be application/json'));
    return;
  }
  next();
}

/** Small JSON bodies (everything but frames). */
export const jsonSmall: RequestHandler = express.json({ limit: '16kb', strict: true });

/** Frame bodies: base64 data URLs (4/3 of the image) plus a little JSON. */
export function jsonFrame(maxImageBytes: number): RequestHandler {
  return express.json({ limit: Math.ceil((maxImageBytes * 4) / 3) + 4096, strict: true });
}

/** Checks the bearer token and counts the request against its API key; the caller lands in res.locals.auth. */
export function bearerAuth(tenants: TenantService, limits: RateLimits): RequestHandler {
  return async (req, res, next) => {
    const h = req.get('authorization') ?? '';
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(h);
    if (!m) throw new FacegateError('unauthorized', 'missing bearer token', { reason: 'token_missing' });
    const { claims } = await tenants.authenticate(m[1]!);
    // Per API key (the token names the key it was exchanged for).
    await limits.hitKey(claims.clientId, claims.keyId);
    res.locals.auth = { clientId: claims.clientId, keyId: claims.keyId } satisfies Authed;
    next();
  };
}

/** The caller `bearerAuth` authenticated. */
export function authed(res: Response): Authed {
  return res.locals.auth as Authed;
}
