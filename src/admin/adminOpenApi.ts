// The admin API's operations for the one OpenAPI generator (src/api/
// openapi.ts), derived from the route table (ADMIN_ROUTES, ADMIN_STREAMS) with
// its zod schemas, so the document cannot drift from the router; the
// routes-vs-document test checks the streams, which are listed by hand.
import { z } from 'zod';
import type { Operation } from '../api/ApiRouter.ts';
import { ADMIN_ROUTES, ADMIN_STREAMS } from './adminRouter.ts';
import { CONSOLE_FILES } from './console/consoleBundle.ts';

/** Where createApp mounts the admin router. */
export const ADMIN_PREFIX = '/api/admin';
/** Where createApp mounts the admin console (src/admin/console). */
export const CONSOLE_PREFIX = '/admin';

const ERRORS = ['unauthorized', 'forbidden', 'not_found', 'conflict', 'validation_error', 'unsupported_media_type', 'service_unavailable'] as const;

export function adminOperations(): Operation[] {
  const ops: Operation[] = ADMIN_ROUTES.map((r) => ({
    method: r.method,
    path: `${ADMIN_PREFIX}${r.path}`,
    summary: r.summary,
    tags: ['admin'],
    security: ['adminToken'],
    ...(r.body ? { body: r.body } : {}),
    ...(r.query instanceof z.ZodObject || r.query instanceof z.ZodPipe ? { query: r.query } : {}),
    responses: { [r.status ?? 200]: { description: 'ok', schema: z.record(z.string(), z.unknown()) } },
    errors: ERRORS,
  }));
  for (const s of ADMIN_STREAMS) {
    ops.push({
      method: s.method,
      path: `${ADMIN_PREFIX}${s.path}`,
      summary: s.summary,
      tags: ['admin'],
      security: ['adminToken'],
      responses: { 200: { description: 'stream', schema: z.string(), contentType: s.type } },
      errors: ERRORS,
    });
  }
  return ops;
}

/** The admin console's bundle files (its HTML page answers every other GET below /admin). */
export function consoleOperations(): Operation[] {
  return CONSOLE_FILES.map((f) => ({
    method: 'get',
    path: `${CONSOLE_PREFIX}/${f}`,
    summary: `The admin console's ${f} (the console page itself is every other GET below ${CONSOLE_PREFIX})`,
    tags: ['console'],
    responses: { 200: { description: f, schema: z.string(), contentType: f.endsWith('.css') ? 'text/css' : 'application/javascript' } },
  }));
}
