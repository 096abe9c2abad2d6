// Typed errors of the media layer. Codes are part of the API contract (they
// reach clients as session end reasons) and live in common/errors.ts.
import { FacegateError } from '../common/errors.ts';

export class MediaError extends FacegateError {
  constructor(
    code: 'decoder_failed' | 'media_worker_died' | 'rtp_invalid' | 'sdp_invalid' | 'service_unavailable' | 'invalid_request' | 'conflict' | 'peer_mismatch',
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, details, options);
    this.name = 'MediaError';
  }
}
