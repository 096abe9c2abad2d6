// The REST error shape: {error, message, details, timestamp}. `error` is one
// of the public codes (invalid_request, unauthorized, forbidden, not_found,
// conflict, validation_error, rate_limit_exceeded, internal_error,
// service_unavailable); finer internal codes (image_corrupt, ...) are kept in
// details.reason and keep their own HTTP status (413, 415).
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { FacegateError, type ErrorCode } from '../../common/errors.ts';
import { httpStatus } from './httpStatus.ts';

export type PublicErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'validation_error'
  | 'rate_limit_exceeded'
  | 'internal_error'
  | 'service_unavailable';

export interface ErrorBody {
  readonly error: PublicErrorCode;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly timestamp: string;
}

/** The public codes, in the order the OpenAPI Error schema lists them. */
export const PUBLIC_ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'validation_error',
  'rate_limit_exceeded',
  'internal_error',
  'service_unavailable',
] as const satisfies readonly PublicErrorCode[];
const PUBLIC = new Set<string>(PUBLIC_ERROR_CODES);

// Finer codes from other layers map by their HTTP status, so codes added
// later (errors.ts grows per layer) still answer with a public code.
function publicCode(code: ErrorCode): PublicErrorCode {
  if (PUBLIC.has(code)) return code as PublicErrorCode;
  const status = httpStatus(code);
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 422) return 'validation_error';
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 503) return 'service_unavailable';
  if (status >= 400 && status < 500) return 'invalid_request';
  return 'internal_error';
}

export function errorBody(e: FacegateError): ErrorBody {
  const pub = publicCode(e.code);
  const details: Record<string, unknown> = { ...(e.details ?? {}) };
  if (pub !== e.code && details.reason === undefined) details.reason = e.code;
  return { error: pub, message: e.message, details, timestamp: new Date().toISOString() };
}

/** Turns anything thrown into a FacegateError; unknown errors become internal_error. */
export function toFacegateError(err: unknown): FacegateError {
  if (err instanceof FacegateError) return err;
  const e = err as { type?: unknown; status?: unknown; message?: unknown; limit?: unknown } | null;
  // body-parser errors (express.json)
  if (e && typeof e.type === 'string') {
    if (e.type === 'entity.too.large') {
      return new FacegateError('payload_too_large', 'request body too large', { limitBytes: e.limit });
    }
    if (e.type === 'entity.parse.failed') return new FacegateError('invalid_request', 'request body is not valid JSON');
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      return new FacegateError('unsupported_media_type', 'unsupported body encoding');
    }
  }
  // Any other client error from express or a parser (http-errors sets status):
  // a bad percent-encoding in a path parameter, a body that does not inflate.
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new FacegateError('invalid_request', 'malformed request', { reason: 'malformed_request' });
  }
  return new FacegateError('internal_error', 'internal error', undefined, { cause: err });
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const fe = toFacegateError(err);
    const status = httpStatus(fe.code);
    if (status >= 500) log.error({ err: fe.cause ?? fe, code: fe.code, path: req.path }, 'request failed');
    const retryAfter = fe.details?.retryAfterS;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    if (res.headersSent) return;
    res.status(status).json(errorBody(fe));
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new FacegateError('not_found', `no route for ${req.method} ${req.path}`));
};

/**
 * http.Server 'clientError': a request node's parser refused before express
 * saw it (headers or URL over the size limit: 431; anything else: 400)
 * answers in the error shape too, instead of a bare status line.
 */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (err.code === 'ECONNRESET')) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const fe = tooLarge
    ? new FacegateError('invalid_request', 'request headers or URL too large', { reason: 'headers_too_large' })
    : new FacegateError('invalid_request', 'malformed HTTP request', { reason: 'malformed_request' });
  const body = JSON.stringify(errorBody(fe));
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
