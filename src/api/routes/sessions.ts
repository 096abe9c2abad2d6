// Session routes: create an enrollment or authentication session, submit a
// frame over REST (the fallback to the live WebRTC path), read a session's
// status, cancel it. Frame uploads authenticate by session token (checked
// before the body is read) and count against their session's own budget,
// never the API key's; an upload for a decided session is refused before it
// is counted anywhere.
import { performance } from 'node:perf_hooks';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../../config.ts';
import type { Metrics } from '../../metrics/Metrics.ts';
import type { RateLimits } from '../../ratelimit/RateLimits.ts';
import { decodeUpload, parseDataUrl } from '../../sessions/frameDecoder.ts';
import { encodedFrameInput } from '../../sessions/SessionEngine.ts';
import { FacegateError } from '../../../common/errors.ts';
import { isTerminal, type SessionKind, type SessionRecord } from '../../../common/session.ts';
import type { SessionService } from '../../sessions/SessionService.ts';
import { iceServersFor } from '../../../turn/turnCredentials.ts';
import { authed, frameAuth, frameSessionToken, jsonFrame, jsonSmall, parse, requireJson } from '../middleware.ts';
import { AuthenticationBody, EnrollmentBody, ProcessFrameBody } from '../schemas.ts';

export interface SessionRouteDeps {
  readonly config: Config;
  readonly sessions: SessionService;
  readonly limits: RateLimits;
  readonly metrics: Metrics;
  /** Keyed HMAC for IPs (audit never sees raw addresses). */
  readonly hashIp: (ip: string) => string;
  /** Base URL clients reach this server at (signaling URL); default: config, then the request. */
  readonly publicUrl?: string | undefined;
  /** Bearer-token authentication (session creation only). */
  readonly auth: RequestHandler;
}

/** A session as the REST API shows it. */
export function sessionView(s: SessionRecord, required: number) {
  return {
    session_id: s.id,
    kind: s.kind,
    status: s.status,
    external_user_id: s.externalUserId,
    expires_at: new Date(s.expiresAt).toISOString(),
    frames_processed: s.framesProcessed,
    feedback: s.lastFeedback,
    progress: s.kind === 'enrollment' ? { samples: s.samples.length, required } : null,
    decision: s.decision
      ? {
          outcome: s.decision.outcome,
          reason: s.decision.reason,
          external_user_id: s.decision.externalUserId,
          similarity: s.decision.similarity,
          scores: s.decision.scores,
          timings_ms: s.decision.timings,
          decided_at: new Date(s.decision.decidedAt).toISOString(),
        }
      : null,
  };
}

function createSession(deps: SessionRouteDeps, kind: SessionKind) {
  const { config } = deps;
  const baseUrl = (req: Request): string => deps.publicUrl ?? config.server.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return async (req: Request, res: Response): Promise<void> => {
    const { clientId, keyId } = authed(res);
    const externalUserId =
      kind === 'enrollment'
        ? parse(EnrollmentBody, req.body, 'body').external_user_id
        : (parse(AuthenticationBody, req.body, 'body').external_user_id ?? null);
    const s = await deps.sessions.create({ clientId, keyId, kind, externalUserId, ipHash: deps.hashIp(req.ip ?? '') });
    res.status(201).json({
      session_id: s.id,
      session_token: s.token,
      kind: s.kind,
      mode: kind === 'enrollment' ? 'enrollment' : externalUserId === null ? 'identification' : 'verification',
      external_user_id: s.externalUserId,
      signaling_url: baseUrl(req),
      ice_servers: iceServersFor(config.media, s.id),
      expires_at: new Date(s.expiresAt).toISOString(),
      config: {
        frame_rate: config.media.frameRate,
        enroll_samples: config.service.enrollSamples,
        max_image_bytes: config.service.maxImageBytes,
        process_frame_url: `${baseUrl(req)}/api/auth/${kind}/process-frame`,
      },
    });
  };
}

function processFrame(deps: SessionRouteDeps, kind: SessionKind) {
  const { config, sessions, limits, metrics } = deps;
  return async (req: Request, res: Response): Promise<void> => {
    // A token given in a header (checked before the body was read) stands for the body's.
    const headerToken = frameSessionToken(res);
    const raw: unknown = req.body;
    const given = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).session_token : undefined;
    if (headerToken !== undefined && given !== undefined && given !== headerToken) {
      throw new FacegateError('invalid_request', 'the body names another session than the header', { reason: 'session_token_mismatch' });
    }
    const body = parse(ProcessFrameBody, headerToken === undefined ? raw : { ...(raw as object), session_token: headerToken }, 'body');
    // Unknown or decided session before any budget or decoding work.
    const current = await sessions.get(body.session_token);
    if (isTerminal(current.status)) throw new FacegateError('conflict', `session is already ${current.status}`, { status: current.status });
    // Frames come from the end user's device with a session token: counted
    // against the session's own budget, so they cannot spend the API key's.
    await limits.hit('session', current.id);
    const { mime, bytes } = parseDataUrl(body.image, { maxBytes: config.service.maxImageBytes });
    // Decoded where it is analysed, on first use: a node that forwards the
    // upload to its session's owner sends these bytes and never decodes them.
    const input = encodedFrameInput({ mime, bytes }, async () => {
      const t0 = performance.now();
      const frame = await decodeUpload(bytes, mime);
      metrics.stageLatency.observe({ stage: 'decode' }, (performance.now() - t0) / 1000);
      return frame;
    });
    const r = await sessions.processFrame(body.session_token, kind, input);
    res.json({ ...sessionView(r.session, config.service.enrollSamples), feedback: r.feedback, ...(r.prompts ? { prompts: r.prompts } : {}) });
  };
}

export function sessionRoutes(deps: SessionRouteDeps): Router {
  const { config, sessions, auth } = deps;
  const jsonFrames = jsonFrame(config.service.maxImageBytes);
  const frameAuthed = frameAuth(sessions);
  const r = Router();
  r.post('/api/auth/enrollment', requireJson, jsonSmall, auth, createSession(deps, 'enrollment'));
  r.post('/api/auth/authentication', requireJson, jsonSmall, auth, createSession(deps, 'authentication'));
  r.post('/api/auth/enrollment/process-frame', requireJson, frameAuthed, jsonFrames, processFrame(deps, 'enrollment'));
  r.post('/api/auth/authentication/process-frame', requireJson, frameAuthed, jsonFrames, processFrame(deps, 'authentication'));
  r.get('/api/auth/session/:token/status', async (req, res) => {
    const s = await sessions.get(String(req.params.token));
    res.json(sessionView(s, config.service.enrollSamples));
  });
  r.delete('/api/auth/session/:token', async (req, res) => {
    const s = await sessions.cancel(String(req.params.token));
    res.json(sessionView(s, config.service.enrollSamples));
  });
  return r;
}
