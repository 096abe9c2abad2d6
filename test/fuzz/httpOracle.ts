// Sends one generated HTTP request with node:http (bytes as generated: no
// fetch normalisation of the path, any content-encoding) and checks what the
// API promises for any input: an answer within the time limit, no 5xx, the
// documented error shape ({error, message, details, timestamp}, the codes
// from the node's own OpenAPI document) on every 4xx, and, when the request was rejected,
// the store exactly as it was before.
import http from 'node:http';
import type { FacegateNode } from '../../src/FacegateNode.ts';
import { changedTables, StoreDigest } from './storeDigest.ts';

export interface HttpCase {
  readonly method: string;
  /** Path and query, percent-encoded by the generator (invalid sequences on purpose). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** latin1 string (so counter-examples print), sent as its bytes. */
  readonly body?: string;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/**
 * The documented error codes, read from the OpenAPI document the node serves
 * (GET /api/schema): the enum of `error` in the schema that has error,
 * message, details and timestamp. Found by shape, wherever the document keeps it.
 */
export async function documentedErrorCodes(url: string): Promise<ReadonlySet<string>> {
  const doc: unknown = await (await fetch(`${url}/api/schema`)).json();
  const seen = new Set<unknown>();
  const find = (v: unknown): string[] | null => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return null;
    seen.add(v);
    const props = (v as { properties?: Record<string, { enum?: unknown }> }).properties;
    const codes = props?.error?.enum;
    if (props !== undefined && 'message' in props && 'details' in props && 'timestamp' in props && Array.isArray(codes)) return codes.map(String);
    for (const child of Object.values(v)) {
      const r = find(child);
      if (r !== null) return r;
    }
    return null;
  };
  const codes = find(doc);
  if (codes === null || codes.length === 0) throw new Error('GET /api/schema documents no error schema {error (enum), message, details, timestamp}');
  return new Set(codes);
}

const TIMEOUT_MS = 15_000;

export function send(base: URL, agent: http.Agent, c: HttpCase): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const body = c.body !== undefined ? Buffer.from(c.body, 'latin1') : undefined;
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: c.method,
        path: c.path,
        agent,
        headers: { ...c.headers, ...(body !== undefined ? { 'content-length': String(body.length) } : {}) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Why body is not the documented error shape, or null when it is. */
export function errorShapeProblem(reply: HttpReply, codes: ReadonlySet<string>): string | null {
  if (!/^application\/json/.test(reply.headers['content-type'] ?? '')) return `content-type ${reply.headers['content-type'] ?? '(none)'}, not JSON`;
  let b: unknown;
  try {
    b = JSON.parse(reply.text);
  } catch {
    return 'body is not JSON';
  }
  const o = b as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'body is not an object';
  if (typeof o.error !== 'string' || !codes.has(o.error)) return `error ${JSON.stringify(o.error)} is not a public code`;
  if (typeof o.message !== 'string') return 'message is not a string';
  if (o.details === null || typeof o.details !== 'object' || Array.isArray(o.details)) return 'details is not an object';
  if (typeof o.timestamp !== 'string' || Number.isNaN(Date.parse(o.timestamp))) return 'timestamp is not a date';
  return null;
}

function describe(c: HttpCase, r: HttpReply): string {
  return `${c.method} ${c.path.slice(0, 200)} -> ${r.status} ${r.text.slice(0, 300)}`;
}

/** Sends requests and checks them against the promises above; one per node. */
export class HttpOracle {
  readonly #base: URL;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  readonly #node: FacegateNode;
  readonly #digest: StoreDigest;
  readonly #codes: ReadonlySet<string>;
  #last: Record<string, string> | null = null;

  constructor(node: FacegateNode, codes: ReadonlySet<string>) {
    this.#node = node;
    this.#codes = codes;
    this.#base = new URL(node.url);
    this.#digest = new StoreDigest(node.service.store.sql);
  }

  /** The store as it is now, once queued audit appends have landed. */
  async snapshot(): Promise<Record<string, string>> {
    await this.#node.service.audit.flush();
    return this.#digest.take();
  }

  /** Sends c, throws on a broken promise; returns the reply for property-specific checks. */
  async check(c: HttpCase): Promise<HttpReply> {
    const before = this.#last ?? (await this.snapshot());
    let r: HttpReply;
    try {
      r = await send(this.#base, this.#agent, c);
    } catch (e) {
      this.#last = null;
      throw new Error(`${c.method} ${c.path.slice(0, 200)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const after = await this.snapshot();
    this.#last = after;
    if (r.status >= 500) throw new Error(`5xx: ${describe(c, r)}`);
    if (r.status >= 400 && c.method !== 'HEAD') {
      const p = errorShapeProblem(r, this.#codes);
      if (p !== null) throw new Error(`error shape (${p}): ${describe(c, r)}`);
    }
    if (r.status >= 400) {
      const changed = changedTables(before, after);
      if (changed.length > 0) throw new Error(`rejected but the store changed (${changed.join(', ')}): ${describe(c, r)}`);
    }
    return r;
  }

  /** Forgets the cached snapshot (after the harness itself changed the store). */
  invalidate(): void {
    this.#last = null;
  }

  /** The node still answers /health with 200. */
  async healthy(): Promise<string | null> {
    try {
      const r = await send(this.#base, this.#agent, { method: 'GET', path: '/health', headers: {} });
      return r.status === 200 ? null : `/health answered ${r.status} ${r.text.slice(0, 200)}`;
    } catch (e) {
      return `/health: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  close(): void {
    this.#agent.destroy();
  }
}
