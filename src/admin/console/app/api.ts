// The console's one way to the admin API: the admin token from
// sessionStorage as a bearer token, JSON in and out, the REST error shape
// turned into ApiError. The event stream takes the token as ?token= because
// EventSource cannot set headers.
import type { ApiErrorBody, FeedEvent } from './wire.ts';

const TOKEN_KEY = 'facegate.adminToken';
const BASE = '/api/admin';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string): void => sessionStorage.setItem(TOKEN_KEY, t),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** Called when the server refuses the token (the app signs out). */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

type Query = Readonly<Record<string, string | number | undefined | null>>;

function url(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return `${BASE}${path}${s ? `?${s}` : ''}`;
}

async function request(method: string, path: string, o: { body?: unknown; query?: Query; token?: string } = {}): Promise<Response> {
  const token = o.token ?? tokenStore.get() ?? '';
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url(path, o.query), { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  if (!res.ok) {
    const e = (await res.json().catch(() => null)) as ApiErrorBody | null;
    if (res.status === 401 && o.token === undefined) onUnauthorized();
    throw new ApiError(res.status, e?.error ?? 'http_error', e?.message ?? `${res.status} ${res.statusText}`);
  }
  return res;
}

export const api = {
  get: async <T>(path: string, query?: Query): Promise<T> => (await (await request('GET', path, query ? { query } : {})).json()) as T,
  send: async <T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> =>
    (await (await request(method, path, body !== undefined ? { body } : {})).json()) as T,
  /** Checks a token before it is kept (sign-in). */
  check: async (token: string): Promise<void> => {
    await request('GET', '/system', { token });
  },
  /** The signed audit bundle as a Blob (the export needs the header, so no plain link). */
  exportAudit: async (): Promise<Blob> => (await request('GET', '/audit/export')).blob(),
  /** Opens the live event stream; returns its closer. */
  events: (on: (e: FeedEvent) => void, onState: (open: boolean) => void): (() => void) => {
    const es = new EventSource(url('/events', { token: tokenStore.get() }));
    const handler = (m: MessageEvent<string>): void => on(JSON.parse(m.data) as FeedEvent);
    for (const t of ['session.created', 'session.updated', 'session.finished', 'job.run']) es.addEventListener(t, handler as EventListener);
    es.onopen = () => onState(true);
    es.onerror = () => onState(false);
    return () => es.close();
  },
};

export const errorText = (e: unknown): string => (e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e));
