// POST /api/auth/client: an API key (body or X-API-Key header) for an access token.
import { Router } from 'express';
import type { TenantService } from '../../tenants/TenantService.ts';
import { jsonSmall, parse, requireJson } from '../middleware.ts';
import { ClientAuthBody } from '../schemas.ts';

export function authRoutes(deps: { readonly tenants: TenantService }): Router {
  const r = Router();
  r.post('/api/auth/client', requireJson, jsonSmall, async (req, res) => {
    const headerKey = req.get('x-api-key');
    const apiKey = headerKey ?? parse(ClientAuthBody, req.body, 'body').api_key;
    const t = await deps.tenants.exchangeApiKey(apiKey);
    res.json({ access_token: t.accessToken, token_type: t.tokenType, expires_in: t.expiresIn, client_id: t.clientId });
  });
  return r;
}
