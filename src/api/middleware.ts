// What the REST routers share: request validation with the documented
// validation_error shape, the JSON-only guard for POST/PUT bodies, the body
// parsers, bearer-token authentication (which also counts the request
// against the API key's rate limit), and the session-token check frame
// uploads pass before their body is read.
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { FacegateError } from '../../common/errors.ts';
import { isTerminal } from '../../common/session.ts';
import type { RateLimits } from '../ratelimit/RateLimits.ts';
import type { SessionService } from '../sessions/SessionService.ts';
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

/** Small JSON bodies (everything but frames): 16 KiB, so nesting there costs little. */
export const jsonSmall: RequestHandler = express.json({ limit: '16kb', strict: true });

/** Deepest nesting a frame body may have: the documented shape is one flat object. */
export const FRAME_BODY_MAX_DEPTH = 4;

/**
 * A linear byte scan run before JSON.parse: throws as soon as objects or
 * arrays nest deeper than maxDepth outside strings. Deeply nested megabyte
 * bodies made JSON.parse hold the event loop for seconds (issue 13); this
 * refuses them after a few bytes, and a flat body costs one pass.
 */
export function assertShallowJson(buf: Buffer, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        throw new FacegateError('invalid_request', `request body nests deeper than ${maxDepth} levels`, { reason: 'body_too_deep' });
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

/** Frame bodies: base64 data URLs (4/3 of the image) plus a little JSON, checked for nesting before parsing. */
export function jsonFrame(maxImageBytes: number): RequestHandler {
  return express.json({
    limit: Math.ceil((maxImageBytes * 4) / 3) + 4096,
    strict: true,
    verify: (_req, _res, buf) => assertShallowJson(buf, FRAME_BODY_MAX_DEPTH),
  });
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

/** Frame bodies up to this size may carry their session token anywhere in the JSON. */
export const FRAME_UNAUTHENTICATED_MAX_BYTES = 64 * 1024;
/** A larger body names its session first: in a header, or as `session_token` within its first bytes. */
export const FRAME_TOKEN_PREFIX_BYTES = 4096;

const SESSION_TOKEN_HEADER = /^(?:Bearer )?([A-Za-z0-9_-]{1,200})$/;
const SESSION_TOKEN_IN_JSON = /"session_token"\s*:\s*"([A-Za-z0-9_-]{1,200})"/;

/** The session token a frame upload authenticated with before its body was read, if it came in a header. */
export function frameSessionToken(res: Response): string | undefined {
  return res.locals.frameSessionToken as string | undefined;
}

/**
 * Up to about `bytes` bytes from the start of the request body (fewer when it
 * ends first), pushed back so the body parser reads them again. Reads in
 * paused mode ('readable' + read()), so the rest stays unread in the socket;
 * the chunks go back before 'end' could be emitted, and removing the
 * listener leaves the stream for the parser's own 'data' listener.
 */
function peekBody(req: Request, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onError = (e?: Error): void => {
      req.off('readable', onReadable).off('error', onError).off('close', onError);
      reject(e ?? new FacegateError('invalid_request', 'the request body ended early', { reason: 'body_aborted' }));
    };
    const onReadable = (): void => {
      let c: Buffer | null = null;
      while (got < bytes && (c = req.read() as Buffer | null) !== null) {
        chunks.push(c);
        got += c.length;
      }
      if (got < bytes && !req.complete) return;
      req.off('readable', onReadable).off('error', onError).off('close', onError);
      const head = Buffer.concat(chunks);
      if (head.length > 0) req.unshift(head);
      resolve(head);
    };
    req.on('readable', onReadable).once('error', onError).once('close', onError);
  });
}

/**
 * Authenticates a frame upload by its session token before the body parser
 * reads the body (issue 13, defect 4: anyone could make the node read and
 * parse megabytes). The token comes in `X-Session-Token` or `Authorization:
 * Bearer`, or, in the documented JSON form, as `session_token`: anywhere in
 * a small body, within the first FRAME_TOKEN_PREFIX_BYTES of a larger one.
 * An unknown or expired token, or a large body without one, is a typed 401
 * answered without reading the rest (the connection closes); a decided
 * session is a 409.
 */
export function frameAuth(sessions: SessionService): RequestHandler {
  const check = async (token: string | undefined): Promise<void> => {
    const rec = token === undefined ? undefined : await sessions.get(token).catch(() => undefined);
    if (rec === undefined) {
      throw new FacegateError('unauthorized', 'a frame upload needs a valid session token', {
        reason: token === undefined ? 'session_token_missing' : 'session_token_invalid',
      });
    }
    if (isTerminal(rec.status)) throw new FacegateError('conflict', `session is already ${rec.status}`, { status: rec.status });
  };
  return async (req, res, next) => {
    // The documented client sends its client JWT (dotted) as Authorization
    // beside a session_token in the body: only a session-token-shaped bearer
    // names the session; a JWT leaves the body's token to decide.
    const bearer = req.get('authorization');
    const header = req.get('x-session-token') ?? (bearer !== undefined && !bearer.includes('.') ? bearer : undefined);
    try {
      if (header !== undefined) {
        const token = SESSION_TOKEN_HEADER.exec(header)?.[1];
        await check(token);
        res.locals.frameSessionToken = token;
      } else {
        const length = Number(req.get('content-length') ?? NaN);
        if (!(length <= FRAME_UNAUTHENTICATED_MAX_BYTES)) {
          const identity = (req.get('content-encoding') ?? 'identity').toLowerCase() === 'identity';
          const head = identity ? await peekBody(req, FRAME_TOKEN_PREFIX_BYTES) : Buffer.alloc(0);
          // read() hands whole chunks back: look at the documented prefix only.
          await check(SESSION_TOKEN_IN_JSON.exec(head.toString('latin1', 0, FRAME_TOKEN_PREFIX_BYTES))?.[1]);
        }
      }
    } catch (e) {
      // The rest of the body is never read: the socket closes after the answer.
      res.set('Connection', 'close');
      throw e;
    }
    next();
  };
}
