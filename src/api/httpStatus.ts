// The HTTP status of every error code, kept at the HTTP edge: the error base
// (common/errors.ts) knows no transport. Exhaustive over ErrorCode, so a new
// code fails to compile until it is given a status here.
import type { ErrorCode } from '../../common/errors.ts';

const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
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
  peer_mismatch: 403,
  session_not_found: 404,
  session_closed: 409,
};

/** The status the REST API answers an error of this code with. */
export function httpStatus(code: ErrorCode): number {
  return HTTP_STATUS[code];
}
