// The route list, read from the routers themselves (express 5 / router 2):
// each layer with a `route` gives a path and its methods; a layer with a
// nested `stack` is a mounted router, walked with its mount path; any other
// mounted middleware (static files, swagger-ui) becomes a prefix that the
// fuzzer probes with generated suffixes. A route added to any router the node
// serves is therefore fuzzed, and tenant-isolation-tested when it has an id
// parameter, without anyone listing it here.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Express path, e.g. /api/users/:externalId. */
  readonly path: string;
  /** Names of its :params and *splats, in order. */
  readonly params: readonly string[];
  /** True for a mounted middleware: any path below it is served by it. */
  readonly prefix: boolean;
}

interface LayerLike {
  readonly route?: { readonly path: unknown; readonly methods?: Readonly<Record<string, boolean>> };
  readonly handle?: { readonly stack?: readonly LayerLike[] };
  readonly rawPath?: unknown;
}

/** Something with a router stack: an express app (app.router) or a Router. */
export interface HasStack {
  readonly stack: readonly LayerLike[];
}

const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function paths(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.filter((p): p is string => typeof p === 'string');
  return [];
}

function join(base: string, p: string): string {
  const s = `${base}/${p}`.replace(/\/+/g, '/');
  return s.length > 1 ? s.replace(/\/$/, '') : s;
}

function paramsOf(p: string): string[] {
  return [...p.matchAll(/[:*]([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!);
}

function walk(stack: readonly LayerLike[], base: string, out: Map<string, RouteSpec>): void {
  for (const layer of stack) {
    if (layer.route !== undefined) {
      for (const p of paths(layer.route.path)) {
        const full = join(base, p);
        for (const [m, on] of Object.entries(layer.route.methods ?? {})) {
          const method = m.toUpperCase();
          if (!on || !METHODS.has(method)) continue;
          out.set(`${method} ${full}`, { method: method as HttpMethod, path: full, params: paramsOf(full), prefix: false });
        }
      }
      continue;
    }
    for (const p of paths(layer.rawPath)) {
      const nested = layer.handle?.stack;
      if (nested !== undefined) walk(nested, join(base, p), out);
      else if (join(base, p) !== '/') {
        const full = join(base, p);
        out.set(`GET ${full}/*`, { method: 'GET', path: full, params: [], prefix: true });
      }
    }
  }
}

/** Every route of the given routers, deduplicated, in a stable order. */
export function listRoutes(routers: readonly HasStack[]): RouteSpec[] {
  const out = new Map<string, RouteSpec>();
  for (const r of routers) walk(r.stack, '/', out);
  return [...out.values()].sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

/** Fills a route's parameters (already percent-encoded or raw on purpose) into its path. */
export function fillPath(route: RouteSpec, values: readonly string[], suffix = ''): string {
  let i = 0;
  const filled = route.path.replace(/[:*][A-Za-z_$][\w$]*/g, () => values[i++] ?? 'x');
  return route.prefix ? `${filled}/${suffix}` : filled;
}
