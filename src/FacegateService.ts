// The service, assembled in two steps onto one CloseStack: openServiceCore()
// opens what sessions stand on (store -> state -> key ring -> tenants ->
// gallery -> rate limits, metrics, audit, webhooks), then
// FacegateService.assemble() adds the sessions over a given session engine,
// their observers, gallery replication and the express app. A session engine
// that needs the store, gallery or key ring (the liveness engines) is built
// by the caller between the two steps, from the core. start() does both with
// the per-frame REST engine; FacegateNode does both around its own engines.
// main.ts adds the HTTP server, socket.io and signals.
import crypto from 'node:crypto';
import path from 'node:path';
import type express from 'express';
import type { Logger } from 'pino';
import type { FaceAnalyzerLike } from '../models/types.ts';
import { AccountService } from './accounts/AccountService.ts';
import { decisionSealer } from './accounts/faceLogin.ts';
import { createApp, ipHasher, type HealthCheck } from './api/createApp.ts';
import { createAdmin } from './admin/createAdmin.ts';
import type { AdminService } from './admin/AdminService.ts';
import type { AuditLog } from './audit/AuditLog.ts';
import { openAuditLog } from './audit/openAuditLog.ts';
import { jobRunView, type JobRunner } from './jobs/JobRunner.ts';
import { startJobs } from './jobs/startJobs.ts';
import { TokenService } from './auth/TokenService.ts';
import { UserTokens } from './auth/UserTokens.ts';
import { VerdictSigner } from './auth/VerdictSigner.ts';
import { CloseStack } from './CloseStack.ts';
import type { Config } from './config.ts';
import { KeyRing } from './crypto/KeyRing.ts';
import { FaissGallery } from './gallery/FaissGallery.ts';
import { galleryPublisher, replicateGallery } from './gallery/replication.ts';
import { syncGalleryFromStore } from './gallery/syncGalleryFromStore.ts';
import { TemplateGallery } from './gallery/TemplateGallery.ts';
import { Metrics } from './metrics/Metrics.ts';
import { RateLimits } from './ratelimit/RateLimits.ts';
import { resolveSecrets } from './secrets.ts';
import { FrameEngine } from './sessions/FrameEngine.ts';
import { ResultRecorder } from './sessions/ResultRecorder.ts';
import type { SessionEngine } from './sessions/SessionEngine.ts';
import { SessionService } from './sessions/SessionService.ts';
import { MemoryStateStore } from './state/MemoryStateStore.ts';
import { RedisStateStore } from './state/RedisStateStore.ts';
import type { StateStore } from './state/StateStore.ts';
import { openStore } from './store/openStore.ts';
import type { SqlStore } from './store/SqlStore.ts';
import { deleteClient } from './tenants/deleteClient.ts';
import { TenantService } from './tenants/TenantService.ts';
import { WebhookDispatcher } from './webhooks/WebhookDispatcher.ts';

/** Knobs only tests set: isolation of runs that share a database, and shorter timings. */
export interface ServiceTesting {
  /** PostgreSQL schema / Redis key prefix, to isolate test runs. */
  readonly dbSchema?: string;
  readonly redisPrefix?: string;
  /** First webhook retry delay, ms (default: WebhookDispatcher's). */
  readonly webhookBaseDelayMs?: number;
  /** Delay before a gallery change is persisted, ms (default: FaissGallery's). */
  readonly galleryPersistDelayMs?: number;
}

export interface FacegateServiceOptions {
  readonly log: Logger;
  /** The face analyzer behind the default per-frame REST engine (owned by the caller). */
  readonly analyzer: FaceAnalyzerLike;
  /** The session engine behind the REST frame routes (default: a FrameEngine over `analyzer`). */
  readonly engine?: SessionEngine;
  readonly healthChecks?: Readonly<Record<string, HealthCheck>>;
  readonly testing?: ServiceTesting;
}

/** What sessions stand on, opened by openServiceCore(); session engines are built from it. */
export interface ServiceCore {
  readonly config: Config;
  readonly log: Logger;
  readonly nodeId: string;
  readonly store: SqlStore;
  readonly state: StateStore;
  readonly keys: KeyRing;
  readonly tenants: TenantService;
  readonly gallery: FaissGallery;
  /** The templates' one owner: encrypts, stores, indexes and publishes them; its read side is the engines' matcher. */
  readonly templates: TemplateGallery;
  readonly limits: RateLimits;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly webhooks: WebhookDispatcher;
  /** Keyed HMAC for IPs (audit never sees raw addresses). */
  readonly hashIp: (ip: string) => string;
  /** End-user accounts and their tokens (register, login, refresh, face login). */
  readonly accounts: AccountService;
  /** Signs every verdict (ES256); its public key is /.well-known/jwks.json. */
  readonly verdicts: VerdictSigner;
}

/** What assemble() adds over a core. */
export interface AssembleOptions {
  readonly engine: SessionEngine;
  /** Frames a session may submit before it fails with too_many_frames (SessionService default 60). */
  readonly sessionMaxFrames?: number;
  readonly healthChecks?: Readonly<Record<string, HealthCheck>>;
}

async function openState(config: Config, t: ServiceTesting, stack: CloseStack) {
  const store = await openStore(config, t.dbSchema !== undefined ? { schema: t.dbSchema } : {});
  stack.push('store', () => store.close());
  const state: StateStore = config.storage.redisUrl
    ? await RedisStateStore.open({ url: config.storage.redisUrl, ...(t.redisPrefix !== undefined ? { prefix: t.redisPrefix } : {}) })
    : new MemoryStateStore();
  stack.push('state', () => state.close());
  return { store, state };
}

async function openGallery(config: Config, store: SqlStore, keys: KeyRing, metrics: Metrics, t: ServiceTesting, stack: CloseStack): Promise<FaissGallery> {
  const gallery = new FaissGallery({
    onSearch: (seconds) => metrics.gallerySearchLatency.observe(seconds),
    dir: path.join(config.storage.dataDir, 'gallery', store.engine === 'postgres' ? (t.dbSchema ?? 'public') : 'local'),
    ...(t.galleryPersistDelayMs !== undefined ? { persistDelayMs: t.galleryPersistDelayMs } : {}),
    hnswMin: config.service.galleryHnswMin,
    largeIndex: config.service.galleryIndex,
    snapshotKey: (id) => keys.snapshotKey(id),
  });
  stack.push('gallery', () => gallery.close());
  return gallery;
}

async function openWebhooks(config: Config, log: Logger, store: SqlStore, keys: KeyRing, metrics: Metrics, t: ServiceTesting, stack: CloseStack) {
  const audit = openAuditLog(config, store.sql, {
    ...(t.dbSchema !== undefined ? { schema: t.dbSchema } : {}),
    onError: (e) => log.error({ err: e }, 'audit append failed'),
  });
  if (store.engine === 'postgres' && config.admin.auditSigningKeyHex === undefined) {
    log.warn('AUDIT_SIGNING_KEY is unset: this node signs audit heads with a key of its own data dir; with several nodes set the same AUDIT_SIGNING_KEY on all, or heads signed elsewhere fail audit:verify');
  }
  stack.push('audit', () => audit.flush());
  const webhooks = new WebhookDispatcher(store.sql, store, keys, log.child({ component: 'webhooks' }), {
    maxAttempts: config.service.webhookMaxAttempts,
    allowPrivate: config.service.webhookAllowPrivate,
    ...(t.webhookBaseDelayMs !== undefined ? { baseDelayMs: t.webhookBaseDelayMs } : {}),
    onAttempt: (r) => metrics.webhookDeliveries.inc({ result: r }),
  });
  stack.push('webhooks', () => webhooks.close());
  const sealed = await webhooks.encryptPlaintextSecrets();
  if (sealed.encrypted + sealed.skipped > 0) log.info(sealed, 'webhook secrets from the previous version encrypted');
  await webhooks.resumePending();
  return { audit, webhooks };
}

/** Opens the store, state, gallery (synced from the store), webhooks and the rest of the core onto `stack`, in that order. */
export async function openServiceCore(config: Config, o: { readonly log: Logger; readonly testing?: ServiceTesting | undefined }, stack: CloseStack): Promise<ServiceCore> {
  const { log } = o;
  const t = o.testing ?? {};
  const secrets = resolveSecrets(config);
  if (secrets.fromDataDir.length > 0) {
    log.warn({ secrets: secrets.fromDataDir, file: secrets.file }, 'using generated secrets kept in the data dir (set JWT_SECRET and MASTER_KEY in production)');
  }
  const { store, state } = await openState(config, t, stack);
  log.info({ engine: store.engine }, 'store ready');
  log.info({ kind: state.kind }, 'session state ready');
  const keys = KeyRing.fromHex(secrets.masterKeyHex);
  const tenants = new TenantService(store, keys, new TokenService(secrets.jwtSecret, config.service.jwtTtlS));
  const metrics = new Metrics();
  const gallery = await openGallery(config, store, keys, metrics, t, stack);
  log.info(await syncGalleryFromStore(gallery, store, keys), 'gallery ready');
  const limits = new RateLimits({
    perKey: config.service.rateLimitPerKey,
    perIp: config.service.rateLimitPerIp,
    perSession: config.service.rateLimitPerSession,
    lockoutFailures: config.service.lockoutFailures,
    lockoutWindowS: config.service.lockoutWindowS,
    ...(state instanceof RedisStateStore ? { redis: state.client, prefix: `${state.prefix}rl:` } : {}),
    store: store.sql,
  });
  const { audit, webhooks } = await openWebhooks(config, log, store, keys, metrics, t, stack);
  const nodeId = `node_${crypto.randomBytes(6).toString('hex')}`;
  const templates = new TemplateGallery({ store, index: gallery, keys, onChange: galleryPublisher(state, nodeId) });
  const accounts = new AccountService(store, new UserTokens(secrets.jwtSecret, { accessTtlS: config.service.jwtTtlS, refreshTtlS: config.security.refreshTtlS }), limits);
  const verdicts = await VerdictSigner.open({ pem: config.security.verdictSigningKeyPem, dataDir: config.storage.dataDir });
  if (verdicts.source === 'data_dir' && config.storage.databaseUrl) {
    log.warn({ kid: verdicts.kid }, 'verdict tokens signed with a key kept in the data dir; set VERDICT_SIGNING_KEY so every node signs with, and serves, the same key');
  }
  return { config, log, nodeId, store, state, keys, tenants, gallery, templates, limits, metrics, audit, webhooks, hashIp: ipHasher(secrets.jwtSecret), accounts, verdicts };
}

// The class carries every core part as its own readonly field (service.store, service.tenants, ...).
export interface FacegateService extends ServiceCore {}

export class FacegateService {
  readonly sessions: SessionService;
  /** The operator's API (/api/admin) over this service. */
  readonly admin: AdminService;
  /** Background jobs (retention, audit pruning, gallery compaction). */
  readonly jobs: JobRunner;
  readonly app: express.Express;
  readonly #stack: CloseStack;

  private constructor(core: ServiceCore, f: { sessions: SessionService; admin: AdminService; jobs: JobRunner; app: express.Express }, stack: CloseStack) {
    Object.assign(this, core);
    this.sessions = f.sessions;
    this.admin = f.admin;
    this.jobs = f.jobs;
    this.app = f.app;
    this.#stack = stack;
  }

  /** Opens a core and assembles the service on it, on a close stack of its own. */
  static async start(config: Config, o: FacegateServiceOptions): Promise<FacegateService> {
    const stack = new CloseStack((f) => o.log.warn({ err: f.error, step: f.name }, 'error while closing'));
    try {
      const core = await openServiceCore(config, o, stack);
      return FacegateService.assemble(core, { engine: o.engine ?? new FrameEngine(o.analyzer), ...(o.healthChecks ? { healthChecks: o.healthChecks } : {}) }, stack);
    } catch (e) {
      await stack.closeAll();
      throw e;
    }
  }

  /** Sessions over `o.engine`, their observers, gallery replication and the REST app, over an open core; `stack` holds what it opens. */
  static assemble(core: ServiceCore, o: AssembleOptions, stack: CloseStack): FacegateService {
    const { config, store, state, log } = core;
    const sessions = new SessionService({
      store,
      state,
      templates: core.templates,
      engine: o.engine,
      limiter: core.limits,
      loadClientKey: (id) => core.tenants.loadClientKey(id),
      seal: decisionSealer({ signer: core.verdicts, accounts: core.accounts, log }),
      options: {
        sessionTtlS: config.service.sessionTtlS,
        matchThreshold: config.service.matchThreshold,
        enrollSamples: config.service.enrollSamples,
        ...(o.sessionMaxFrames !== undefined ? { maxFrames: o.sessionMaxFrames } : {}),
      },
    });
    sessions.observe(core.metrics);
    sessions.observe(core.audit);
    sessions.observe(new ResultRecorder(store, log));
    sessions.observe(core.webhooks);
    const admin = createAdmin({ ...core, sessions, ...(o.healthChecks ? { healthChecks: o.healthChecks } : {}) });
    if (admin.credential.source === 'data_dir') log.info({ file: admin.credential.file }, 'admin API token kept in the data dir (or set ADMIN_TOKEN)');
    const jobs = startJobs({ ...core, log: log.child({ component: 'jobs' }), onRun: (run) => admin.service.feed?.publish({ type: 'job.run', job: jobRunView(run) }) });
    stack.push('jobs', () => jobs.close());
    admin.service.addSystemSection('jobs', async () => ({ enabled: config.admin.jobs, recent: (await jobs.recent(20)).map(jobRunView) }));
    const app = createApp({ ...core, sessions, adminRouter: admin.router, ...(o.healthChecks ? { healthChecks: o.healthChecks } : {}) });
    const stopReplication = replicateGallery({ ...core, loadClientKey: (id) => core.tenants.loadClientKey(id) });
    stack.push('gallery replication', stopReplication);
    return new FacegateService(core, { sessions, admin: admin.service, jobs, app }, stack);
  }

  /** Deletes a client everywhere (src/tenants/deleteClient.ts). */
  deleteClient(clientId: string): Promise<boolean> {
    return deleteClient(this, clientId);
  }

  /**
   * Closes everything on the service's close stack in reverse opening order;
   * idempotent. Inside a FacegateNode that stack is the node's: the same as node.close().
   */
  async close(): Promise<void> {
    await this.#stack.closeAll();
  }
}
