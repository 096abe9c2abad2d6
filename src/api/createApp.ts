// The REST API (express 5): middleware, one router per resource (src/api/
// routes/), the error shape. It holds no state of its own; everything comes
// in through AppDeps from the composition root.
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/AccountService.ts';
import type { VerdictSigner } from '../auth/VerdictSigner.ts';
import type { Config } from '../config.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { Gallery } from '../gallery/Gallery.ts';
import type { TemplateGallery } from '../gallery/TemplateGallery.ts';
import type { Metrics } from '../metrics/Metrics.ts';
import type { RateLimits } from '../ratelimit/RateLimits.ts';
import type { SessionService } from '../sessions/SessionService.ts';
import type { StateStore } from '../state/StateStore.ts';
import type { Store } from '../store/Store.ts';
import type { TenantService } from '../tenants/TenantService.ts';
import type { WebhookDispatcher } from '../webhooks/WebhookDispatcher.ts';
import { ADMIN_PREFIX, adminOperations, CONSOLE_PREFIX, consoleOperations } from '../admin/adminOpenApi.ts';
import { createConsoleRouter } from '../admin/console/consoleRouter.ts';
import type { ApiRouter, Operation } from './ApiRouter.ts';
import { errorHandler, notFoundHandler } from './httpErrors.ts';
import { bearerAuth, rejectMalformedUrl } from './middleware.ts';
import { accountRoutes } from './routes/accounts.ts';
import { trustProxySetting, webHygiene } from './webHygiene.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { authRoutes } from './routes/auth.ts';
import { docsRoutes } from './routes/docs.ts';
import { opsRoutes, type HealthCheck } from './routes/ops.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { userRoutes } from './routes/users.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export type { HealthCheck, HealthState } from './routes/ops.ts';

export interface AppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly store: Store;
  readonly state: StateStore;
  readonly gallery: Gallery;
  readonly templates: TemplateGallery;
  readonly tenants: TenantService;
  readonly sessions: SessionService;
  readonly limits: RateLimits;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly webhooks: WebhookDispatcher;
  readonly accounts: AccountService;
  readonly verdicts: VerdictSigner;
  /** Keyed HMAC for IPs (audit never sees raw addresses). */
  readonly hashIp: (ip: string) => string;
  /** Extra /health components (media workers, models), each up/down. */
  readonly healthChecks?: Readonly<Record<string, HealthCheck>>;
  /** Base URL clients reach this server at (signaling URL); default: from the request. */
  readonly publicUrl?: string;
  /** The operator's API, mounted at /api/admin (src/admin). */
  readonly adminRouter?: express.Router;
}

/** Counts every request and its latency by method, route pattern and status. */
function requestMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpLatency.observe({ method: req.method, route }, s);
    });
    next();
  };
}

const OPERATIONS = new WeakMap<express.Express, readonly Operation[]>();

/** The documented operations of an app createApp built (what /api/schema/ is generated from). */
export function appOperations(app: express.Express): readonly Operation[] {
  return OPERATIONS.get(app) ?? [];
}

export function createApp(deps: AppDeps): express.Express {
  const { limits } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Order: security headers, then CORS (its preflight answers carry the
  // headers too), then the proxy setting req.ip depends on.
  app.use(webHygiene({ corsAllowedOrigins: deps.config.server.corsAllowedOrigins }));
  app.set('trust proxy', trustProxySetting(deps.config.server.trustProxy));
  app.use(requestMetrics(deps.metrics));
  app.use(rejectMalformedUrl);

  // Every route is an ApiRouter route (or an admin table row): the OpenAPI
  // document is generated from exactly what is mounted here.
  const operations: Operation[] = deps.adminRouter ? adminOperations() : [];
  OPERATIONS.set(app, operations);
  const mount = (r: ApiRouter): void => {
    operations.push(...r.operations);
    app.use(r.router);
  };
  // Health, metrics and the API description are not rate limited.
  mount(opsRoutes(deps));
  mount(docsRoutes(() => operations));
  if (deps.adminRouter) {
    app.use(ADMIN_PREFIX, deps.adminRouter);
    // The admin console (a browser app over /api/admin).
    app.use(CONSOLE_PREFIX, createConsoleRouter());
    operations.push(...consoleOperations());
  }
  app.use('/api', async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    await limits.hit('ip', req.ip ?? 'unknown');
    next();
  });

  const auth = bearerAuth(deps.tenants, limits);
  mount(authRoutes(deps));
  mount(accountRoutes({ ...deps, auth }));
  mount(sessionRoutes({ ...deps, auth }));
  mount(userRoutes({ ...deps, auth }));
  mount(webhookRoutes({ ...deps, auth }));
  mount(analyticsRoutes({ ...deps, auth }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}

/** A keyed IP hasher: stable per deployment, not reversible without the key. */
export function ipHasher(secret: string): (ip: string) => string {
  const key = crypto.createHash('sha256').update(`ip-hash:${secret}`).digest();
  return (ip) => crypto.createHmac('sha256', key).update(ip).digest('hex').slice(0, 32);
}
