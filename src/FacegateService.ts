// The service, assembled: store -> state -> key ring -> tenants -> gallery ->
// rate limits -> sessions (+ observers: metrics, audit, analytics, webhooks)
// -> express app. main.ts adds the HTTP server, socket.io and signals; tests
// build the same object with their own config. close() undoes start() in
// reverse order and is idempotent.
import crypto from 'node:crypto';
import path from 'node:path';
import type express from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { FaceAnalyzerLike } from '../models/types.ts';
import { createApp, ipHasher, type HealthCheck } from './api/createApp.ts';
import { AuditLog } from './audit/AuditLog.ts';
import { TokenService } from './auth/TokenService.ts';
import { KeyRing } from './crypto/KeyRing.ts';
import { FaissGallery } from './gallery/FaissGallery.ts';
import { syncGalleryFromStore } from './gallery/syncGalleryFromStore.ts';
import { Metrics } from './metrics/Metrics.ts';
import { RateLimits } from './ratelimit/RateLimits.ts';
import { resolveSecrets } from './secrets.ts';
import { FrameEngine } from './sessions/FrameEngine.ts';
import { ResultRecorder } from './sessions/ResultRecorder.ts';
import type { SessionEngine } from './sessions/SessionEngine.ts';
import { SessionService } from './sessions/SessionService.ts';
import { MemoryStateStore } from './state/MemoryStateStore.ts';
import { RedisStateStore } from './state/RedisStateStore.ts';
import type { StateEvent, StateStore } from './state/StateStore.ts';
import { openStore } from './store/openStore.ts';
import type { SqlStore } from './store/SqlStore.ts';
import { TenantService } from './tenants/TenantService.ts';
import { WebhookDispatcher } from './webhooks/WebhookDispatcher.ts';

/** What a session engine built inside start() may use. */
export interface EngineParts {
  readonly store: SqlStore;
  readonly gallery: FaissGallery;
  readonly keys: KeyRing;
  /** Publishes a gallery change to the other nodes (Redis pub/sub; a no-op in memory). */
  readonly publishGalleryChange: (change: { type: 'gallery.add' | 'gallery.remove'; clientId: string; templateIds: string[] }) => Promise<void>;
}

export interface FacegateServiceOptions {
  readonly log: Logger;
  /** The face analyzer behind the REST frame engine (owned by the caller). */
  readonly analyzer: FaceAnalyzerLike;
  /**
   * Replaces the REST FrameEngine (e.g. the liveness engine); a function is
   * called with the store, gallery and key ring once they exist.
   */
  readonly engine?: SessionEngine | ((parts: EngineParts) => SessionEngine);
  /** Frames a session may submit before it fails with too_many_frames (SessionService default 60). */
  readonly sessionMaxFrames?: number;
  /** PostgreSQL schema / Redis key prefix, to isolate test runs. */
  readonly dbSchema?: string;
  readonly redisPrefix?: string;
  readonly healthChecks?: Readonly<Record<string, HealthCheck>>;
  readonly webhookBaseDelayMs?: number;
  readonly galleryPersistDelayMs?: number;
}

export class FacegateService {
  readonly config: Config;
  readonly log: Logger;
  readonly store: SqlStore;
  readonly state: StateStore;
  readonly keys: KeyRing;
  readonly tenants: TenantService;
  readonly gallery: FaissGallery;
  readonly limits: RateLimits;
  readonly sessions: SessionService;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly webhooks: WebhookDispatcher;
  readonly app: express.Express;
  readonly nodeId: string;
  #unsub: (() => void) | null = null;
  #closed = false;

  private constructor(f: Omit<FacegateService, 'close' | 'handleEvent' | 'deleteClient'>) {
    this.config = f.config;
    this.log = f.log;
    this.store = f.store;
    this.state = f.state;
    this.keys = f.keys;
    this.tenants = f.tenants;
    this.gallery = f.gallery;
    this.limits = f.limits;
    this.sessions = f.sessions;
    this.metrics = f.metrics;
    this.audit = f.audit;
    this.webhooks = f.webhooks;
    this.app = f.app;
    this.nodeId = f.nodeId;
  }

  static async start(config: Config, o: FacegateServiceOptions): Promise<FacegateService> {
    const log = o.log;
    const secrets = resolveSecrets(config);
    if (secrets.fromDataDir.length > 0) {
      log.warn({ secrets: secrets.fromDataDir, file: secrets.file }, 'using generated secrets kept in the data dir (set JWT_SECRET and MASTER_KEY in production)');
    }
    const cleanup: (() => Promise<unknown>)[] = [];
    try {
      const store = await openStore(config, o.dbSchema !== undefined ? { schema: o.dbSchema } : {});
      cleanup.push(() => store.close());
      log.info({ engine: store.engine }, 'store ready');
      const state: StateStore = config.storage.redisUrl
        ? await RedisStateStore.open({ url: config.storage.redisUrl, ...(o.redisPrefix !== undefined ? { prefix: o.redisPrefix } : {}) })
        : new MemoryStateStore();
      cleanup.push(() => state.close());
      log.info({ kind: state.kind }, 'session state ready');

      const keys = KeyRing.fromHex(secrets.masterKeyHex);
      const tokens = new TokenService(secrets.jwtSecret, config.service.jwtTtlS);
      const tenants = new TenantService(store, keys, tokens);

      const gallery = new FaissGallery({
        dir: path.join(config.storage.dataDir, 'gallery', store.engine === 'postgres' ? (o.dbSchema ?? 'public') : 'local'),
        ...(o.galleryPersistDelayMs !== undefined ? { persistDelayMs: o.galleryPersistDelayMs } : {}),
        hnswMin: config.service.galleryHnswMin,
        largeIndex: config.service.galleryIndex,
        snapshotKey: (id) => keys.snapshotKey(id),
      });
      cleanup.push(() => gallery.close());
      const sync = await syncGalleryFromStore(gallery, store, keys);
      log.info(sync, 'gallery ready');

      const limits = new RateLimits({
        perKey: config.service.rateLimitPerKey,
        perIp: config.service.rateLimitPerIp,
        lockoutFailures: config.service.lockoutFailures,
        lockoutWindowS: config.service.lockoutWindowS,
        ...(state instanceof RedisStateStore ? { redis: state.client, prefix: `${state.prefix}rl:` } : {}),
      });
      const nodeId = `node_${crypto.randomBytes(6).toString('hex')}`;
      const sessions = new SessionService({
        store,
        state,
        gallery,
        keys,
        engine:
          typeof o.engine === 'function'
            ? o.engine({ store, gallery, keys, publishGalleryChange: (c) => state.publish({ ...c, origin: nodeId }) })
            : (o.engine ?? new FrameEngine(o.analyzer)),
        limiter: limits,
        loadClientKey: (id) => tenants.loadClientKey(id),
        options: {
          sessionTtlS: config.service.sessionTtlS,
          matchThreshold: config.service.matchThreshold,
          enrollSamples: config.service.enrollSamples,
          ...(o.sessionMaxFrames !== undefined ? { maxFrames: o.sessionMaxFrames } : {}),
          nodeId,
        },
      });
      const metrics = new Metrics();
      const audit = new AuditLog(store.sql, (e) => log.error({ err: e }, 'audit append failed'));
      const webhooks = new WebhookDispatcher(store.sql, store, keys, log.child({ component: 'webhooks' }), {
        maxAttempts: config.service.webhookMaxAttempts,
        ...(o.webhookBaseDelayMs !== undefined ? { baseDelayMs: o.webhookBaseDelayMs } : {}),
        onAttempt: (r) => metrics.webhookDeliveries.inc({ result: r }),
      });
      cleanup.push(() => webhooks.close());
      sessions.observe(metrics);
      sessions.observe(audit);
      sessions.observe(new ResultRecorder(store, log));
      sessions.observe(webhooks);
      const sealed = await webhooks.encryptPlaintextSecrets();
      if (sealed.encrypted + sealed.skipped > 0) log.info(sealed, 'webhook secrets from the previous version encrypted');
      await webhooks.resumePending();

      const app = createApp({
        config,
        log,
        store,
        state,
        gallery,
        tenants,
        sessions,
        limits,
        metrics,
        audit,
        webhooks,
        hashIp: ipHasher(secrets.jwtSecret),
        ...(o.healthChecks ? { healthChecks: o.healthChecks } : {}),
      });

      const svc: FacegateService = new FacegateService({
        config, log, store, state, keys, tenants, gallery, limits, sessions, metrics, audit, webhooks, app, nodeId,
      });
      const unsubscribe = state.subscribe((ev) => {
        svc.handleEvent(ev).catch((e: unknown) => log.warn({ err: e, type: ev.type }, 'could not apply gallery event'));
      });
      svc.#unsub = unsubscribe;
      return svc;
    } catch (e) {
      for (const c of cleanup.reverse()) await c().catch(() => {});
      throw e;
    }
  }

  /** Deletes a client everywhere: store rows, data key (crypto-shredding), this node's gallery and, by event, other nodes'. */
  async deleteClient(clientId: string): Promise<boolean> {
    const ok = await this.tenants.deleteClient(clientId);
    await this.gallery.dropClient(clientId);
    await this.state.publish({ type: 'client.deleted', clientId, templateIds: [], origin: this.nodeId }).catch(() => {});
    if (ok) await this.audit.append('client.deleted', clientId, {});
    return ok;
  }

  /** Applies another node's gallery change to this node's gallery (Redis pub/sub). */
  async handleEvent(ev: StateEvent): Promise<void> {
    if (ev.origin === this.nodeId || this.#closed) return;
    if (ev.type === 'gallery.remove') {
      await this.gallery.remove(ev.clientId, ev.templateIds);
    } else if (ev.type === 'client.deleted') {
      await this.gallery.dropClient(ev.clientId);
      this.keys.forget(ev.clientId);
    } else if (ev.type === 'gallery.add') {
      await this.tenants.loadClientKey(ev.clientId);
      const wanted = new Set(ev.templateIds);
      const rows = (await this.store.listTemplates(ev.clientId)).filter((t) => wanted.has(t.id));
      await this.gallery.add(
        ev.clientId,
        rows.map((t) => ({ templateId: t.id, embedding: this.keys.decryptTemplate(ev.clientId, t.id, t.ciphertext) })),
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsub?.();
    await this.webhooks.close();
    await this.audit.flush();
    await this.gallery.close();
    await this.state.close();
    await this.store.close();
  }
}
