// The admin API's OpenAPI paths, derived from the route table (ADMIN_ROUTES,
// ADMIN_STREAMS) with the request schemas converted from zod, so the document
// cannot drift from the router. Merged into /api/schema by src/api/openapi.ts.
import { z } from 'zod';
import { ADMIN_ROUTES, ADMIN_STREAMS } from './adminRouter.ts';

const err = { $ref: '#/components/schemas/Error' };
const errors = Object.fromEntries(
  [401, 403, 404, 409, 422, 503].map((c) => [String(c), { description: 'error', content: { 'application/json': { schema: err } } }]),
);

function toOpenApiPath(p: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = `/api/admin${p.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  })}`;
  return { path, params };
}

function jsonSchema(s: z.ZodType): unknown {
  try {
    return z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  } catch {
    return { type: 'object' };
  }
}

export function adminOpenApiPaths(): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  const security = [{ adminToken: [] }];
  for (const r of ADMIN_ROUTES) {
    const { path, params } = toOpenApiPath(r.path);
    const queryParams =
      r.query instanceof z.ZodObject
        ? Object.keys(r.query.shape).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }))
        : [];
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      tags: ['admin'],
      security,
      parameters: [...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })), ...queryParams],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: { [String(r.status ?? 200)]: { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors },
    };
  }
  for (const s of ADMIN_STREAMS) {
    const { path } = toOpenApiPath(s.path);
    (paths[path] ??= {})[s.method] = {
      summary: s.summary,
      tags: ['admin'],
      security,
      responses: { '200': { description: 'stream', content: { [s.type]: { schema: { type: 'string' } } } }, ...errors },
    };
  }
  return paths;
}

/** The admin token's security scheme (bearer, or ?token= on /events for EventSource). */
export const ADMIN_SECURITY_SCHEME = { type: 'http', scheme: 'bearer', description: 'The admin token (ADMIN_TOKEN or <dataDir>/admin-token); loopback only unless ADMIN_ALLOW_REMOTE=on' };
