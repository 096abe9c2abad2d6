// Session routes: create an enrollment or authentication session, submit a
// frame over REST (the fallback to the live WebRTC path), read a session's
// status, cancel it. Frame uploads authenticate by session token (checked
// before the body is read) and count against their session's own budget,
// never the API key's; an upload for a decided session is refused before it
// is counted anywhere.
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { Metrics } from '../../metrics/Metrics.ts';
import type { RateLimits } from '../../ratelimit/RateLimits.ts';
import { FacegateError } from '../../../common/errors.ts';
import type { SessionKind, SessionRecord } from '../../../common/session.ts';
import { decisionSealWire } from '../../sessions/decisionSeal.ts';
import type { SessionService } from '../../sessions/SessionService.ts';
import { iceServersFor } from '../../../turn/turnCredentials.ts';
import { ApiRouter, type RouteDoc } from '../ApiRouter.ts';
import { submitFrame } from '../submitFrame.ts';
import { authed, frameAuth, frameSessionToken, jsonFrame, jsonSmall, parse, requireJson } from '../middleware.ts';
import { AuthenticationBody, EnrollmentBody, ProcessFrameBody } from '../schemas.ts';

const SESSION_STATUS = ['created', 'capturing', 'succeeded', 'failed', 'expired', 'cancelled'] as const satisfies readonly SessionRecord['status'][];
const Prompt = z.object({
  type: z.enum(['prompt', 'progress']),
  id: z.string().optional(),
  action: z.string().optional(),
  text: z.string().optional(),
  timeoutMs: z.number().int().optional(),
  value: z.number().optional(),
  label: z.string().optional(),
});
export const SessionView = z
  .object({
    session_id: z.string(),
    kind: z.enum(['enrollment', 'authentication']),
    status: z.enum(SESSION_STATUS),
    external_user_id: z.string().nullable(),
    expires_at: z.iso.datetime(),
    frames_processed: z.number().int(),
    feedback: z.string().nullable(),
    progress: z.object({ samples: z.number().int(), required: z.number().int() }).nullable(),
    decision: z
      .object({
        outcome: z.string(),
        reason: z.string().nullable(),
        external_user_id: z.string().nullable(),
        similarity: z.number().nullable(),
        scores: z.record(z.string(), z.unknown()),
        timings_ms: z.record(z.string(), z.unknown()),
        decided_at: z.iso.datetime(),
      })
      .nullable(),
    prompts: z.array(Prompt).optional().describe('process-frame only: prompts, challenges (with timeoutMs) and progress the liveness engine issued for this frame'),
  })
  .meta({ id: 'Session' });
const CreatedSession = z
  .object({
    session_id: z.string(),
    session_token: z.string(),
    kind: z.enum(['enrollment', 'authentication']),
    mode: z.enum(['enrollment', 'verification', 'identification']),
    external_user_id: z.string().nullable(),
    signaling_url: z.string(),
    ice_servers: z.array(z.object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })),
    expires_at: z.iso.datetime(),
    config: z.object({ frame_rate: z.number(), enroll_samples: z.number().int(), max_image_bytes: z.number().int(), process_frame_url: z.string() }),
  })
  .meta({ id: 'CreatedSession' });
const CREATE_ERRORS = ['invalid_request', 'unauthorized', 'unsupported_media_type', 'validation_error', 'rate_limit_exceeded', 'service_unavailable'] as const;
const FRAME_ERRORS = ['invalid_request', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type', 'validation_error', 'rate_limit_exceeded', 'service_unavailable'] as const;
const TokenParams = z.object({ token: z.string() });
const frameDoc = (kind: SessionKind): RouteDoc => ({
  summary: `Submit one ${kind} frame (REST fallback to the live WebRTC path); authenticated by the session token (in the X-Session-Token or Authorization: Bearer header, checked before the body is read, or as session_token in the body)`,
  body: ProcessFrameBody,
  responses: { 200: SessionView },
  errors: FRAME_ERRORS,
});

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
          ...decisionSealWire(s.decision),
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
  const { config } = deps;
  return async (req: Request, res: Response): Promise<void> => {
    // A token given in a header (checked before the body was read) stands for the body's.
    const headerToken = frameSessionToken(res);
    const raw: unknown = req.body;
    const given = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).session_token : undefined;
    if (headerToken !== undefined && given !== undefined && given !== headerToken) {
      throw new FacegateError('invalid_request', 'the body names another session than the header', { reason: 'session_token_mismatch' });
    }
    const body = parse(ProcessFrameBody, headerToken === undefined ? raw : { ...(raw as object), session_token: headerToken }, 'body');
    const r = await submitFrame(deps, body.session_token, body.image, kind);
    res.json({ ...sessionView(r.session, config.service.enrollSamples), feedback: r.feedback, ...(r.prompts ? { prompts: r.prompts } : {}) });
  };
}

export function sessionRoutes(deps: SessionRouteDeps): ApiRouter {
  const { config, sessions, auth } = deps;
  const jsonFrames = jsonFrame(config.service.maxImageBytes);
  const frameAuthed = frameAuth(sessions);
  const r = new ApiRouter();
  r.post('/api/auth/enrollment', {
    summary: 'Create an enrollment session',
    security: ['bearerAuth'],
    body: EnrollmentBody,
    responses: { 201: CreatedSession },
    errors: CREATE_ERRORS,
  }, requireJson, jsonSmall, auth, createSession(deps, 'enrollment'));
  r.post('/api/auth/authentication', {
    summary: 'Create an authentication session (verification with external_user_id, identification without)',
    security: ['bearerAuth'],
    body: AuthenticationBody,
    responses: { 201: CreatedSession },
    errors: [...CREATE_ERRORS, 'not_found'],
  }, requireJson, jsonSmall, auth, createSession(deps, 'authentication'));
  r.post('/api/auth/enrollment/process-frame', frameDoc('enrollment'), requireJson, frameAuthed, jsonFrames, processFrame(deps, 'enrollment'));
  r.post('/api/auth/authentication/process-frame', frameDoc('authentication'), requireJson, frameAuthed, jsonFrames, processFrame(deps, 'authentication'));
  r.get('/api/auth/session/:token/status', {
    summary: 'Session status',
    params: TokenParams,
    responses: { 200: SessionView },
    errors: ['not_found'],
  }, async (req, res) => {
    const s = await sessions.get(String(req.params.token));
    res.json(sessionView(s, config.service.enrollSamples));
  });
  r.delete('/api/auth/session/:token', {
    summary: 'Cancel a session',
    params: TokenParams,
    responses: { 200: SessionView },
    errors: ['not_found', 'conflict'],
  }, async (req, res) => {
    const s = await sessions.cancel(String(req.params.token));
    res.json(sessionView(s, config.service.enrollSamples));
  });
  return r;
}
