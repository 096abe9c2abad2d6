// The REST API (express 5): routes, authentication, rate limits, the error
// shape, /health, /metrics and the OpenAPI document. It holds no state of its
// own; everything comes in through AppDeps from the composition root.
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../config.ts';
import { FacegateError } from '../../common/errors.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { Gallery } from '../gallery/Gallery.ts';
import type { Metrics } from '../metrics/Metrics.ts';
import type { RateLimits } from '../ratelimit/RateLimits.ts';
import type { SessionService } from '../sessions/SessionService.ts';
import type { SessionKind, SessionRecord } from '../sessions/SessionRecord.ts';
import { decodeImage, parseDataUrl } from '../sessions/frameDecoder.ts';
import { encodedFrameInput } from '../sessions/SessionEngine.ts';
import type { StateStore } from '../state/StateStore.ts';
import type { Store } from '../store/Store.ts';
import type { TenantService } from '../tenants/TenantService.ts';
import type { WebhookDispatcher } from '../webhooks/WebhookDispatcher.ts';
import { createConsoleRouter } from '../admin/console/consoleRouter.ts';
import { errorHandler, notFoundHandler } from './httpErrors.ts';
import { iceServersFor } from './iceServers.ts';
import { openApiDocument } from './openapi.ts';
import {
  AuthenticationBody,
  ClientAuthBody,
  DateRangeQuery,
  EnrollmentBody,
  PageQuery,
  ProcessFrameBody,
  WebhookBody,
} from './schemas.ts';

export type HealthState = 'up' | 'down' | 'not_configured';
export type HealthCheck = () => Promise<HealthState>;

export interface AppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly store: Store;
  readonly state: StateStore;
  readonly gallery: Gallery;
  readonly tenants: TenantService;
  readonly sessions: SessionService;
  readonly limits: RateLimits;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly webhooks: WebhookDispatcher;
  /** Keyed HMAC for IPs (audit never sees raw addresses). */
  readonly hashIp: (ip: string) => string;
  /** Extra /health components (media workers, models), each up/down. */
  readonly healthChecks?: Readonly<Record<string, HealthCheck>>;
  /** Base URL clients reach this server at (signaling URL); default: from the request. */
  readonly publicUrl?: string;
  /** The operator's API, mounted at /api/admin (src/admin). */
  readonly adminRouter?: express.Router;
}

interface Authed {
  clientId: string;
  keyId: string;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query'): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    throw new FacegateError('validation_error', `invalid request ${where}`, {
      issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return r.data;
}

/** POST routes take JSON only: a missing or wrong content type is a 415, not an empty body. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  if (!req.is('application/json')) {
    next(new FacegateError('unsupported_media_type', 'content-type must be application/json'));
    return;
  }
  next();
}

function sessionView(s: SessionRecord, required: number) {
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

export function createApp(deps: AppDeps): express.Express {
  const { config, store, tenants, sessions, limits, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // Bodies: frames are base64 data URLs (4/3 of the image) plus a little JSON.
  const frameLimit = Math.ceil((config.service.maxImageBytes * 4) / 3) + 4096;
  const jsonSmall = express.json({ limit: '16kb', strict: true });
  const jsonFrame = express.json({ limit: frameLimit, strict: true });

  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpLatency.observe({ method: req.method, route }, s);
    });
    next();
  });

  const ipLimit = async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    await limits.hit('ip', req.ip ?? 'unknown');
    next();
  };

  const auth = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const h = req.get('authorization') ?? '';
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(h);
    if (!m) throw new FacegateError('unauthorized', 'missing bearer token', { reason: 'token_missing' });
    const { claims } = await tenants.authenticate(m[1]!);
    // Per API key (the token names the key it was exchanged for).
    await limits.hitKey(claims.clientId, claims.keyId);
    res.locals.auth = { clientId: claims.clientId, keyId: claims.keyId } satisfies Authed;
    next();
  };
  const authed = (res: Response): Authed => res.locals.auth as Authed;

  // --- health and metrics (no auth) ---------------------------------------
  app.get('/health', async (_req, res) => {
    const check = async (fn: () => Promise<unknown>): Promise<HealthState> => {
      try {
        await fn();
        return 'up';
      } catch {
        return 'down';
      }
    };
    const components: Record<string, HealthState> = {
      database: await check(() => store.ping()),
      redis: deps.state.kind === 'redis' ? await check(() => deps.state.ping()) : 'not_configured',
    };
    for (const [name, fn] of Object.entries(deps.healthChecks ?? {})) {
      components[name] = await fn().catch(() => 'down' as const);
    }
    const ok = Object.values(components).every((s) => s !== 'down');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', components, timestamp: new Date().toISOString() });
  });

  app.get('/metrics', async (_req, res) => {
    const m = await metrics.render();
    res.type(m.contentType).send(m.body);
  });

  // --- OpenAPI --------------------------------------------------------------
  const doc = openApiDocument();
  app.get('/api/schema', (_req, res) => {
    res.json(doc);
  });
  app.use('/api/schema/swagger-ui', swaggerUi.serve, swaggerUi.setup(doc));

  if (deps.adminRouter) {
    app.use('/api/admin', deps.adminRouter);
    // The admin console (a browser app over /api/admin).
    app.use('/admin', createConsoleRouter());
  }
  app.use('/api', ipLimit);

  // --- tenancy --------------------------------------------------------------
  app.post('/api/auth/client', requireJson, jsonSmall, async (req, res) => {
    const headerKey = req.get('x-api-key');
    const apiKey = headerKey ?? parse(ClientAuthBody, req.body, 'body').api_key;
    const t = await tenants.exchangeApiKey(apiKey);
    res.json({ access_token: t.accessToken, token_type: t.tokenType, expires_in: t.expiresIn, client_id: t.clientId });
  });

  // --- sessions -------------------------------------------------------------
  const baseUrl = (req: Request): string => deps.publicUrl ?? config.server.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;

  const createSession = (kind: SessionKind) => async (req: Request, res: Response) => {
    const { clientId, keyId } = authed(res);
    const externalUserId =
      kind === 'enrollment'
        ? parse(EnrollmentBody, req.body, 'body').external_user_id
        : (parse(AuthenticationBody, req.body, 'body').external_user_id ?? null);
    const s = await sessions.create({ clientId, keyId, kind, externalUserId, ipHash: deps.hashIp(req.ip ?? '') });
    res.status(201).json({
      session_id: s.id,
      session_token: s.token,
      kind: s.kind,
      mode: kind === 'enrollment' ? 'enrollment' : externalUserId === null ? 'identification' : 'verification',
      external_user_id: s.externalUserId,
      signaling_url: baseUrl(req),
      ice_servers: iceServersFor(config, s.id),
      expires_at: new Date(s.expiresAt).toISOString(),
      config: {
        frame_rate: config.media.frameRate,
        enroll_samples: config.service.enrollSamples,
        max_image_bytes: config.service.maxImageBytes,
        process_frame_url: `${baseUrl(req)}/api/auth/${kind}/process-frame`,
      },
    });
  };
  app.post('/api/auth/enrollment', requireJson, jsonSmall, auth, createSession('enrollment'));
  app.post('/api/auth/authentication', requireJson, jsonSmall, auth, createSession('authentication'));

  const processFrame = (kind: SessionKind) => async (req: Request, res: Response) => {
    const body = parse(ProcessFrameBody, req.body, 'body');
    // Unknown session before any decoding work.
    const current = await sessions.get(body.session_token);
    // Frames come from the end user's device with a session token: counted
    // against the API key that created the session.
    await limits.hitKey(current.clientId, current.keyId ?? null);
    const { mime, bytes } = parseDataUrl(body.image, { maxBytes: config.service.maxImageBytes });
    // Decoded where it is analysed, on first use: a node that forwards the
    // upload to its session's owner sends these bytes and never decodes them.
    const input = encodedFrameInput({ mime, bytes }, async () => {
      const t0 = performance.now();
      const frame = await decodeImage(bytes, mime);
      metrics.stageLatency.observe({ stage: 'decode' }, (performance.now() - t0) / 1000);
      return frame;
    });
    const r = await sessions.processFrame(body.session_token, kind, input);
    res.json({ ...sessionView(r.session, config.service.enrollSamples), feedback: r.feedback, ...(r.prompts ? { prompts: r.prompts } : {}) });
  };
  app.post('/api/auth/enrollment/process-frame', requireJson, jsonFrame, processFrame('enrollment'));
  app.post('/api/auth/authentication/process-frame', requireJson, jsonFrame, processFrame('authentication'));

  app.get('/api/auth/session/:token/status', async (req, res) => {
    const s = await sessions.get(String(req.params.token));
    res.json(sessionView(s, config.service.enrollSamples));
  });
  app.delete('/api/auth/session/:token', async (req, res) => {
    const s = await sessions.cancel(String(req.params.token));
    res.json(sessionView(s, config.service.enrollSamples));
  });

  // --- users ----------------------------------------------------------------
  app.get('/api/users', auth, async (req, res) => {
    const q = parse(PageQuery, req.query, 'query');
    const r = await store.listUsers(authed(res).clientId, q);
    res.json({
      users: r.users.map((u) => ({ external_user_id: u.externalId, created_at: u.createdAt, templates: u.templateCount })),
      total: r.total,
      limit: q.limit,
      offset: q.offset,
    });
  });
  app.get('/api/users/:externalId', auth, async (req, res) => {
    const u = await store.getUser(authed(res).clientId, String(req.params.externalId));
    if (!u) throw new FacegateError('not_found', 'no such user');
    res.json({ external_user_id: u.externalId, created_at: u.createdAt, templates: u.templateCount });
  });
  app.delete('/api/users/:externalId', auth, async (req, res) => {
    const { clientId } = authed(res);
    const externalId = String(req.params.externalId);
    const removed = await store.deleteUser(clientId, externalId);
    if (removed === null) throw new FacegateError('not_found', 'no such user');
    await deps.gallery.remove(clientId, removed);
    await deps.state.publish({ type: 'gallery.remove', clientId, templateIds: removed, origin: '' }).catch(() => {});
    await deps.audit.append('user.deleted', clientId, { externalUserId: externalId, templates: removed.length });
    res.json({ external_user_id: externalId, deleted: true, templates_removed: removed.length });
  });

  // --- webhooks -------------------------------------------------------------
  app.put('/api/webhooks', requireJson, jsonSmall, auth, async (req, res) => {
    const { url } = parse(WebhookBody, req.body, 'body');
    const { clientId } = authed(res);
    const { secret } = await deps.webhooks.configure(clientId, url);
    await deps.audit.append('webhook.configured', clientId, { enabled: url !== null });
    res.json({ url, secret });
  });
  app.get('/api/webhooks/deliveries', auth, async (req, res) => {
    const q = parse(PageQuery, req.query, 'query');
    const d = await deps.webhooks.listDeliveries(authed(res).clientId, q.limit);
    res.json({
      deliveries: d.map((x) => ({
        id: x.id,
        event: x.event,
        status: x.status,
        attempts: x.attempts,
        last_status: x.lastStatus,
        last_error: x.lastError,
        created_at: x.createdAt,
      })),
    });
  });

  // --- analytics ------------------------------------------------------------
  app.get('/api/analytics/authentication-metrics', auth, async (req, res) => {
    const q = parse(DateRangeQuery, req.query, 'query');
    const m = await store.authMetrics(authed(res).clientId, q.from, q.to);
    res.json({
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      attempts: m.attempts,
      successes: m.successes,
      failures: m.failures,
      failures_by_reason: m.failuresByReason,
      latency_ms: m.latencyMs,
    });
  });
  app.get('/api/analytics/system-metrics', auth, async (_req, res) => {
    const mem = process.memoryUsage();
    res.json({
      uptime_s: Math.round(process.uptime()),
      memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed },
      store: store.engine,
      state: deps.state.kind,
      gallery_size: await deps.gallery.size(authed(res).clientId),
      event_loop_utilization: performance.eventLoopUtilization().utilization,
    });
  });

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}

/** A keyed IP hasher: stable per deployment, not reversible without the key. */
export function ipHasher(secret: string): (ip: string) => string {
  const key = crypto.createHash('sha256').update(`ip-hash:${secret}`).digest();
  return (ip) => crypto.createHmac('sha256', key).update(ip).digest('hex').slice(0, 32);
}
