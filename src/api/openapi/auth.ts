// OpenAPI paths of the token exchange (routes/auth.ts).
import { errorResponses, json } from './parts.ts';

export const authPaths = {
  '/api/auth/client': {
    post: {
      summary: 'Exchange an API key for an access token',
      requestBody: json({ type: 'object', required: ['api_key'], properties: { api_key: { type: 'string' } } }),
      responses: { '200': json({ type: 'object', properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' } } }), ...errorResponses(401, 415, 422, 429) },
    },
  },
};
