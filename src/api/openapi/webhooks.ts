// OpenAPI paths of the webhook routes (routes/webhooks.ts).
import { bearer, errorResponses, json } from './parts.ts';

export const webhooksPaths = {
  '/api/webhooks': {
    put: { summary: 'Set (or clear with null) the webhook URL; returns the signing secret once', security: bearer, requestBody: json({ type: 'object', required: ['url'], properties: { url: { type: 'string', nullable: true } } }), responses: { '200': { description: 'configured' }, ...errorResponses(401, 422) } },
  },
  '/api/webhooks/deliveries': { get: { summary: 'Webhook delivery log', security: bearer, responses: { '200': { description: 'deliveries' }, ...errorResponses(401) } } },
};
