// Shared by the frame WebSocket tests (ws in node, and Chromium): a clip's
// frames as the JPEG data URLs a browser canvas gives, and a REST caller that
// exchanges a client's API key for its bearer token and creates sessions.
import assert from 'node:assert/strict';
import type { FacegateNode } from '../../../src/FacegateNode.ts';

export { clipDataUrls, type ClipFrame } from '../../../scripts/eval/lib/clipJpegs.ts';

export interface RestCaller {
  /** A JSON call with the client's bearer token; asserts a 2xx answer. */
  call(method: string, route: string, body?: unknown): Promise<Record<string, unknown>>;
  /** Creates a session; its token. */
  newSession(kind: 'enrollment' | 'authentication', externalUserId?: string): Promise<string>;
}

/** A new client on `node`, with its API key exchanged for a bearer token. */
export async function restCaller(node: FacegateNode, clientName: string): Promise<RestCaller> {
  let bearer: string | null = null;
  const call = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${node.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    assert.ok(res.status < 300, `${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const { apiKey } = await node.service.tenants.createClient(clientName);
  bearer = String((await call('POST', '/api/auth/client', { api_key: apiKey })).access_token);
  return {
    call,
    newSession: async (kind, externalUserId) =>
      String((await call('POST', `/api/auth/${kind}`, externalUserId !== undefined ? { external_user_id: externalUserId } : {})).session_token),
  };
}
