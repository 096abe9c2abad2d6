// Operations routes, unauthenticated: GET /health (every component up/down)
// and GET /metrics (Prometheus exposition).
import { z } from 'zod';
import type { Metrics } from '../../metrics/Metrics.ts';
import type { StateStore } from '../../state/StateStore.ts';
import type { Store } from '../../store/Store.ts';
import { ApiRouter } from '../ApiRouter.ts';

export type HealthState = 'up' | 'down' | 'not_configured';
export type HealthCheck = () => Promise<HealthState>;

const ComponentStates = z.record(z.string(), z.enum(['up', 'down', 'not_configured']));
const Health = z.object({
  status: z.enum(['healthy', 'unhealthy']).describe('the documented words: unhealthy when a component is down'),
  timestamp: z.iso.datetime(),
  services: ComponentStates.describe('the documented name of components (database, redis, and media, models on a node; facegate has no chromadb or celery)'),
  components: ComponentStates,
});

export interface OpsRouteDeps {
  readonly store: Store;
  readonly state: StateStore;
  readonly metrics: Metrics;
  /** Extra /health components (media workers, models), each up/down. */
  readonly healthChecks?: Readonly<Record<string, HealthCheck>> | undefined;
}

async function probe(fn: () => Promise<unknown>): Promise<HealthState> {
  try {
    await fn();
    return 'up';
  } catch {
    return 'down';
  }
}

export function opsRoutes(deps: OpsRouteDeps): ApiRouter {
  const { store, state, metrics } = deps;
  const r = new ApiRouter();
  r.get('/health', {
    summary: 'Component health',
    tags: ['ops'],
    responses: { 200: Health, 503: { description: 'a component is down', schema: Health } },
  }, async (_req, res) => {
    const components: Record<string, HealthState> = {
      database: await probe(() => store.ping()),
      redis: state.kind === 'redis' ? await probe(() => state.ping()) : 'not_configured',
    };
    for (const [name, fn] of Object.entries(deps.healthChecks ?? {})) {
      components[name] = await fn().catch(() => 'down' as const);
    }
    const ok = Object.values(components).every((s) => s !== 'down');
    res.status(ok ? 200 : 503).json({ status: ok ? 'healthy' : 'unhealthy', timestamp: new Date().toISOString(), services: components, components });
  });
  r.get('/metrics', {
    summary: 'Prometheus metrics (facegate_*)',
    tags: ['ops'],
    responses: { 200: { description: 'text exposition', schema: z.string(), contentType: 'text/plain' } },
  }, async (_req, res) => {
    const m = await metrics.render();
    res.type(m.contentType).send(m.body);
  });
  return r;
}
