// A client's analytics: authentication outcomes in a date range, and process
// and gallery figures.
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { FacegateError } from '../../../common/errors.ts';
import type { Config } from '../../config.ts';
import type { Gallery } from '../../gallery/Gallery.ts';
import type { Metrics } from '../../metrics/Metrics.ts';
import type { StateStore } from '../../state/StateStore.ts';
import type { Store } from '../../store/Store.ts';
import { ApiRouter } from '../ApiRouter.ts';
import { authed, parse } from '../middleware.ts';
import { DateRangeQuery, documentedReason } from '../schemas.ts';

const AuthenticationMetrics = z.object({
  total_attempts: z.number().int(),
  successful_authentications: z.number().int(),
  failed_authentications: z.number().int(),
  success_rate: z.number().describe('percent, two decimals; 0 without attempts'),
  average_response_time_ms: z.number().int().nullable().describe('null without attempts'),
  by_date: z.array(z.object({ date: z.iso.date(), attempts: z.number().int(), successes: z.number().int(), failures: z.number().int() })),
  failure_reasons: z.record(z.string(), z.number().int()).describe('documented reason names (no_match_found, ...)'),
  client_id: z.string(),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  attempts: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
  failures_by_reason: z.record(z.string(), z.number().int()),
  latency_ms: z.record(z.string(), z.number().nullable()).describe('latency percentiles'),
});
const SystemMetrics = z.object({
  timestamp: z.iso.datetime(),
  active_sessions: z.number().int().describe("this node's open sessions"),
  total_enrollments: z.number().int().describe("the client's stored templates"),
  total_users: z.number().int().describe("the client's enrolled users"),
  chromadb_status: z.enum(['healthy', 'unhealthy']).describe("the documented name for the vector index (facegate: the client's FAISS gallery)"),
  redis_status: z.enum(['healthy', 'unhealthy', 'not_configured']),
  celery_workers: z.number().int().describe('background job runners on this node (facegate runs jobs in-process: 1 or 0)'),
  average_processing_time_ms: z.number().int().nullable().describe("the client's mean session latency over the last hour"),
  requests_per_minute: z.number().describe('HTTP requests per minute on this node since it started'),
  uptime_s: z.number().int(),
  memory: z.object({ rss_bytes: z.number().int(), heap_used_bytes: z.number().int() }),
  store: z.string(),
  state: z.string(),
  gallery_size: z.number().int(),
  event_loop_utilization: z.number(),
});

export interface AnalyticsRouteDeps {
  readonly store: Store;
  readonly state: StateStore;
  readonly gallery: Gallery;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly auth: RequestHandler;
}


function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

async function counterTotal(c: { get(): Promise<{ values: readonly { value: number }[] }> }): Promise<number> {
  return (await c.get()).values.reduce((n, v) => n + v.value, 0);
}

export function analyticsRoutes(deps: AnalyticsRouteDeps): ApiRouter {
  const { store, auth } = deps;
  const r = new ApiRouter();
  r.get('/api/analytics/authentication-metrics', {
    summary: 'Authentication attempts, successes, failures by reason and latency in a date range',
    security: ['bearerAuth'],
    query: DateRangeQuery,
    responses: { 200: AuthenticationMetrics },
    errors: ['unauthorized', 'forbidden', 'validation_error', 'rate_limit_exceeded'],
  }, auth, async (req, res) => {
    const q = parse(DateRangeQuery, req.query, 'query');
    const clientId = authed(res).clientId;
    if (q.clientId !== null && q.clientId !== clientId) throw new FacegateError('forbidden', "client_id is not the caller's client", { field: 'client_id' });
    const m = await store.authMetrics(clientId, q.from, q.to);
    const failureReasons: Record<string, number> = {};
    for (const [reason, n] of Object.entries(m.failuresByReason)) {
      const name = documentedReason(reason);
      failureReasons[name] = (failureReasons[name] ?? 0) + n;
    }
    res.json({
      total_attempts: m.attempts,
      successful_authentications: m.successes,
      failed_authentications: m.failures,
      success_rate: percent(m.successes, m.attempts),
      average_response_time_ms: m.latencyMs.mean === null ? null : Math.round(m.latencyMs.mean),
      by_date: m.byDate.map((d) => ({ ...d, failures: d.attempts - d.successes })),
      failure_reasons: failureReasons,
      client_id: clientId,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      attempts: m.attempts,
      successes: m.successes,
      failures: m.failures,
      failures_by_reason: m.failuresByReason,
      latency_ms: m.latencyMs,
    });
  });
  r.get('/api/analytics/system-metrics', {
    summary: 'Process and gallery figures',
    security: ['bearerAuth'],
    responses: { 200: SystemMetrics },
    errors: ['unauthorized', 'rate_limit_exceeded'],
  }, auth, async (_req, res) => {
    const clientId = authed(res).clientId;
    const mem = process.memoryUsage();
    const now = new Date();
    const [active, users, lastHour, requests, galleryOk, redisState] = await Promise.all([
      counterTotal(deps.metrics.activeSessions),
      store.listUsers(clientId, { limit: 1, offset: 0 }),
      store.authMetrics(clientId, new Date(now.getTime() - 3600_000), now),
      counterTotal(deps.metrics.httpRequests),
      deps.gallery.size(clientId).then((n) => ({ ok: true, n }), () => ({ ok: false, n: 0 })),
      deps.state.kind === 'redis' ? deps.state.ping().then(() => 'healthy' as const, () => 'unhealthy' as const) : Promise.resolve('not_configured' as const),
    ]);
    const uptimeS = process.uptime();
    res.json({
      timestamp: now.toISOString(),
      active_sessions: Math.max(0, Math.round(active)),
      total_enrollments: galleryOk.n,
      total_users: users.total,
      chromadb_status: galleryOk.ok ? 'healthy' : 'unhealthy',
      redis_status: redisState,
      celery_workers: deps.config.admin.jobs ? 1 : 0,
      average_processing_time_ms: lastHour.latencyMs.mean === null ? null : Math.round(lastHour.latencyMs.mean),
      requests_per_minute: Math.round((requests / Math.max(1, uptimeS / 60)) * 100) / 100,
      uptime_s: Math.round(process.uptime()),
      memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed },
      store: store.engine,
      state: deps.state.kind,
      gallery_size: galleryOk.n,
      event_loop_utilization: performance.eventLoopUtilization().utilization,
    });
  });
  return r;
}
