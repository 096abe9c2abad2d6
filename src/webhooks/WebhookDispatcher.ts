// Per-client webhooks for session.succeeded / session.failed. Each event is
// first written to webhook_deliveries (the delivery log), then POSTed with an
// HMAC-SHA256 signature over "<timestamp>.<body>"; non-2xx answers, network
// errors and timeouts are retried with exponential backoff up to
// maxAttempts. Pending deliveries are resumed at start.
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { FacegateError } from '../errors.ts';
import type { SqlClient } from '../store/SqlClient.ts';
import { toIso } from '../store/SqlClient.ts';
import type { Store } from '../store/Store.ts';
import type { SessionObserver } from '../sessions/SessionService.ts';
import type { SessionRecord } from '../sessions/SessionRecord.ts';

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
  readonly onAttempt?: (result: 'delivered' | 'retry' | 'failed') => void;
}

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

export class WebhookDispatcher implements SessionObserver {
  readonly #db: SqlClient;
  readonly #store: Store;
  readonly #log: Logger;
  readonly #opts: Required<Omit<WebhookDispatcherOptions, 'onAttempt'>> & Pick<WebhookDispatcherOptions, 'onAttempt'>;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  constructor(db: SqlClient, store: Store, log: Logger, options: WebhookDispatcherOptions) {
    this.#db = db;
    this.#store = store;
    this.#log = log;
    this.#opts = { baseDelayMs: 1000, timeoutMs: 5000, ...options };
  }

  /** Sets (or clears, with null) a client's webhook URL; returns the new signing secret (shown once). */
  async configure(clientId: string, url: string | null): Promise<{ secret: string | null }> {
    if (url !== null) {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        throw new FacegateError('validation_error', 'webhook url is not a URL', { field: 'url' });
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:') {
        throw new FacegateError('validation_error', 'webhook url must be http(s)', { field: 'url' });
      }
    }
    const secret = url === null ? null : `whsec_${crypto.randomBytes(24).toString('base64url')}`;
    if (!(await this.#store.setWebhook(clientId, url, secret))) throw new FacegateError('not_found', 'no such client');
    return { secret };
  }

  async onDecided(s: SessionRecord): Promise<void> {
    if (s.status !== 'succeeded' && s.status !== 'failed') return;
    const client = await this.#store.getClient(s.clientId);
    if (!client?.webhookUrl || !client.webhookSecret) return;
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
      `SELECT d.url, d.body, d.attempts, d.status, c.webhook_secret FROM webhook_deliveries d
         JOIN clients c ON c.id = d.client_id WHERE d.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row || row.status !== 'pending' || row.webhook_secret == null) return;
    const attempts = Number(row.attempts) + 1;
    const body = String(row.body);
    const ts = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(String(row.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-facegate-event': JSON.parse(body).event as string,
          'x-facegate-delivery': id,
          [SIGNATURE_HEADER]: signPayload(String(row.webhook_secret), ts, body),
        },
        body,
        signal: AbortSignal.timeout(this.#opts.timeoutMs),
        redirect: 'manual',
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const done = error === null;
    const final = done || attempts >= this.#opts.maxAttempts;
    const next: DeliveryStatus = done ? 'delivered' : final ? 'failed' : 'pending';
    await this.#db.query(
      `UPDATE webhook_deliveries SET attempts = $2, last_status = $3, last_error = $4, status = $5, updated_at = now() WHERE id = $1`,
      [id, attempts, status, error, next],
    );
    this.#opts.onAttempt?.(done ? 'delivered' : final ? 'failed' : 'retry');
    if (!final) this.#schedule(id, this.#opts.baseDelayMs * 2 ** (attempts - 1));
  }
}
