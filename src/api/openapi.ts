// The OpenAPI 3 description of the REST API, served at /api/schema and
// rendered by Swagger UI at /api/schema/swagger-ui/. Kept beside the routes
// (createApp.ts); a test checks every documented path is routed.
import { ADMIN_SECURITY_SCHEME, adminOpenApiPaths } from '../admin/adminOpenApi.ts';

const err = { $ref: '#/components/schemas/Error' };
const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'error', content: { 'application/json': { schema: err } } }]));
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const bearer = [{ bearerAuth: [] }];

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'facegate', version: '0.1.0', description: 'Self-hosted real-time face authentication.' },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, adminToken: ADMIN_SECURITY_SCHEME },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message', 'details', 'timestamp'],
          properties: {
            error: {
              type: 'string',
              enum: ['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'validation_error', 'rate_limit_exceeded', 'internal_error', 'service_unavailable'],
            },
            message: { type: 'string' },
            details: { type: 'object', additionalProperties: true },
            timestamp: { type: 'string', format: 'date-time' },
          },
        },
        Session: {
          type: 'object',
          properties: {
            session_id: { type: 'string' },
            kind: { type: 'string', enum: ['enrollment', 'authentication'] },
            status: { type: 'string', enum: ['created', 'capturing', 'succeeded', 'failed', 'expired', 'cancelled'] },
            external_user_id: { type: 'string', nullable: true },
            expires_at: { type: 'string', format: 'date-time' },
            frames_processed: { type: 'integer' },
            feedback: { type: 'string', nullable: true },
            progress: { type: 'object', nullable: true },
            decision: { type: 'object', nullable: true },
            prompts: {
              type: 'array',
              description: 'process-frame only: prompts, challenges (with timeoutMs) and progress the liveness engine issued for this frame',
              items: {
                type: 'object',
                properties: {
                  type: { type: 'string', enum: ['prompt', 'progress'] },
                  id: { type: 'string' },
                  action: { type: 'string' },
                  text: { type: 'string' },
                  timeoutMs: { type: 'integer' },
                  value: { type: 'number' },
                  label: { type: 'string' },
                },
              },
            },
          },
        },
        CreatedSession: {
          type: 'object',
          properties: {
            session_id: { type: 'string' },
            session_token: { type: 'string' },
            kind: { type: 'string' },
            mode: { type: 'string', enum: ['enrollment', 'verification', 'identification'] },
            signaling_url: { type: 'string' },
            ice_servers: { type: 'array', items: { type: 'object' } },
            expires_at: { type: 'string', format: 'date-time' },
            config: { type: 'object' },
          },
        },
        Frame: {
          type: 'object',
          required: ['session_token', 'image'],
          properties: { session_token: { type: 'string' }, image: { type: 'string', description: 'data:image/jpeg;base64,... or data:image/png;base64,...' } },
        },
        User: {
          type: 'object',
          properties: { external_user_id: { type: 'string' }, created_at: { type: 'string', format: 'date-time' }, templates: { type: 'integer' } },
        },
      },
    },
    paths: {
      '/health': { get: { summary: 'Component health', responses: { '200': { description: 'all up' }, '503': { description: 'a component is down' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics (facegate_*)', responses: { '200': { description: 'text exposition' } } } },
      '/api/auth/client': {
        post: {
          summary: 'Exchange an API key for an access token',
          requestBody: json({ type: 'object', required: ['api_key'], properties: { api_key: { type: 'string' } } }),
          responses: { '200': json({ type: 'object', properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' } } }), ...errorResponses(401, 415, 422, 429) },
        },
      },
      '/api/auth/enrollment': {
        post: {
          summary: 'Create an enrollment session',
          security: bearer,
          requestBody: json({ type: 'object', required: ['external_user_id'], properties: { external_user_id: { type: 'string' } } }),
          responses: { '201': json({ $ref: '#/components/schemas/CreatedSession' }), ...errorResponses(401, 415, 422, 429, 503) },
        },
      },
      '/api/auth/authentication': {
        post: {
          summary: 'Create an authentication session (verification with external_user_id, identification without)',
          security: bearer,
          requestBody: json({ type: 'object', properties: { external_user_id: { type: 'string' } } }),
          responses: { '201': json({ $ref: '#/components/schemas/CreatedSession' }), ...errorResponses(401, 404, 415, 422, 429, 503) },
        },
      },
      '/api/auth/enrollment/process-frame': {
        post: { summary: 'Submit one enrollment frame (REST fallback)', requestBody: json({ $ref: '#/components/schemas/Frame' }), responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(400, 404, 409, 413, 415, 422, 429, 503) } },
      },
      '/api/auth/authentication/process-frame': {
        post: { summary: 'Submit one authentication frame (REST fallback)', requestBody: json({ $ref: '#/components/schemas/Frame' }), responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(400, 404, 409, 413, 415, 422, 429, 503) } },
      },
      '/api/auth/session/{token}/status': {
        get: { summary: 'Session status', parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(404) } },
      },
      '/api/auth/session/{token}': {
        delete: { summary: 'Cancel a session', parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(404) } },
      },
      '/api/users': {
        get: {
          summary: "List the client's users",
          security: bearer,
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: { '200': json({ type: 'object', properties: { users: { type: 'array', items: { $ref: '#/components/schemas/User' } }, total: { type: 'integer' } } }), ...errorResponses(401) },
        },
      },
      '/api/users/{externalId}': {
        get: { summary: 'Get a user', security: bearer, parameters: [{ name: 'externalId', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ $ref: '#/components/schemas/User' }), ...errorResponses(401, 404) } },
        delete: { summary: 'Delete a user and its templates (store and gallery)', security: bearer, parameters: [{ name: 'externalId', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'deleted' }, ...errorResponses(401, 404) } },
      },
      '/api/webhooks': {
        put: { summary: 'Set (or clear with null) the webhook URL; returns the signing secret once', security: bearer, requestBody: json({ type: 'object', required: ['url'], properties: { url: { type: 'string', nullable: true } } }), responses: { '200': { description: 'configured' }, ...errorResponses(401, 422) } },
      },
      '/api/webhooks/deliveries': { get: { summary: 'Webhook delivery log', security: bearer, responses: { '200': { description: 'deliveries' }, ...errorResponses(401) } } },
      '/api/analytics/authentication-metrics': {
        get: {
          summary: 'Authentication attempts, successes, failures by reason and latency in a date range',
          security: bearer,
          parameters: [
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
          ],
          responses: { '200': { description: 'metrics' }, ...errorResponses(401, 422) },
        },
      },
      '/api/analytics/system-metrics': { get: { summary: 'Process and gallery figures', security: bearer, responses: { '200': { description: 'metrics' }, ...errorResponses(401) } } },
      ...adminOpenApiPaths(),
    },
  };
}
