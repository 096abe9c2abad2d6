// Per-client webhooks for session.succeeded / session.failed. Each event is
// first written to webhook_deliveries (the delivery log), then POSTed with an
// HMAC-SHA256 signature over "<timestamp>.<body>"; non-2xx answers, network
// errors and timeouts are retried with exponential backoff up to
// maxAttempts. Pending deliveries are resumed at start.
// The signing secret is stored only sealed under the client's data key (AAD:
// client id + webhook id), returned once by configure() and opened only to
// sign a delivery; it never reaches a log line or an API answer. A secret that
// cannot be opened (tampered row, row copied from another client or webhook)
// fails that delivery, which is logged as failed; nothing is sent.
// Every attempt, retries included, goes to the webhook's URL and is signed
// with its secret as they are when the attempt is made (the delivery row's
// url column records where the last attempt went): a URL or secret change
// redirects pending retries, removing the webhook fails them.
// Where a delivery may go is webhookTarget.ts's rule. A failed send is one
// generic class in the tenant's delivery log ("delivery failed", no status):
// a refused address, a refused connection, a timeout and an HTTP 404 read the
// same, so the log cannot map the tenant's network; the detail goes to the
// server log.
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/KeyRing.ts';
import { FacegateError } from '../../common/errors.ts';
import type { SqlClient, SqlRow } from '../store/SqlClient.ts';
import { toBuffer, toIso } from '../store/SqlClient.ts';
import type { Store } from '../store/Store.ts';
import type { SessionObserver } from '../sessions/SessionService.ts';
import type { SessionRecord } from '../../common/session.ts';
import { checkWebhookUrl, postWebhook } from './webhookTarget.ts';

export type WebhookEvent = 'session.succeeded' | 'session.failed';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  readonly id: string;
  readonly event: WebhookEvent;
  readonly url: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
}

export interface WebhookDispatcherOptions {
  readonly maxAttempts: number;
  /** First retry delay; doubles per attempt. */
  readonly baseDelayMs?: number;
  readonly timeoutMs?: number;
  /** Deliver to loopback/private/link-local addresses too (WEBHOOK_ALLOW_PRIVATE=1). Default: refused. */
  readonly allowPrivate?: boolean;
  readonly onAttempt?: (result: 'delivered' | 'retry' | 'failed') => void;
}

/** The tenant-facing last_error of a send that did not get a 2xx answer, whatever the cause. */
export const DELIVERY_FAILED = 'delivery failed';

export const SIGNATURE_HEADER = 'x-facegate-signature';

export function signPayload(secret: string, timestamp: number, body: string): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Receiver-side check: signature matches and the timestamp is within toleranceS of now. */
export function verifySignature(secret: string, header: string, body: string, toleranceS = 300, nowS = Math.floor(Date.now() / 1000)): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const expected = Buffer.from(signPayload(secret, t, body).slice(-64), 'hex');
  return crypto.timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

/** What encryptPlaintextSecrets() did with rows written by a version that stored secrets in plain text. */
export interface SecretMigrationResult {
  readonly encrypted: number;
  /** Rows whose data key could not be unwrapped: left as they were (nothing lost), logged. */
  readonly skipped: number;
}

export class WebhookDispatcher implements SessionObserver {
  readonly #db: SqlClient;
  readonly #store: Store;
  readonly #keys: KeyRing;
  readonly #log: Logger;
  readonly #opts: Required<Omit<WebhookDispatcherOptions, 'onAttempt'>> & Pick<WebhookDispatcherOptions, 'onAttempt'>;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  constructor(db: SqlClient, store: Store, keys: KeyRing, log: Logger, options: WebhookDispatcherOptions) {
    this.#db = db;
    this.#store = store;
    this.#keys = keys;
    this.#log = log;
    this.#opts = { baseDelayMs: 1000, timeoutMs: 5000, allowPrivate: false, ...options };
  }

  /** Sets (or clears, with null) a client's webhook URL; returns the new signing secret (shown once). */
  async configure(clientId: string, url: string | null): Promise<{ secret: string | null }> {
    if (url !== null) checkWebhookUrl(url, this.#opts.allowPrivate);
    const client = await this.#store.getClient(clientId);
    if (!client) throw new FacegateError('not_found', 'no such client');
    if (url === null) {
      if (!(await this.#store.setWebhook(clientId, null))) throw new FacegateError('not_found', 'no such client');
      return { secret: null };
    }
    this.#keys.load(client.id, client.wrappedKey);
    const secret = `whsec_${crypto.randomBytes(24).toString('base64url')}`;
    const id = newWebhookId();
    const secretCiphertext = this.#keys.encryptWebhookSecret(clientId, id, secret);
    if (!(await this.#store.setWebhook(clientId, { url, id, secretCiphertext }))) {
      throw new FacegateError('not_found', 'no such client');
    }
    return { secret };
  }

  /**
   * Seals the secrets that a previous version stored in plain text
   * (clients.webhook_secret) and clears that column, at start. Each row is
   * updated only if its plaintext is still the one read, so nodes starting
   * together (or an old node reconfiguring meanwhile) never lose a secret.
   */
  async encryptPlaintextSecrets(): Promise<SecretMigrationResult> {
    const rows = await this.#db.query(
      'SELECT id, wrapped_key, webhook_secret FROM clients WHERE webhook_secret IS NOT NULL ORDER BY id',
    );
    let encrypted = 0;
    let skipped = 0;
    for (const r of rows) {
      const clientId = String(r.id);
      try {
        if (await this.#sealLegacy(clientId, toBuffer(r.wrapped_key), String(r.webhook_secret))) encrypted++;
      } catch (e) {
        skipped++;
        this.#log.warn({ clientId, reason: reasonOf(e) }, 'could not encrypt a plaintext webhook secret; left in place');
      }
    }
    return { encrypted, skipped };
  }

  async onDecided(s: SessionRecord): Promise<void> {
    if (s.status !== 'succeeded' && s.status !== 'failed') return;
    const client = await this.#store.getClient(s.clientId);
    if (!client?.webhookUrl || !client.webhookSecretCiphertext) return;
    const event: WebhookEvent = s.status === 'succeeded' ? 'session.succeeded' : 'session.failed';
    const id = `whd_${crypto.randomBytes(12).toString('hex')}`;
    const body = JSON.stringify({
      id,
      event,
      created_at: new Date().toISOString(),
      data: {
        session_id: s.id,
        kind: s.kind,
        status: s.status,
        external_user_id: s.decision?.externalUserId ?? s.externalUserId,
        reason: s.decision?.reason ?? null,
        similarity: s.decision?.similarity ?? null,
      },
    });
    await this.#db.query(
      `INSERT INTO webhook_deliveries(id, client_id, event, url, body, status) VALUES ($1, $2, $3, $4, $5, 'pending')`,
      [id, s.clientId, event, client.webhookUrl, body],
    );
    this.#schedule(id, 0);
  }

  /** Re-queues deliveries left pending by a previous run. */
  async resumePending(): Promise<number> {
    const rows = await this.#db.query(`SELECT id FROM webhook_deliveries WHERE status = 'pending' ORDER BY created_at`);
    for (const r of rows) this.#schedule(String(r.id), 0);
    return rows.length;
  }

  /** Attempts one delivery now (admin redeliver, after it was put back to pending). */
  redeliver(deliveryId: string): void {
    this.#schedule(deliveryId, 0);
  }

  async listDeliveries(clientId: string, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.#db.query(
      `SELECT id, event, url, status, attempts, last_status, last_error, created_at FROM webhook_deliveries
        WHERE client_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [clientId, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      event: String(r.event) as WebhookEvent,
      url: String(r.url),
      status: String(r.status) as DeliveryStatus,
      attempts: Number(r.attempts),
      lastStatus: r.last_status == null ? null : Number(r.last_status),
      lastError: r.last_error == null ? null : String(r.last_error),
      createdAt: toIso(r.created_at),
    }));
  }

  /** Resolves when no delivery is in flight or scheduled (tests, shutdown drain). */
  async idle(): Promise<void> {
    while (this.#timers.size > 0 || this.#inflight.size > 0) {
      await Promise.all([...this.#inflight]);
      if (this.#timers.size > 0) await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all([...this.#inflight]);
  }

  #schedule(id: string, delayMs: number): void {
    if (this.#closed) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      const p = this.#attempt(id).catch((e: unknown) => this.#log.warn({ err: e, deliveryId: id }, 'webhook attempt errored'));
      this.#inflight.add(p);
      void p.finally(() => this.#inflight.delete(p));
    }, delayMs);
    this.#timers.add(t);
  }

  async #attempt(id: string): Promise<void> {
    const rows = await this.#db.query(
      `SELECT c.webhook_url AS url, d.body, d.attempts, d.status, c.id AS client_id, c.wrapped_key, c.webhook_id,
              c.webhook_secret_ciphertext, c.webhook_secret
         FROM webhook_deliveries d JOIN clients c ON c.id = d.client_id WHERE d.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row || row.status !== 'pending') return;
    let secret: string;
    try {
      secret = await this.#openSecret(row);
    } catch (e) {
      // Database outage: the delivery stays pending (resumed at the next start).
      if (e instanceof FacegateError && e.code === 'service_unavailable') throw e;
      // A secret that does not open will not open on a retry either.
      const reason = reasonOf(e);
      const why = reason === 'webhook_removed' ? 'webhook no longer configured' : `webhook secret unreadable (${reason})`;
      this.#log.warn({ deliveryId: id, clientId: String(row.client_id), reason }, 'webhook delivery failed before sending');
      await this.#db.query(
        `UPDATE webhook_deliveries SET last_error = $2, status = 'failed', updated_at = now() WHERE id = $1`,
        [id, why],
      );
      this.#opts.onAttempt?.('failed');
      return;
    }
    const attempts = Number(row.attempts) + 1;
    const url = String(row.url);
    const body = String(row.body);
    const ts = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    try {
      status = await postWebhook(url, {
        headers: {
          'content-type': 'application/json',
          'x-facegate-event': JSON.parse(body).event as string,
          'x-facegate-delivery': id,
          [SIGNATURE_HEADER]: signPayload(secret, ts, body),
        },
        body,
        timeoutMs: this.#opts.timeoutMs,
        allowPrivate: this.#opts.allowPrivate,
      });
    } catch (e) {
      this.#log.warn({ deliveryId: id, clientId: String(row.client_id), attempt: attempts, err: e }, 'webhook delivery attempt failed');
    }
    const done = status !== null;
    const final = done || attempts >= this.#opts.maxAttempts;
    const next: DeliveryStatus = done ? 'delivered' : final ? 'failed' : 'pending';
    await this.#db.query(
      `UPDATE webhook_deliveries SET url = $6, attempts = $2, last_status = $3, last_error = $4, status = $5, updated_at = now() WHERE id = $1`,
      [id, attempts, status, done ? null : DELIVERY_FAILED, next, url],
    );
    this.#opts.onAttempt?.(done ? 'delivered' : final ? 'failed' : 'retry');
    if (!final) this.#schedule(id, this.#opts.baseDelayMs * 2 ** (attempts - 1));
  }

  /** The client's signing secret, opened for one delivery. */
  async #openSecret(row: SqlRow): Promise<string> {
    const clientId = String(row.client_id);
    const wrappedKey = toBuffer(row.wrapped_key);
    if (row.url == null) throw new FacegateError('not_found', 'webhook no longer configured', { reason: 'webhook_removed' });
    if (row.webhook_secret != null) {
      // Written in plain text by a node of the previous version after this
      // node started (rolling upgrade): seal it now, sign with it this once.
      const plain = String(row.webhook_secret);
      await this.#sealLegacy(clientId, wrappedKey, plain);
      return plain;
    }
    if (row.webhook_secret_ciphertext == null || row.webhook_id == null) {
      throw new FacegateError('not_found', 'webhook no longer configured', { reason: 'webhook_removed' });
    }
    this.#keys.load(clientId, wrappedKey);
    return this.#keys.decryptWebhookSecret(clientId, String(row.webhook_id), toBuffer(row.webhook_secret_ciphertext));
  }

  async #sealLegacy(clientId: string, wrappedKey: Buffer, plain: string): Promise<boolean> {
    this.#keys.load(clientId, wrappedKey);
    const webhookId = newWebhookId();
    const ct = this.#keys.encryptWebhookSecret(clientId, webhookId, plain);
    const done = await this.#db.query(
      `UPDATE clients SET webhook_id = $2, webhook_secret_ciphertext = $3, webhook_secret = NULL
        WHERE id = $1 AND webhook_secret = $4 RETURNING id`,
      [clientId, webhookId, ct, plain],
    );
    return done.length > 0;
  }
}

function newWebhookId(): string {
  return `wh_${crypto.randomBytes(12).toString('hex')}`;
}

/** A log- and API-safe description of why a secret could not be used (never the secret). */
function reasonOf(e: unknown): string {
  if (e instanceof FacegateError) return typeof e.details?.reason === 'string' ? e.details.reason : e.code;
  return e instanceof Error ? e.name : 'unknown';
}
