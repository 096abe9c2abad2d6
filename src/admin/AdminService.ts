// What an operator can do, once: clients, API keys (create, rotate, revoke),
// per-client policy, users and templates, live sessions, the audit log,
// webhooks, analytics and the system view. Every method returns the wire
// shape (snake_case JSON) so the admin API and the admin CLI (which runs
// these same methods on the store when no node runs) print the same thing.
// Every change is appended to the audit log by the method that makes it.
// Parts only a running node has (gallery, sessions feed, media, jobs) are
// optional; the system view reports what is there.
import { createRequire } from 'node:module';
import { FacegateError } from '../../common/errors.ts';
import type { AuditLog, AuditQuery } from '../audit/AuditLog.ts';
import type { Config } from '../config.ts';
import type { Gallery } from '../gallery/Gallery.ts';
import type { SessionKind, SessionStatus } from '../../common/session.ts';
import { AdminQueries } from '../store/AdminQueries.ts';
import type { SqlStore } from '../store/SqlStore.ts';
import type { TenantService } from '../tenants/TenantService.ts';
import type { WebhookDispatcher } from '../webhooks/WebhookDispatcher.ts';
import { PolicyBody, type Policy } from './adminSchemas.ts';
import type { SessionFeed, SessionView } from './SessionFeed.ts';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json | undefined };
export type JsonObject = { readonly [k: string]: Json | undefined };

export interface AdminServiceDeps {
  readonly config: Config;
  readonly store: SqlStore;
  readonly tenants: TenantService;
  readonly audit: AuditLog;
  /** After a client's rows and data key are gone: drop it from galleries (this node's and, by event, others'). */
  readonly dropClient: (clientId: string) => Promise<void>;
  /** Deletes a user and its templates everywhere (the node's TemplateGallery); default: the store only. */
  readonly removeUser?: (clientId: string, externalId: string) => Promise<readonly string[] | null>;
  readonly webhooks?: WebhookDispatcher;
  readonly gallery?: Gallery;
  readonly feed?: SessionFeed;
  readonly nodeId?: string;
  /** /health's components, as the node computes them. */
  readonly health?: () => Promise<Readonly<Record<string, string>>>;
}

/** Late parts of the system view (the media pool and jobs exist after the service). */
export type SystemSection = () => unknown;

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export class AdminService {
  readonly #d: AdminServiceDeps;
  readonly #q: AdminQueries;
  readonly #sections = new Map<string, SystemSection>();

  constructor(deps: AdminServiceDeps) {
    this.#d = deps;
    this.#q = new AdminQueries(deps.store.sql);
  }

  get auditLog(): AuditLog {
    return this.#d.audit;
  }

  get feed(): SessionFeed | null {
    return this.#d.feed ?? null;
  }

  /** Adds a named part to GET /system (media workers, jobs). */
  addSystemSection(name: string, fn: SystemSection): void {
    this.#sections.set(name, fn);
  }

  async #audit(event: string, clientId: string | null, payload: Record<string, unknown>): Promise<void> {
    await this.#d.audit.append(event, clientId, { ...payload, by: 'admin' });
  }

  async #client(clientId: string) {
    const c = await this.#d.store.getClient(clientId);
    if (!c) throw new FacegateError('not_found', 'no such client');
    return c;
  }

  // --- clients -------------------------------------------------------------
  async listClients(): Promise<JsonObject> {
    const cs = await this.#q.clientSummaries();
    return {
      clients: cs.map((c) => ({ client_id: c.id, name: c.name, created_at: c.createdAt, active_keys: c.activeKeys, users: c.users, webhook_url: c.webhookUrl })),
    };
  }

  async createClient(name: string): Promise<JsonObject> {
    const c = await this.#d.tenants.createClient(name);
    const keys = await this.#q.listApiKeys(c.clientId);
    await this.#audit('client.created', c.clientId, { name: c.name });
    return { client_id: c.clientId, name: c.name, api_key: c.apiKey, key_id: keys[0]?.id ?? null };
  }

  async getClient(clientId: string): Promise<JsonObject> {
    const c = await this.#client(clientId);
    return {
      client_id: c.id,
      name: c.name,
      created_at: c.createdAt,
      webhook_url: c.webhookUrl,
      keys: (await this.listKeys(clientId)).keys,
      policy: (await this.getPolicy(clientId)).policy,
      gallery_size: this.#d.gallery ? await this.#d.gallery.size(clientId) : null,
    };
  }

  async renameClient(clientId: string, name: string): Promise<JsonObject> {
    if (!(await this.#q.renameClient(clientId, name))) throw new FacegateError('not_found', 'no such client');
    await this.#audit('client.renamed', clientId, { name });
    return { client_id: clientId, name };
  }

  /** Deletes the client's rows and its wrapped data key: its templates are unreadable from then on (crypto-shredding). */
  async deleteClient(clientId: string): Promise<JsonObject> {
    if (!(await this.#d.tenants.deleteClient(clientId))) throw new FacegateError('not_found', 'no such client');
    await this.#d.dropClient(clientId);
    await this.#audit('client.deleted', clientId, {});
    return { client_id: clientId, deleted: true, data_key_destroyed: true };
  }

  // --- API keys ------------------------------------------------------------
  async listKeys(clientId: string): Promise<{ keys: JsonObject[] }> {
    await this.#client(clientId);
    const ks = await this.#q.listApiKeys(clientId);
    return {
      keys: ks.map((k) => ({
        key_id: k.id,
        created_at: k.createdAt,
        revoked_at: k.revokedAt,
        revokes_at: k.revokesAt,
        status: k.revokedAt !== null ? 'revoked' : k.revokesAt !== null ? 'rotating' : 'active',
      })),
    };
  }

  async createKey(clientId: string): Promise<JsonObject> {
    const k = await this.#d.tenants.addApiKey(clientId);
    await this.#audit('api_key.created', clientId, { keyId: k.keyId });
    return { client_id: clientId, key_id: k.keyId, api_key: k.apiKey };
  }

  /** Revokes at once: the key and every token exchanged for it are refused from the next request on. */
  async revokeKey(clientId: string, keyId: string): Promise<JsonObject> {
    if (!(await this.#d.tenants.revokeApiKey(clientId, keyId))) throw new FacegateError('not_found', 'no such active key');
    await this.#audit('api_key.revoked', clientId, { keyId });
    return { client_id: clientId, key_id: keyId, revoked: true };
  }

  /** A new key now; the old one keeps working for overlapS seconds, then is revoked. */
  async rotateKey(clientId: string, keyId: string, overlapS: number): Promise<JsonObject> {
    const old = await this.#d.store.getApiKey(clientId, keyId);
    if (!old || old.revokedAt !== null) throw new FacegateError('not_found', 'no such active key');
    const k = await this.#d.tenants.addApiKey(clientId);
    const at = await this.#q.scheduleRevocation(clientId, keyId, overlapS);
    await this.#audit('api_key.rotated', clientId, { keyId: k.keyId, oldKeyId: keyId, overlapS });
    return { client_id: clientId, key_id: k.keyId, api_key: k.apiKey, old_key_id: keyId, old_key_revokes_at: at };
  }

  // --- policy --------------------------------------------------------------
  async getPolicy(clientId: string): Promise<{ client_id: string; policy: Policy }> {
    await this.#client(clientId);
    const raw = await this.#q.getPolicy(clientId);
    return { client_id: clientId, policy: PolicyBody.parse(raw === null ? {} : JSON.parse(raw)) };
  }

  async setPolicy(clientId: string, policy: Policy): Promise<JsonObject> {
    await this.#client(clientId);
    await this.#q.setPolicy(clientId, JSON.stringify(policy));
    await this.#audit('client.policy_set', clientId, { policy });
    return { client_id: clientId, policy };
  }

  // --- users and templates --------------------------------------------------
  async listUsers(clientId: string, page: { limit: number; offset: number }): Promise<JsonObject> {
    await this.#client(clientId);
    const r = await this.#d.store.listUsers(clientId, page);
    return {
      users: r.users.map((u) => ({ external_user_id: u.externalId, created_at: u.createdAt, templates: u.templateCount })),
      total: r.total,
      limit: page.limit,
      offset: page.offset,
    };
  }

  async getUser(clientId: string, externalId: string): Promise<JsonObject> {
    const u = await this.#d.store.getUser(clientId, externalId);
    if (!u) throw new FacegateError('not_found', 'no such user');
    const ts = await this.#d.store.listTemplates(clientId, externalId);
    // Template ids and dates only: the ciphertext never leaves the store.
    return {
      external_user_id: u.externalId,
      created_at: u.createdAt,
      templates: ts.map((t) => ({ template_id: t.id, created_at: t.createdAt, bytes: t.ciphertext.length })),
    };
  }

  async deleteUser(clientId: string, externalId: string): Promise<JsonObject> {
    const removed = this.#d.removeUser ? await this.#d.removeUser(clientId, externalId) : await this.#d.store.deleteUser(clientId, externalId);
    if (removed === null) throw new FacegateError('not_found', 'no such user');
    await this.#audit('user.deleted', clientId, { externalUserId: externalId, templates: removed.length });
    return { external_user_id: externalId, deleted: true, templates_removed: removed.length };
  }

  // --- sessions ------------------------------------------------------------
  listSessions(f: { status?: SessionStatus; kind?: SessionKind; clientId?: string; limit: number }): JsonObject {
    const feed = this.#needFeed();
    return { node_id: this.#d.nodeId ?? null, sessions: feed.list(f) as unknown as Json[] };
  }

  /** A session this node saw, else its decision from the audit log (any node's, while not pruned). */
  async getSession(sessionId: string): Promise<JsonObject> {
    const live: SessionView | null = this.#d.feed?.get(sessionId) ?? null;
    if (live) return live as unknown as JsonObject;
    const rows = await this.#d.store.sql.query(
      `SELECT seq, at, client_id, event, payload FROM audit_log WHERE event LIKE 'session.%' AND payload LIKE $1 ORDER BY seq`,
      [`%"sessionId":${JSON.stringify(sessionId)}%`],
    );
    if (rows.length === 0) throw new FacegateError('not_found', 'no such session');
    const events = rows.map((r) => ({ seq: Number(r.seq), at: String(r.at), event: String(r.event), payload: JSON.parse(String(r.payload)) as Record<string, Json> }));
    const lastEvent = events[events.length - 1]!;
    const last: Record<string, Json | undefined> = { ...lastEvent.payload, at: lastEvent.at };
    const decided = lastEvent.event !== 'session.created';
    return {
      session_id: sessionId,
      client_id: rows[0]!.client_id == null ? null : String(rows[0]!.client_id),
      kind: (last.kind as Json) ?? null,
      status: decided ? lastEvent.event.slice('session.'.length) : 'created',
      decision: decided
        ? { reason: last.reason ?? null, similarity: last.similarity ?? null, scores: last.scores ?? {}, timings_ms: last.timingsMs ?? {}, duration_ms: last.durationMs ?? null, decided_at: last.at }
        : null,
      events: events.map((e) => ({ seq: e.seq, at: e.at, event: e.event })),
    };
  }

  #needFeed(): SessionFeed {
    if (!this.#d.feed) throw new FacegateError('service_unavailable', 'live sessions are listed by a running node only', { reason: 'no_node' });
    return this.#d.feed;
  }

  // --- audit ---------------------------------------------------------------
  async auditPage(q: AuditQuery): Promise<JsonObject> {
    const entries = await this.#d.audit.query(q);
    return {
      entries: entries.map((e) => ({ seq: e.seq, at: e.at, client_id: e.clientId, event: e.event, payload: JSON.parse(e.payload) as Json, hash: e.hash })),
      next_before_seq: entries.length === q.limit ? entries[entries.length - 1]!.seq : null,
    };
  }

  async auditVerify(): Promise<JsonObject> {
    const r = await this.#d.audit.verify();
    return { ...r, key_id: this.#d.audit.signer?.keyId ?? null };
  }

  auditPublicKey(): JsonObject {
    const s = this.#d.audit.signer;
    if (!s) throw new FacegateError('service_unavailable', 'no audit signing key');
    return { key_id: s.keyId, public_key: s.publicKeyPem, algorithm: 'Ed25519' };
  }

  /** Audits the export itself (who took the log out, and up to where). */
  async auditExported(): Promise<void> {
    await this.#audit('audit.exported', null, {});
  }

  // --- webhooks ------------------------------------------------------------
  #needWebhooks(): WebhookDispatcher {
    if (!this.#d.webhooks) throw new FacegateError('service_unavailable', 'webhooks are handled by a running node only', { reason: 'no_node' });
    return this.#d.webhooks;
  }

  async getWebhook(clientId: string): Promise<JsonObject> {
    const c = await this.#client(clientId);
    return { client_id: clientId, url: c.webhookUrl, configured: c.webhookUrl !== null };
  }

  async setWebhook(clientId: string, url: string | null): Promise<JsonObject> {
    await this.#client(clientId);
    const { secret } = await this.#needWebhooks().configure(clientId, url);
    await this.#audit('webhook.configured', clientId, { enabled: url !== null });
    return { client_id: clientId, url, secret };
  }

  async listDeliveries(clientId: string, page: { limit: number; offset: number }): Promise<JsonObject> {
    await this.#client(clientId);
    const rows = await this.#q.deliveries(clientId, page);
    return {
      deliveries: rows.map((r) => ({
        delivery_id: String(r.id),
        event: String(r.event),
        url: String(r.url),
        status: String(r.status),
        attempts: Number(r.attempts),
        last_status: r.last_status == null ? null : Number(r.last_status),
        last_error: r.last_error == null ? null : String(r.last_error),
        created_at: new Date(String(r.created_at instanceof Date ? r.created_at.toISOString() : r.created_at)).toISOString(),
      })),
      limit: page.limit,
      offset: page.offset,
    };
  }

  async redeliver(clientId: string, deliveryId: string): Promise<JsonObject> {
    const webhooks = this.#needWebhooks();
    if (!(await this.#q.requeueDelivery(clientId, deliveryId))) {
      throw new FacegateError('not_found', 'no such finished delivery (pending ones are already queued)');
    }
    webhooks.redeliver(deliveryId);
    await this.#audit('webhook.redelivered', clientId, { deliveryId });
    return { client_id: clientId, delivery_id: deliveryId, status: 'pending' };
  }

  // --- analytics and system --------------------------------------------------
  async analytics(q: { clientId: string | null; from: Date; to: Date }): Promise<JsonObject> {
    const a = await this.#q.analytics(q.clientId, q.from, q.to);
    return {
      client_id: q.clientId,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      per_day: a.perDay.map((d) => ({ day: d.day, attempts: d.attempts, successes: d.successes, success_rate: d.attempts ? d.successes / d.attempts : null })),
      failure_reasons: a.failureReasons,
      latency_ms: a.latencyMs,
    };
  }

  async system(): Promise<JsonObject> {
    const galleries: Json[] = [];
    if (this.#d.gallery) {
      for (const c of await this.#d.store.listClients()) galleries.push({ client_id: c.id, name: c.name, size: await this.#d.gallery.size(c.id) });
    }
    const sections: Record<string, Json> = {};
    for (const [name, fn] of this.#sections) {
      try {
        sections[name] = (await fn()) as Json;
      } catch (e) {
        sections[name] = { error: e instanceof Error ? e.message : String(e) };
      }
    }
    const mem = process.memoryUsage();
    return {
      node_id: this.#d.nodeId ?? null,
      pid: process.pid,
      uptime_s: Math.round(process.uptime()),
      health: this.#d.health ? await this.#d.health() : null,
      store: this.#d.store.engine,
      versions: { facegate: VERSION, node: process.versions.node, schema: await this.#schemaVersion() },
      memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed },
      galleries,
      retention_days: this.#d.config.admin.retentionDays,
      ...sections,
    };
  }

  async #schemaVersion(): Promise<number> {
    const r = await this.#d.store.sql.query('SELECT max(version) AS v FROM schema_migrations');
    return Number(r[0]?.v ?? 0);
  }
}
