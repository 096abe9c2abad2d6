// The OpenAPI 3 description of the REST API, served at /api/schema and
// rendered by Swagger UI at /api/schema/swagger-ui/. Each resource's schemas
// and paths live in openapi/<resource>.ts beside its router in routes/; a
// test checks every documented path is routed.
import { ADMIN_SECURITY_SCHEME, adminOpenApiPaths } from '../admin/adminOpenApi.ts';
import { analyticsPaths } from './openapi/analytics.ts';
import { authPaths } from './openapi/auth.ts';
import { opsPaths } from './openapi/ops.ts';
import { errorSchemas } from './openapi/parts.ts';
import { sessionsPaths, sessionsSchemas } from './openapi/sessions.ts';
import { usersPaths, usersSchemas } from './openapi/users.ts';
import { webhooksPaths } from './openapi/webhooks.ts';

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'facegate', version: '0.1.0', description: 'Self-hosted real-time face authentication.' },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, adminToken: ADMIN_SECURITY_SCHEME },
      schemas: { ...errorSchemas, ...sessionsSchemas, ...usersSchemas },
    },
    paths: { ...opsPaths, ...authPaths, ...sessionsPaths, ...usersPaths, ...webhooksPaths, ...analyticsPaths, ...adminOpenApiPaths() },
  };
}
