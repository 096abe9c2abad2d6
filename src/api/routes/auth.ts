// POST /api/auth/client: an API key (body or X-API-Key header) for an access token.
import { z } from 'zod';
import type { TenantService } from '../../tenants/TenantService.ts';
import { ApiRouter } from '../ApiRouter.ts';
import { jsonSmall, parse, requireJson } from '../middleware.ts';
import { ClientAuthBody } from '../schemas.ts';

const AccessToken = z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int(), client_id: z.string() });

export function authRoutes(deps: { readonly tenants: TenantService }): ApiRouter {
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
    res.json({ access_token: t.accessToken, token_type: t.tokenType, expires_in: t.expiresIn, client_id: t.clientId });
  });
  return r;
}
