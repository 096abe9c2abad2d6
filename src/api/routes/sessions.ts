// Session routes: create an enrollment or authentication session, submit a
// frame over REST (the fallback to the live WebRTC path), read a session's
// status, cancel it. Frame uploads authenticate by session token (checked
// before the body is read) and count against their session's own budget,
// never the API key's; an upload for a decided session is refused before it
// is counted anywhere.
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { Metrics } from '../../metrics/Metrics.ts';
import type { RateLimits } from '../../ratelimit/RateLimits.ts';
import { FacegateError } from '../../../common/errors.ts';
import type { SessionKind, SessionRecord } from '../../../common/session.ts';
import { decisionSealWire } from '../../sessions/decisionSeal.ts';
import type { SessionService } from '../../sessions/SessionService.ts';
import { frameSocketPath } from '../../../common/protocol/frameSocket.ts';
import { frameMessages } from '../../ws/frameMessages.ts';
import type { FrameResult } from '../../sessions/SessionService.ts';
import { iceServersFor } from '../../../turn/turnCredentials.ts';
import { DEFAULT_FUSION_OPTIONS } from '../../engine/fusion.ts';
import { ApiRouter, type RouteDoc } from '../ApiRouter.ts';
import { submitFrame } from '../submitFrame.ts';
import { authed, frameAuth, frameSessionToken, jsonFrame, jsonSmall, parse, requireJson } from '../middleware.ts';
import { AuthenticationBody, bodyFrame, bodySettings, bodyUserId, documentedReason, EnrollmentBody, ProcessFrameBody } from '../schemas.ts';

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
/** The documented API's session status words (facegate's own are `status`). */
const DOCUMENTED_STATUS = ['active', 'in_progress', 'completed', 'failed', 'expired', 'cancelled'] as const;
type DocumentedStatus = (typeof DOCUMENTED_STATUS)[number];
const DOCUMENTED_OF: Readonly<Record<SessionRecord['status'], DocumentedStatus>> = {
  created: 'active',
  capturing: 'in_progress',
  succeeded: 'completed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
};

export const SessionView = z
  .object({
    session_id: z.string(),
    session_token: z.string(),
    kind: z.enum(['enrollment', 'authentication']),
    session_type: z.enum(['enrollment', 'authentication']).describe('the documented name of kind'),
    status: z.enum(SESSION_STATUS),
    session_status: z.enum(DOCUMENTED_STATUS).describe('status in the documented words'),
    external_user_id: z.string().nullable(),
    user_id: z.string().nullable().describe('the documented name of external_user_id'),
    created_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    last_activity: z.iso.datetime(),
    frames_processed: z.number().int(),
    feedback: z.string().nullable(),
    progress: z
      .object({
        completed_samples: z.number().int(),
        target_samples: z.number().int(),
        liveness_checks_passed: z.number().int(),
        samples: z.number().int().describe('facegate name of completed_samples'),
        required: z.number().int().describe('facegate name of target_samples'),
      })
      .nullable()
      .describe('enrollment only'),
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
/** process-frame: the session, and the documented per-frame answer beside it. */
const FrameAnswer = SessionView.extend({
  success: z.boolean().describe('false once the session failed'),
  message: z.string(),
  processing_time_ms: z.number().int().nonnegative(),
  completed_samples: z.number().int().optional(),
  target_samples: z.number().int().optional(),
  quality_score: z.number().nullable().optional(),
  face_detected: z.boolean().optional(),
  liveness_data: z.object({ blinks_detected: z.number().int().nullable(), motion_score: z.number().nullable(), liveness_passed: z.boolean().nullable() }).optional(),
  obstacles: z.array(z.string()).optional(),
  liveness_verified: z.boolean().optional(),
  enrollment_id: z.string().nullable().optional(),
  authenticated: z.boolean().optional(),
  confidence: z.number().nullable().optional(),
  liveness_passed: z.boolean().optional(),
  matched_enrollment_id: z.string().nullable().optional().describe('null: templates are kept per user, not per enrollment'),
  reason: z.string().nullable().optional().describe('documented failure reason (no_match_found, liveness_failed, ...)'),
  metadata: z.object({ face_quality: z.number().nullable(), liveness_score: z.number().nullable() }).optional(),
}).meta({ id: 'FrameAnswer' });
const Cancelled = SessionView.extend({ success: z.literal(true), message: z.string() });
const CreatedSession = z
  .object({
    session_id: z.string(),
    session_token: z.string(),
    websocket_url: z.string().describe('the frame WebSocket: ws(s)://host/ws/auth/process-image/{session_token}/'),
    status: z.literal('active'),
    user_id: z.string().nullable().describe('the documented name of external_user_id'),
    kind: z.enum(['enrollment', 'authentication']),
    mode: z.enum(['enrollment', 'verification', 'identification']),
    external_user_id: z.string().nullable(),
    signaling_url: z.string(),
    ice_servers: z.array(z.object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })),
    expires_at: z.iso.datetime(),
    config: z.object({
      target_samples: z.number().int().optional().describe('enrollment'),
      current_samples: z.number().int().optional().describe('enrollment'),
      require_liveness: z.boolean(),
      min_liveness_score: z.number().optional().describe('enrollment'),
      min_confidence: z.number().optional().describe('authentication'),
      max_attempts: z.number().int().optional().describe('authentication: failed liveness challenges tolerated'),
      max_frames: z.number().int().describe('frames before the session fails with too_many_frames'),
      timeout_seconds: z.number().int().describe('session lifetime'),
      no_gesture_path: z.enum(['deny', 'step_up']).describe("live path: 'step_up' when a user who cannot follow the prompts gets the no-gesture path (best outcome step_up_required)"),
      frame_rate: z.number(),
      enroll_samples: z.number().int(),
      max_image_bytes: z.number().int(),
      process_frame_url: z.string(),
    }),
  })
  .meta({ id: 'CreatedSession' });
const CREATE_ERRORS = ['invalid_request', 'unauthorized', 'unsupported_media_type', 'validation_error', 'rate_limit_exceeded', 'service_unavailable'] as const;
const FRAME_ERRORS = ['invalid_request', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type', 'validation_error', 'rate_limit_exceeded', 'service_unavailable'] as const;
const TokenParams = z.object({ token: z.string() });
const frameDoc = (kind: SessionKind): RouteDoc => ({
  summary: `Submit one ${kind} frame (REST fallback to the live WebRTC path); authenticated by the session token (in the X-Session-Token or Authorization: Bearer header, checked before the body is read, or as session_token in the body)`,
  body: ProcessFrameBody,
  responses: { 200: FrameAnswer },
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

/** A session as the REST API shows it: facegate's fields and the documented ones. */
export function sessionView(s: SessionRecord, required: number) {
  const samples = s.samples.length;
  return {
    session_id: s.id,
    session_token: s.token,
    kind: s.kind,
    session_type: s.kind,
    status: s.status,
    session_status: DOCUMENTED_OF[s.status],
    external_user_id: s.externalUserId,
    user_id: s.externalUserId,
    created_at: new Date(s.createdAt).toISOString(),
    expires_at: new Date(s.expiresAt).toISOString(),
    last_activity: new Date(s.decision?.decidedAt ?? s.updatedAt ?? s.createdAt).toISOString(),
    frames_processed: s.framesProcessed,
    feedback: s.lastFeedback,
    progress:
      s.kind === 'enrollment'
        ? { completed_samples: s.status === 'succeeded' ? required : samples, target_samples: required, liveness_checks_passed: s.status === 'succeeded' ? 1 : 0, samples, required }
        : null,
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

/** The documented per-frame answer (the frame WebSocket's last message for this frame, in REST form). */
function documentedFrame(r: FrameResult, token: string, targetSamples: number, processingMs: number) {
  const m = frameMessages(r, { token, targetSamples, framesDropped: 0, processingMs }).at(-1);
  const processing_time_ms = Math.round(processingMs);
  if (m === undefined || m.type === 'processing' || m.type === 'liveness_instruction') {
    return { success: true, message: m?.message ?? 'Frame processed successfully', processing_time_ms };
  }
  if (m.type === 'enrollment_progress') {
    const { completed_samples, target_samples, quality_score, face_detected, liveness_data, obstacles, message } = m;
    return { success: true, completed_samples, target_samples, quality_score, face_detected, liveness_data, obstacles, message, processing_time_ms };
  }
  if (m.type === 'enrollment_complete') {
    const { completed_samples, liveness_verified, enrollment_id, quality_score, message } = m;
    return { success: true, completed_samples, target_samples: targetSamples, liveness_verified, enrollment_id, quality_score, message, processing_time_ms };
  }
  if (m.type === 'authentication_result') {
    const spoof = m.scores['spoof'];
    return {
      success: m.authenticated,
      authenticated: m.authenticated,
      confidence: m.confidence,
      liveness_passed: m.liveness_passed,
      matched_enrollment_id: m.matched_enrollment_id,
      reason: m.reason === null ? null : documentedReason(m.reason),
      metadata: { face_quality: m.scores['quality'] ?? null, liveness_score: spoof === undefined ? null : 1 - spoof },
      message: m.authenticated ? 'Authentication successful' : m.reason === 'no_match' ? 'No matching face found in database' : `Authentication failed: ${m.reason ?? 'unknown'}`,
      processing_time_ms,
    };
  }
  if (m.type === 'error') {
    return { success: false, reason: documentedReason(m.error_code), message: m.message, processing_time_ms };
  }
  return { success: true, message: 'Frame processed successfully', processing_time_ms };
}

/** ws(s):// for the base URL's http(s)://. */
function websocketUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}${frameSocketPath(token)}`;
}

function createSession(deps: SessionRouteDeps, kind: SessionKind) {
  const { config, sessions } = deps;
  const baseUrl = (req: Request): string => deps.publicUrl ?? config.server.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return async (req: Request, res: Response): Promise<void> => {
    const { clientId, keyId } = authed(res);
    const body = parse(kind === 'enrollment' ? EnrollmentBody : AuthenticationBody, req.body, 'body');
    const externalUserId = bodyUserId(body);
    const settings = bodySettings(body);
    const s = await deps.sessions.create({ clientId, keyId, kind, externalUserId, ipHash: deps.hashIp(req.ip ?? ''), settings });
    // The settings the session runs under (the request's, within the node's bounds), not merely the ones asked for.
    const applied = {
      require_liveness: true,
      max_frames: s.policy?.maxFrames ?? sessions.policyBounds.maxFrames,
      timeout_seconds: Math.round((s.expiresAt - s.createdAt) / 1000),
      no_gesture_path: s.policy?.noGesturePath ?? 'deny',
    };
    const documented =
      kind === 'enrollment'
        ? { target_samples: config.service.enrollSamples, current_samples: 0, min_liveness_score: 1 - DEFAULT_FUSION_OPTIONS.threshold, ...applied }
        : { min_confidence: s.policy?.minConfidence ?? sessions.policyBounds.matchThreshold, max_attempts: config.liveness.maxAttempts, ...applied };
    res.status(201).json({
      session_id: s.id,
      session_token: s.token,
      websocket_url: websocketUrl(baseUrl(req), s.token),
      status: 'active',
      kind: s.kind,
      mode: kind === 'enrollment' ? 'enrollment' : externalUserId === null ? 'identification' : 'verification',
      external_user_id: s.externalUserId,
      user_id: s.externalUserId,
      signaling_url: baseUrl(req),
      ice_servers: iceServersFor(config.media, s.id),
      expires_at: new Date(s.expiresAt).toISOString(),
      config: {
        ...documented,
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
    const t0 = performance.now();
    const r = await submitFrame(deps, body.session_token, bodyFrame(body), kind);
    const answer = documentedFrame(r, body.session_token, config.service.enrollSamples, performance.now() - t0);
    res.json({ ...sessionView(r.session, config.service.enrollSamples), feedback: r.feedback, ...(r.prompts ? { prompts: r.prompts } : {}), ...answer });
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
    errors: [...CREATE_ERRORS, 'forbidden'],
  }, requireJson, jsonSmall, auth, createSession(deps, 'enrollment'));
  r.post('/api/auth/authentication', {
    summary: 'Create an authentication session (verification with external_user_id, identification without)',
    security: ['bearerAuth'],
    body: AuthenticationBody,
    responses: { 201: CreatedSession },
    errors: [...CREATE_ERRORS, 'forbidden', 'not_found'],
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
    responses: { 200: Cancelled },
    errors: ['not_found', 'conflict'],
  }, async (req, res) => {
    const s = await sessions.cancel(String(req.params.token));
    res.json({ ...sessionView(s, config.service.enrollSamples), success: true, message: 'Session cancelled successfully' });
  });
  return r;
}
