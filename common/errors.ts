// facegate's typed errors. Every error that crosses a module boundary is a
// FacegateError with a stable `code` (part of the API contract) and the HTTP
// status the REST layer answers with. Layers subclass it in their own
// errors.ts (models/errors.ts, media/errors.ts, ...).

export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'validation_error'
  | 'rate_limit_exceeded'
  | 'internal_error'
  | 'service_unavailable'
  // image / model layer
  | 'image_empty'
  | 'image_corrupt'
  | 'image_too_small'
  | 'image_too_large'
  | 'image_unsupported'
  | 'model_missing'
  | 'model_altered'
  // media layer
  | 'sdp_invalid'
  | 'rtp_invalid'
  | 'media_worker_died'
  | 'decoder_failed'
  // liveness engine
  | 'session_not_found'
  | 'session_closed';

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_error: 422,
  rate_limit_exceeded: 429,
  internal_error: 500,
  service_unavailable: 503,
  image_empty: 422,
  image_corrupt: 422,
  image_too_small: 422,
  image_too_large: 413,
  image_unsupported: 415,
  model_missing: 503,
  model_altered: 503,
  sdp_invalid: 400,
  rtp_invalid: 400,
  media_worker_died: 503,
  decoder_failed: 500,
  session_not_found: 404,
  session_closed: 409,
};

export class FacegateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FacegateError';
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}

export function isFacegateError(e: unknown): e is FacegateError {
  return e instanceof FacegateError;
}

export function assertUnreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
