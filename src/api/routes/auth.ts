// POST /api/auth/client: an API key (body or X-API-Key header) for an access
// token. The documented fields (jwt_token, expires_at, client_id,
// client_name) and facegate's (access_token, token_type, expires_in) carry
// the same token.
import { z } from 'zod';
import type { Store } from '../../store/Store.ts';
import type { TenantService } from '../../tenants/TenantService.ts';
import { ApiRouter } from '../ApiRouter.ts';
import { jsonSmall, parse, requireJson } from '../middleware.ts';
import { ClientAuthBody } from '../schemas.ts';

const AccessToken = z.object({
  jwt_token: z.string().describe('the documented name of access_token (canonical)'),
  expires_at: z.iso.datetime(),
  client_id: z.string(),
  client_name: z.string(),
  access_token: z.string().describe('facegate name of jwt_token'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('seconds'),
});

export function authRoutes(deps: { readonly tenants: TenantService; readonly store: Store }): ApiRouter {
  const r = new ApiRouter();
  r.post('/api/auth/client', {
    summary: 'Exchange an API key (body api_key or the X-API-Key header) for an access token',
    security: ['none', 'apiKey'],
    body: ClientAuthBody,
    responses: { 200: AccessToken },
    errors: ['invalid_request', 'unauthorized', 'unsupported_media_type', 'validation_error', 'rate_limit_exceeded'],
  }, requireJson, jsonSmall, async (req, res) => {
    const headerKey = req.get('x-api-key');
    const apiKey = headerKey ?? parse(ClientAuthBody, req.body, 'body').api_key;
    const t = await deps.tenants.exchangeApiKey(apiKey);
    const client = await deps.store.getClient(t.clientId);
    res.json({
      jwt_token: t.accessToken,
      expires_at: new Date(Date.now() + t.expiresIn * 1000).toISOString(),
      client_id: t.clientId,
      client_name: client?.name ?? '',
      access_token: t.accessToken,
      token_type: t.tokenType,
      expires_in: t.expiresIn,
    } satisfies z.infer<typeof AccessToken>);
  });
  return r;
}
