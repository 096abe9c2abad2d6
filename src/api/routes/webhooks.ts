// A client's webhook: set or clear the URL (the signing secret is returned
// once), and the delivery log.
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../../audit/AuditLog.ts';
import type { WebhookDispatcher } from '../../webhooks/WebhookDispatcher.ts';
import { ApiRouter } from '../ApiRouter.ts';
import { authed, jsonSmall, parse, requireJson } from '../middleware.ts';
import { PageQuery, WebhookBody } from '../schemas.ts';

const WebhookConfigured = z.object({ url: z.string().nullable(), secret: z.string().nullable().describe('the signing secret, shown once') });
const Deliveries = z.object({
  deliveries: z.array(
    z.object({
      id: z.string(),
      event: z.string(),
      status: z.string(),
      attempts: z.number().int(),
      last_status: z.number().int().nullable(),
      last_error: z.string().nullable(),
      created_at: z.string(),
    }),
  ),
});

export interface WebhookRouteDeps {
  readonly webhooks: WebhookDispatcher;
  readonly audit: AuditLog;
  readonly auth: RequestHandler;
}

export function webhookRoutes(deps: WebhookRouteDeps): ApiRouter {
  const { webhooks, auth } = deps;
  const r = new ApiRouter();
  r.put('/api/webhooks', {
    summary: 'Set (or clear with null) the webhook URL; returns the signing secret once',
    security: ['bearerAuth'],
    body: WebhookBody,
    responses: { 200: WebhookConfigured },
    errors: ['invalid_request', 'unauthorized', 'unsupported_media_type', 'validation_error', 'rate_limit_exceeded'],
  }, requireJson, jsonSmall, auth, async (req, res) => {
    const { url } = parse(WebhookBody, req.body, 'body');
    const { clientId } = authed(res);
    const { secret } = await webhooks.configure(clientId, url);
    await deps.audit.append('webhook.configured', clientId, { enabled: url !== null });
    res.json({ url, secret });
  });
  r.get('/api/webhooks/deliveries', {
    summary: 'Webhook delivery log',
    security: ['bearerAuth'],
    query: PageQuery,
    responses: { 200: Deliveries },
    errors: ['unauthorized', 'validation_error', 'rate_limit_exceeded'],
  }, auth, async (req, res) => {
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
