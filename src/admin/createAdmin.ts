// Assembles the operator's side of a running service: the live session feed
// (a session observer), AdminService over the service's parts, the admin
// credential and the /api/admin router. FacegateService calls it once.
import type express from 'express';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { Config } from '../config.ts';
import type { FaissGallery } from '../gallery/FaissGallery.ts';
import type { TemplateGallery } from '../gallery/TemplateGallery.ts';
import type { SessionService } from '../sessions/SessionService.ts';
import type { StateStore } from '../state/StateStore.ts';
import type { SqlStore } from '../store/SqlStore.ts';
import type { TenantService } from '../tenants/TenantService.ts';
import type { WebhookDispatcher } from '../webhooks/WebhookDispatcher.ts';
import { resolveAdminToken, type AdminCredential } from './adminAuth.ts';
import { adminRouter } from './adminRouter.ts';
import { AdminService } from './AdminService.ts';
import { SessionFeed } from './SessionFeed.ts';

export interface AdminParts {
  readonly config: Config;
  readonly store: SqlStore;
  readonly state: StateStore;
  readonly tenants: TenantService;
  readonly audit: AuditLog;
  readonly webhooks: WebhookDispatcher;
  readonly gallery: FaissGallery;
  readonly templates: TemplateGallery;
  readonly sessions: SessionService;
  readonly nodeId: string;
  readonly healthChecks?: Readonly<Record<string, () => Promise<string>>>;
}

export interface Admin {
  readonly service: AdminService;
  readonly router: express.Router;
  readonly credential: AdminCredential;
}

export function createAdmin(p: AdminParts): Admin {
  const feed = new SessionFeed();
  p.sessions.observe(feed);
  const service = new AdminService({
    config: p.config,
    store: p.store,
    tenants: p.tenants,
    audit: p.audit,
    webhooks: p.webhooks,
    gallery: p.gallery,
    feed,
    nodeId: p.nodeId,
    // As src/tenants/deleteClient.ts does after the rows (AdminService audits it).
    dropClient: async (clientId) => {
      await p.gallery.dropClient(clientId);
      await p.state.publish({ type: 'client.deleted', clientId, templateIds: [], origin: p.nodeId }).catch(() => {});
    },
    removeUser: (clientId, externalId) => p.templates.remove(clientId, externalId),
    health: async () => {
      const out: Record<string, string> = { database: await p.store.ping().then(() => 'up', () => 'down') };
      if (p.state.kind === 'redis') out.redis = await p.state.ping().then(() => 'up', () => 'down');
      for (const [name, fn] of Object.entries(p.healthChecks ?? {})) out[name] = await fn().catch(() => 'down');
      return out;
    },
  });
  const credential = resolveAdminToken(p.config, { generate: true })!;
  const router = adminRouter({ admin: service, token: credential.token, allowRemote: p.config.admin.allowRemote });
  return { service, router, credential };
}
