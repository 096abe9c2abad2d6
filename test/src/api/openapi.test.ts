// The OpenAPI document is generated from the routes themselves: the routes the
// express app really serves (its router stack, walked as the fuzzer does) and
// the document's paths+methods are the same set, both ways; the document is
// valid OpenAPI; the schemas it shows are the zod schemas the handlers use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import type { Operation } from '../../../src/api/ApiRouter.ts';
import { appOperations } from '../../../src/api/createApp.ts';
import { httpStatus } from '../../../src/api/httpStatus.ts';
import { ErrorSchema, openApiPath } from '../../../src/api/openapi.ts';
import { listRoutes, type HasStack } from '../../fuzz/routes.ts';
import { BACKENDS, authenticate, call, enroll, newClient, startService, type Reply, type Running } from '../fixtures.ts';

type Doc = { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown; responses: Record<string, unknown> }>>; components: Record<string, Record<string, unknown>> };

describe('OpenAPI document generated from the routers', () => {
  let run: Running;
  let doc: Doc;
  before(async () => {
    run = await startService(BACKENDS[0]!);
    const r = await fetch(`${run.url}/api/schema/`);
    assert.equal(r.status, 200);
    doc = (await r.json()) as Doc;
  });
  after(async () => {
    await run?.close();
  });

  const documented = (): Set<string> => {
    const out = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths)) for (const m of Object.keys(item)) out.add(`${m.toUpperCase()} ${p}`);
    return out;
  };
  const served = (): Set<string> => {
    const routes = listRoutes([run.service.app.router as unknown as HasStack]).filter((r) => !r.prefix);
    return new Set(routes.map((r) => `${r.method} ${openApiPath(r.path)}`));
  };

  test('every route the app serves is documented', () => {
    const docs = documented();
    const missing = [...served()].filter((k) => !docs.has(k));
    assert.deepEqual(missing, [], `routes without a document entry: ${missing.join(', ')}`);
  });

  test('every documented path+method is a route the app serves', async () => {
    const routes = served();
    const extra = [...documented()].filter((k) => !routes.has(k));
    assert.deepEqual(extra, [], `documented but not routed: ${extra.join(', ')}`);
    // And over HTTP: no documented operation answers "no route".
    for (const key of documented()) {
      const [method, p] = key.split(' ') as [string, string];
      const concrete = p.replace(/\{[^}]+\}/g, 'x');
      const res = await call(run.url, method, concrete);
      assert.notEqual(res.body.message, `no route for ${method} ${concrete}`, key);
    }
  });

  test('the walk sees the REST, docs and admin routes (the comparison is not vacuous)', () => {
    const routes = served();
    for (const k of ['GET /health', 'POST /api/auth/client', 'GET /api/users/{externalId}', 'GET /api/schema', 'GET /api/schema/redoc', 'GET /api/admin/clients', 'GET /api/admin/events']) {
      assert.ok(routes.has(k), k);
    }
    assert.ok(routes.size >= 40, `only ${routes.size} routes`);
  });

  test('@seriousme/openapi-schema-validator accepts the document', async () => {
    const v = new Validator();
    const r = await v.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.equal(r.valid, true, JSON.stringify(r.errors, null, 1)?.slice(0, 2000));
    assert.match(doc.openapi, /^3\.0\./);
  });

  test('security schemes: bearer JWT and the x-api-key header; routes name theirs', () => {
    const schemes = doc.components.securitySchemes as Record<string, Record<string, string>>;
    assert.deepEqual({ type: schemes.bearerAuth?.type, scheme: schemes.bearerAuth?.scheme, bearerFormat: schemes.bearerAuth?.bearerFormat }, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    assert.deepEqual({ type: schemes.apiKey?.type, in: schemes.apiKey?.in, name: schemes.apiKey?.name }, { type: 'apiKey', in: 'header', name: 'x-api-key' });
    assert.deepEqual(doc.paths['/api/users']?.get?.security, [{ bearerAuth: [] }]);
    assert.deepEqual(doc.paths['/api/auth/client']?.post?.security, [{}, { apiKey: [] }]);
    assert.deepEqual(doc.paths['/api/admin/clients']?.get?.security, [{ adminToken: [] }]);
    assert.equal(doc.paths['/health']?.get?.security, undefined);
  });

  test('request schemas come from the zod schemas the handlers validate with', async () => {
    type ObjectSchema = { properties: Record<string, { pattern?: string; maxLength?: number }>; required: string[] };
    const body = doc.paths['/api/auth/enrollment']?.post?.requestBody as { content: Record<string, { schema: { anyOf: ObjectSchema[] } }> };
    // The user is required under either name: user_id (documented) or external_user_id.
    const branches = body.content['application/json']!.schema.anyOf;
    assert.deepEqual(branches.map((b) => b.required), [['user_id'], ['external_user_id']]);
    for (const b of branches) {
      assert.equal(b.properties.external_user_id?.maxLength, 128);
      assert.equal(b.properties.user_id?.maxLength, 128);
    }
    const users = doc.paths['/api/users']?.get as unknown as { parameters: { name: string; in: string; schema: { maximum?: number } }[] };
    assert.deepEqual(users.parameters.map((p) => `${p.in}:${p.name}`).sort(), ['query:limit', 'query:offset', 'query:page', 'query:page_size']);
    assert.equal(users.parameters.find((p) => p.name === 'limit')?.schema.maximum, 500);
    // The handler enforces the very limits the document shows.
    const { token } = await newClient(run);
    assert.equal((await call(run.url, 'GET', '/api/users?limit=500', { token })).status, 200);
    assert.equal((await call(run.url, 'GET', '/api/users?limit=501', { token })).status, 422);
    const long = await call(run.url, 'POST', '/api/auth/enrollment', { token, json: { external_user_id: 'u'.repeat(129) } });
    assert.equal(long.status, 422);
  });

  test('error responses carry the Error schema whose enum the fuzz oracle reads', () => {
    const err = doc.components.schemas?.Error as { required: string[]; properties: { error: { enum: string[] } } };
    assert.deepEqual([...err.required].sort(), ['details', 'error', 'message', 'timestamp']);
    assert.ok(err.properties.error.enum.includes('validation_error'));
    const r401 = doc.paths['/api/users']?.get?.responses['401'] as { content: Record<string, { schema: { $ref: string } }> };
    assert.equal(r401.content['application/json']!.schema.$ref, '#/components/schemas/Error');
  });

  test('GET /api/schema and /api/schema/ serve the same document', async () => {
    const a = await call(run.url, 'GET', '/api/schema');
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, doc as unknown as Record<string, unknown>);
  });

  test('real responses match the documented response schemas (success and error)', async () => {
    const ops = appOperations(run.service.app);
    const find = (method: string, p: string): Operation => {
      const op = ops.find((o) => o.method === method.toLowerCase() && new RegExp(`^${o.path.replace(/:[^/]+/g, '[^/]+')}$`).test(p.split('?')[0]!));
      assert.ok(op, `${method} ${p} is documented`);
      return op;
    };
    const checked: string[] = [];
    const check = (method: string, p: string, r: Reply): void => {
      const op = find(method, p);
      const doc = op.responses[r.status];
      if (r.status >= 400) {
        const documented = new Set((op.errors ?? []).map((c) => httpStatus(c)));
        assert.ok(documented.has(r.status), `${method} ${p} answered ${r.status}, documents ${[...documented].join(',')}`);
        const parsed = ErrorSchema.safeParse(r.body);
        assert.ok(parsed.success, `${method} ${p} ${r.status}: ${JSON.stringify(parsed.error?.issues)}`);
      } else {
        assert.ok(doc, `${method} ${p} documents status ${r.status}`);
        const schema = doc instanceof z.ZodType ? doc : doc.schema;
        assert.ok(schema, `${method} ${p} ${r.status} has a schema`);
        const parsed = schema.safeParse(r.body);
        assert.ok(parsed.success, `${method} ${p} ${r.status}: ${JSON.stringify(parsed.error?.issues)}`);
      }
      checked.push(`${method} ${p} ${r.status}`);
    };
    const get = async (method: string, p: string, o: Parameters<typeof call>[3] = {}): Promise<void> => check(method, p, await call(run.url, method, p, o));

    await get('GET', '/health');
    const c = await newClient(run, 'Docs');
    await get('POST', '/api/auth/client', { json: { api_key: c.apiKey } });
    await get('POST', '/api/auth/client', { json: { api_key: 'fg_nope_nope' } });
    const token = c.token;
    await get('POST', '/api/auth/enrollment', { token, json: { external_user_id: 'doc-user' } });
    const last = await enroll(run, token, 'doc-user', [200, 10, 10]);
    check('POST', '/api/auth/enrollment/process-frame', last);
    const auth = await authenticate(run, token, [200, 10, 10], 'doc-user');
    check('POST', '/api/auth/authentication/process-frame', auth);
    const created = await call(run.url, 'POST', '/api/auth/authentication', { token, json: {} });
    check('POST', '/api/auth/authentication', created);
    const st = String(created.body.session_token);
    await get('GET', `/api/auth/session/${st}/status`);
    await get('DELETE', `/api/auth/session/${st}`);
    await get('GET', '/api/auth/session/nope/status');
    await get('GET', '/api/users', { token });
    await get('GET', '/api/users?limit=0', { token });
    await get('GET', '/api/users/doc-user', { token });
    await get('PUT', '/api/webhooks', { token, json: { url: 'https://hooks.example.com/x' } });
    await get('PUT', '/api/webhooks', { token, json: { url: null } });
    await get('GET', '/api/webhooks/deliveries', { token });
    await get('GET', '/api/analytics/authentication-metrics', { token });
    await get('GET', '/api/analytics/system-metrics', { token });
    await get('DELETE', '/api/users/doc-user', { token });
    await get('GET', '/api/users/doc-user', { token });
    assert.ok(checked.length >= 20, checked.join('\n'));
  });
});
