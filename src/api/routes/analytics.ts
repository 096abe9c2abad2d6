// A client's analytics: authentication outcomes in a date range, and process
// and gallery figures.
import { performance } from 'node:perf_hooks';
import { Router, type RequestHandler } from 'express';
import type { Gallery } from '../../gallery/Gallery.ts';
import type { StateStore } from '../../state/StateStore.ts';
import type { Store } from '../../store/Store.ts';
import { authed, parse } from '../middleware.ts';
import { DateRangeQuery } from '../schemas.ts';

export interface AnalyticsRouteDeps {
  readonly store: Store;
  readonly state: StateStore;
  readonly gallery: Gallery;
  readonly auth: RequestHandler;
}

export function analyticsRoutes(deps: AnalyticsRouteDeps): Router {
  const { store, auth } = deps;
  const r = Router();
  r.get('/api/analytics/authentication-metrics', auth, async (req, res) => {
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
  r.get('/api/analytics/system-metrics', auth, async (_req, res) => {
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
