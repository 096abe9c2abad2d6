// facegate's typed errors. Every error that crosses a module boundary is a
// FacegateError {code, message, details, cause} with a stable `code` (part of
// the API contract). No transport lives here: the HTTP status of each code is
// the REST edge's table (src/api/httpStatus.ts). Layers subclass it in their
// own errors.ts (models/errors.ts, media/errors.ts, ...).

/** Every code facegate defines; a new one fails to compile until the HTTP edge gives it a status. */
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'validation_error',
  'rate_limit_exceeded',
  'internal_error',
  'service_unavailable',
  // image / model layer
  'image_empty',
  'image_corrupt',
  'image_too_small',
  'image_too_large',
  'image_unsupported',
  'model_missing',
  'model_altered',
  // media layer
  'sdp_invalid',
  'rtp_invalid',
  'media_worker_died',
  'decoder_failed',
  /** A transport presented another DTLS fingerprint than the peer the session is bound to. */
  'peer_mismatch',
  // liveness engine
  'session_not_found',
  'session_closed',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether a code received from elsewhere (another node, a log) is one facegate defines. */
export function isErrorCode(code: string): code is ErrorCode {
  return KNOWN.has(code);
}

export class FacegateError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FacegateError';
    this.code = code;
    this.details = details;
  }
}

export function isFacegateError(e: unknown): e is FacegateError {
  return e instanceof FacegateError;
}

export function assertUnreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
