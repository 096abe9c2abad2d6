// Frame uploads: generated images (images.ts) posted to every process-frame
// route the routers list, into open sessions of tenant A (a fresh session
// every SESSION_USES uploads, so none reaches its frame cap), plus uploads
// whose session token is wrong. Whole pictures go through the real decoder
// and models: the bounded heavy part of the run.
import fc from 'fast-check';
import type { HttpCase } from './httpOracle.ts';
import type { RestContext } from './restSuite.ts';
import { imageFieldArb } from './images.ts';
import type { RouteSpec } from './routes.ts';

const SESSION_USES = 40;

class SessionPool {
  readonly #ctx: RestContext;
  readonly #open = new Map<string, { token: string; uses: number }>();
  #n = 0;

  constructor(ctx: RestContext) {
    this.#ctx = ctx;
  }

  /** An open session token of this kind, created through POST /api/auth/<kind> when needed. */
  async token(kind: string): Promise<string> {
    const cur = this.#open.get(kind);
    if (cur !== undefined && cur.uses < SESSION_USES) {
      cur.uses++;
      return cur.token;
    }
    const body = kind === 'enrollment' ? { external_user_id: `a-fuzz-${this.#n++}` } : {};
    const res = await fetch(`${this.#ctx.node.url}/api/auth/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#ctx.a.token}` },
      body: JSON.stringify(body),
    });
    const s = (await res.json()) as { session_token?: unknown };
    if (res.status !== 201 || typeof s.session_token !== 'string') throw new Error(`could not open a ${kind} session: ${res.status} ${JSON.stringify(s)}`);
    this.#ctx.oracle.invalidate();
    this.#open.set(kind, { token: s.session_token, uses: 1 });
    return s.session_token;
  }
}

function kindOf(route: RouteSpec): string {
  return /\/(enrollment|authentication)\//.exec(route.path)?.[1] ?? 'enrollment';
}

export async function fuzzFrames(ctx: RestContext, numRuns: number): Promise<void> {
  const routes = ctx.routes.filter((r) => r.method === 'POST' && /process-frame$/.test(r.path));
  if (routes.length === 0) {
    ctx.run.fail('frame uploads', 'the routers list no POST .../process-frame route');
    return;
  }
  const pool = new SessionPool(ctx);
  const tally = new Map<string, number>();
  const arb = fc.record({
    route: fc.constantFrom(...routes),
    field: imageFieldArb(ctx.images),
    token: fc.oneof({ weight: 6, arbitrary: fc.constant('open') }, fc.constantFrom('bogus', 'other-kind')),
  });
  await ctx.run.property(
    'frame uploads (process-frame)',
    arb,
    async ({ route, field, token }) => {
      const kind = kindOf(route);
      const t = token === 'open' ? await pool.token(kind) : token === 'other-kind' ? await pool.token(kind === 'enrollment' ? 'authentication' : 'enrollment') : 'bogus-token';
      const c: HttpCase = { method: 'POST', path: route.path, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session_token: t, image: field.image }) };
      const r = await ctx.oracle.check(c);
      const key = `${field.kind} ${r.status}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    },
    { numRuns, timeLimitMs: 90_000 },
  );
  // Shows how many uploads got past the decoder to the models (the heavy part).
  process.stderr.write(`fuzz: frame uploads by kind and status: ${[...tally].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}\n`);
}
