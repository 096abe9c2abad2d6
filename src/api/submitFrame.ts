// The frame-upload use case: one client frame (a data URL) for a session,
// from the REST process-frame routes and the frame WebSocket alike. The
// session is looked up (and a decided one refused) before any decoding
// work, the upload is counted against the session's own rate budget, and the image is decoded where it is
// analysed, on first use (a node that forwards the upload to its session's
// owner never decodes it).
import { performance } from 'node:perf_hooks';
import { FacegateError } from '../../common/errors.ts';
import { isTerminal, type SessionKind } from '../../common/session.ts';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics/Metrics.ts';
import type { RateLimits } from '../ratelimit/RateLimits.ts';
import { decodeUpload, parseDataUrl } from '../sessions/frameDecoder.ts';
import { encodedFrameInput } from '../sessions/SessionEngine.ts';
import type { FrameResult, SessionService } from '../sessions/SessionService.ts';

export interface SubmitFrameDeps {
  readonly config: Config;
  readonly sessions: SessionService;
  readonly limits: RateLimits;
  readonly metrics: Metrics;
}

/**
 * Runs one uploaded frame through the session's engine. `kind`: the kind the
 * caller's route is for (a mismatch is invalid_request); undefined takes the
 * session's own (the WebSocket knows only the token).
 */
export async function submitFrame(deps: SubmitFrameDeps, token: string, image: string, kind?: SessionKind): Promise<FrameResult> {
  const { config, sessions, limits, metrics } = deps;
  // Unknown or decided session before any budget or decoding work.
  const current = await sessions.get(token);
  if (isTerminal(current.status)) throw new FacegateError('conflict', `session is already ${current.status}`, { status: current.status });
  // Frames come from the end user's device with a session token: counted
  // against the session's own budget, so they cannot spend the API key's.
  await limits.hit('session', current.id);
  const { mime, bytes } = parseDataUrl(image, { maxBytes: config.service.maxImageBytes });
  const input = encodedFrameInput({ mime, bytes }, async () => {
    const t0 = performance.now();
    const frame = await decodeUpload(bytes, mime);
    metrics.stageLatency.observe({ stage: 'decode' }, (performance.now() - t0) / 1000);
    return frame;
  });
  return sessions.processFrame(token, kind ?? current.kind, input);
}
