// A client's analytics: authentication outcomes in a date range, and process
// and gallery figures.
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { Gallery } from '../../gallery/Gallery.ts';
import type { StateStore } from '../../state/StateStore.ts';
import type { Store } from '../../store/Store.ts';
import { ApiRouter } from '../ApiRouter.ts';
import { authed, parse } from '../middleware.ts';
import { DateRangeQuery } from '../schemas.ts';

const AuthenticationMetrics = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  attempts: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
  failures_by_reason: z.record(z.string(), z.number().int()),
  latency_ms: z.record(z.string(), z.number().nullable()).describe('latency percentiles'),
});
const SystemMetrics = z.object({
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
  readonly auth: RequestHandler;
}

export function analyticsRoutes(deps: AnalyticsRouteDeps): ApiRouter {
  const { store, auth } = deps;
  const r = new ApiRouter();
  r.get('/api/analytics/authentication-metrics', {
    summary: 'Authentication attempts, successes, failures by reason and latency in a date range',
    security: ['bearerAuth'],
    query: DateRangeQuery,
    responses: { 200: AuthenticationMetrics },
    errors: ['unauthorized', 'validation_error', 'rate_limit_exceeded'],
  }, auth, async (req, res) => {
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
  r.get('/api/analytics/system-metrics', {
    summary: 'Process and gallery figures',
    security: ['bearerAuth'],
    responses: { 200: SystemMetrics },
    errors: ['unauthorized', 'rate_limit_exceeded'],
  }, auth, async (_req, res) => {
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
  return r;
}
