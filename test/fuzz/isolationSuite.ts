// Tenant isolation on every route with an id parameter (from the routers):
// client A's token with client B's user ids and session ids in every
// parameter and in the body never answers 2xx, never shows B's data, and
// leaves the store as it was (httpOracle). B's users and sessions are still
// there for B afterwards. Session tokens are bearer capabilities by design
// (the status route needs no other credential), so B's tokens are not among
// the ids tried.
import fc from 'fast-check';
import type { HttpCase } from './httpOracle.ts';
import type { RestContext } from './restSuite.ts';
import { fillPath, type RouteSpec } from './routes.ts';

function isolationCase(ctx: RestContext, route: RouteSpec, id: string, contentType: string): HttpCase {
  const body = JSON.stringify({ external_user_id: id, session_token: id, session_id: id, url: null });
  return {
    method: route.method,
    path: fillPath(route, route.params.map(() => encodeURIComponent(id)), encodeURIComponent(id)),
    headers: { authorization: `Bearer ${ctx.a.token}`, 'content-type': contentType },
    ...(route.method === 'GET' || route.method === 'HEAD' ? {} : { body }),
  };
}

async function checkIsolated(ctx: RestContext, c: HttpCase): Promise<void> {
  const r = await ctx.oracle.check(c);
  if (r.status < 300) throw new Error(`A's token reached B's resource: ${c.method} ${c.path} -> ${r.status} ${r.text.slice(0, 300)}`);
  const secrets = [ctx.b.clientId, ...ctx.b.sessions.map((s) => s.token)];
  const leaked = secrets.find((s) => r.text.includes(s));
  if (leaked !== undefined) throw new Error(`the answer shows B's data (${leaked.slice(0, 12)}...): ${c.method} ${c.path} -> ${r.status}`);
}

async function bStillHasItsData(ctx: RestContext): Promise<void> {
  for (const u of ctx.b.users) {
    if ((await ctx.node.service.store.getUser(ctx.b.clientId, u)) === null) throw new Error(`B's user ${u} is gone`);
  }
  for (const s of ctx.b.sessions) {
    const res = await fetch(`${ctx.node.url}/api/auth/session/${s.token}/status`);
    const v = (await res.json()) as { status?: unknown };
    if (res.status !== 200 || v.status !== 'created') throw new Error(`B's session ${s.id} is now ${res.status} ${JSON.stringify(v)}`);
  }
}

export async function tenantIsolation(ctx: RestContext, numRuns: number): Promise<void> {
  const routes = ctx.routes.filter((r) => r.params.length > 0);
  const ids = [...ctx.b.users, ...ctx.b.sessions.map((s) => s.id)];
  if (routes.length === 0 || ids.length === 0) {
    ctx.run.fail('tenant isolation', `nothing to test: ${routes.length} id routes, ${ids.length} ids of B`);
    return;
  }
  for (const route of routes) {
    for (const id of ids) {
      const c = isolationCase(ctx, route, id, 'application/json');
      await ctx.run.example(`tenant isolation ${route.method} ${route.path}`, `${c.method} ${c.path}`, () => checkIsolated(ctx, c));
    }
  }
  const arb = fc
    .record({ route: fc.constantFrom(...routes), id: fc.constantFrom(...ids), contentType: fc.constantFrom('application/json', 'text/plain') })
    .map(({ route, id, contentType }) => isolationCase(ctx, route, id, contentType));
  await ctx.run.property('tenant isolation (generated)', arb, (c) => checkIsolated(ctx, c), { numRuns, timeLimitMs: 30_000 });
  await ctx.run.example('tenant isolation: B keeps its users and sessions', 'B reads its own users and sessions back', () => bStillHasItsData(ctx));
}
