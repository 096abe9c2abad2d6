// The OpenAPI document is generated from the routes themselves: the routes the
// express app really serves (its router stack, walked as the fuzzer does) and
// the document's paths+methods are the same set, both ways; the document is
// valid OpenAPI; the schemas it shows are the zod schemas the handlers use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiPath } from '../../../src/api/openapi.ts';
import { listRoutes, type HasStack } from '../../fuzz/routes.ts';
import { BACKENDS, call, newClient, startService, type Running } from '../fixtures.ts';

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
    const body = doc.paths['/api/auth/enrollment']?.post?.requestBody as { content: Record<string, { schema: { properties: Record<string, { pattern?: string; maxLength?: number }>; required: string[] } }> };
    const s = body.content['application/json']!.schema;
    assert.deepEqual(s.required, ['external_user_id']);
    assert.equal(s.properties.external_user_id?.maxLength, 128);
    const users = doc.paths['/api/users']?.get as unknown as { parameters: { name: string; in: string; schema: { maximum?: number } }[] };
    assert.deepEqual(users.parameters.map((p) => `${p.in}:${p.name}`).sort(), ['query:limit', 'query:offset']);
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
});
