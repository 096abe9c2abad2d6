// The REST properties, over the route list the routers give (routes.ts):
//  - every route: generated path parameters, query strings, credentials,
//    content types and encodings, and bodies; no 5xx, the error shape, the
//    store unchanged on rejection (httpOracle.ts);
//  - a corpus of known-hostile inputs on every route, each reported alone;
//  - frame uploads through the process-frame routes (images.ts);
//  - tenant isolation: client A's token and client B's ids on every route
//    with an id parameter never answer 2xx or leak B's ids, and B's data is
//    still there for B afterwards.
import fc from 'fast-check';
import type { FacegateNode } from '../../src/FacegateNode.ts';
import type { FuzzRun } from './FuzzRun.ts';
import { authArb, bodyArb, contentTypeArb, encodeBody, encodingArb, NASTY_SEGMENTS, queryArb, segmentArb, type Encoding, type KnownValues } from './httpArbitraries.ts';
import type { HttpCase, HttpOracle, HttpReply } from './httpOracle.ts';
import { imageFieldArb, type ImageCorpus } from './images.ts';
import { fillPath, type RouteSpec } from './routes.ts';
import type { Tenant } from './tenants.ts';

export interface RestContext {
  readonly run: FuzzRun;
  readonly oracle: HttpOracle;
  readonly node: FacegateNode;
  readonly routes: readonly RouteSpec[];
  readonly known: KnownValues;
  readonly a: Tenant;
  readonly b: Tenant;
  readonly images: ImageCorpus;
}

const HAS_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const toWire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

function requestCase(route: RouteSpec, p: { params: string[]; suffix: string; query: string; headers: Record<string, string>; contentType: string; encoding: Encoding; body: string }): HttpCase {
  const path = fillPath(route, p.params, p.suffix) + p.query;
  if (!HAS_BODY.has(route.method)) return { method: route.method, path, headers: p.headers };
  const e = encodeBody(toWire(p.body), p.encoding);
  return {
    method: route.method,
    path,
    headers: { ...p.headers, ...(p.contentType !== '' ? { 'content-type': p.contentType } : {}), ...(e.header !== undefined ? { 'content-encoding': e.header } : {}) },
    body: e.body,
  };
}

/** Undoes what an accepted request started that would change the store later by itself (webhook retries). */
async function settle(ctx: RestContext, c: HttpCase, r: HttpReply): Promise<void> {
  if (r.status < 300 && c.method === 'PUT' && /webhook/.test(c.path)) {
    await ctx.node.service.webhooks.configure(ctx.a.clientId, null);
    ctx.oracle.invalidate();
  }
}

/**
 * One property per route and mode. 'hostile': any escape, content type and
 * encoding; 'well-formed': valid percent-encoding, JSON bodies sent as JSON,
 * so that a defect of the transport layer (found by the first) does not hide
 * the handlers' own behaviour from the second.
 */
export async function fuzzRoutes(ctx: RestContext, runsPerRoute: number, mode: 'hostile' | 'well-formed'): Promise<void> {
  const clean = mode === 'well-formed';
  for (const route of ctx.routes) {
    const arb = fc.record({
      params: fc.array(segmentArb(ctx.known, clean), { minLength: route.params.length, maxLength: route.params.length }),
      suffix: route.prefix ? fc.array(segmentArb(ctx.known, clean), { maxLength: 3 }).map((s) => s.join('/')) : fc.constant(''),
      query: queryArb,
      headers: authArb(ctx.known),
      contentType: clean ? fc.constant('application/json') : fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, contentTypeArb),
      encoding: clean ? fc.constantFrom<Encoding>('none', 'gzip', 'deflate') : fc.oneof({ weight: 4, arbitrary: fc.constant<Encoding>('none') }, encodingArb),
      body: bodyArb(ctx.known),
    });
    await ctx.run.property(
      `REST ${mode} ${route.method} ${route.path}${route.prefix ? '/*' : ''}`,
      arb.map((p) => requestCase(route, p)),
      async (c) => settle(ctx, c, await ctx.oracle.check(c)),
      { numRuns: runsPerRoute, timeLimitMs: 60_000 },
    );
  }
}

/** Hostile inputs from the attack review (issue 13), on every route: each one reported on its own. */
export async function corpus(ctx: RestContext): Promise<void> {
  const auth = { authorization: `Bearer ${ctx.a.token}` };
  const bodies: { name: string; encoding: Encoding; body: string; contentType: string }[] = [
    { name: 'invalid gzip body', encoding: 'gzip-invalid', body: '{"a":1}', contentType: 'application/json' },
    { name: 'truncated gzip body', encoding: 'gzip-truncated', body: '{"external_user_id":"x"}', contentType: 'application/json' },
    { name: 'unknown content-encoding', encoding: 'x-unknown', body: '{}', contentType: 'application/json' },
    { name: 'utf-16 charset', encoding: 'none', body: '{}', contentType: 'application/json; charset=utf-16' },
    { name: 'deeply nested JSON', encoding: 'none', body: '['.repeat(4000) + ']'.repeat(4000), contentType: 'application/json' },
    { name: 'NUL in the webhook URL path', encoding: 'none', body: '{"url":"https://example.com/a\\u0000b"}', contentType: 'application/json' },
    { name: 'NUL in a string field', encoding: 'none', body: '{"url":"http://a\\u0000b/","external_user_id":"a\\u0000b","api_key":"a\\u0000b"}', contentType: 'application/json' },
  ];
  for (const route of ctx.routes) {
    const title = `corpus ${route.method} ${route.path}`;
    for (const seg of route.params.length > 0 || route.prefix ? NASTY_SEGMENTS : []) {
      const c = requestCase(route, { params: route.params.map(() => seg), suffix: seg, query: '', headers: auth, contentType: 'application/json', encoding: 'none', body: '{}' });
      await ctx.run.example(`${title} (path segment ${seg.slice(0, 24)})`, `${c.method} ${c.path.slice(0, 200)}`, async () => settle(ctx, c, await ctx.oracle.check(c)));
    }
    for (const b of HAS_BODY.has(route.method) ? bodies : []) {
      const c = requestCase(route, { params: route.params.map(() => 'x'), suffix: 'x', query: '', headers: auth, ...b });
      await ctx.run.example(`${title} (${b.name})`, `${c.method} ${c.path} content-encoding=${c.headers['content-encoding'] ?? '-'} body=${b.body.slice(0, 80)}`, async () =>
        settle(ctx, c, await ctx.oracle.check(c)),
      );
    }
  }
}
