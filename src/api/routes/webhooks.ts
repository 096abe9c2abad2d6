// A client's webhook: set or clear the URL (the signing secret is returned
// once), and the delivery log.
import { Router, type RequestHandler } from 'express';
import type { AuditLog } from '../../audit/AuditLog.ts';
import type { WebhookDispatcher } from '../../webhooks/WebhookDispatcher.ts';
import { authed, jsonSmall, parse, requireJson } from '../middleware.ts';
import { PageQuery, WebhookBody } from '../schemas.ts';

export interface WebhookRouteDeps {
  readonly webhooks: WebhookDispatcher;
  readonly audit: AuditLog;
  readonly auth: RequestHandler;
}

export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const { webhooks, auth } = deps;
  const r = Router();
  r.put('/api/webhooks', requireJson, jsonSmall, auth, async (req, res) => {
    const { url } = parse(WebhookBody, req.body, 'body');
    const { clientId } = authed(res);
    const { secret } = await webhooks.configure(clientId, url);
    await deps.audit.append('webhook.configured', clientId, { enabled: url !== null });
    res.json({ url, secret });
  });
  r.get('/api/webhooks/deliveries', auth, async (req, res) => {
    const q = parse(PageQuery, req.query, 'query');
    const d = await webhooks.listDeliveries(authed(res).clientId, q.limit);
    res.json({
      deliveries: d.map((x) => ({
        id: x.id,
        event: x.event,
        status: x.status,
        attempts: x.attempts,
        last_status: x.lastStatus,
        last_error: x.lastError,
        created_at: x.createdAt,
      })),
    });
  });
  return r;
}
