// Two tenants for the fuzz run, set up through the product's own entry
// points: clients by the tenant service (as the admin CLI does), tokens by
// POST /api/auth/client, sessions and webhooks by the REST API. A user is
// written through the store's enroll() with a template sealed by the key
// ring (a REST enrolment needs a live face through the liveness engine, which
// the heavy image cases exercise instead).
import crypto from 'node:crypto';
import type { FacegateNode } from '../../src/FacegateNode.ts';

export interface Tenant {
  readonly clientId: string;
  readonly apiKey: string;
  readonly token: string;
  readonly users: readonly string[];
  /** Session ids and tokens of sessions this tenant created, still open. */
  readonly sessions: readonly { readonly id: string; readonly token: string }[];
}

async function json(url: string, init: { method: string; token?: string; body?: unknown }): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: init.method,
    headers: { 'content-type': 'application/json', ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${init.method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function createTenant(node: FacegateNode, name: string, o: { users: number; sessions: number; webhook?: string }): Promise<Tenant> {
  const { clientId, apiKey } = await node.service.tenants.createClient(name);
  const { access_token } = await json(`${node.url}/api/auth/client`, { method: 'POST', body: { api_key: apiKey } });
  const token = String(access_token);
  await node.service.tenants.loadClientKey(clientId);
  const users: string[] = [];
  for (let i = 0; i < o.users; i++) {
    const externalId = `${name.toLowerCase()}-user-${i}`;
    const templateId = `tpl_${crypto.randomBytes(12).toString('hex')}`;
    const embedding = new Float32Array(512).map(() => Math.random() - 0.5);
    await node.service.store.enroll(clientId, externalId, [{ id: templateId, ciphertext: node.service.keys.encryptTemplate(clientId, templateId, embedding) }]);
    users.push(externalId);
  }
  const sessions: { id: string; token: string }[] = [];
  for (let i = 0; i < o.sessions; i++) {
    const body = i % 2 === 0 ? { external_user_id: `${name.toLowerCase()}-new-${i}` } : {};
    const s = await json(`${node.url}/api/auth/${i % 2 === 0 ? 'enrollment' : 'authentication'}`, { method: 'POST', token, body });
    sessions.push({ id: String(s.session_id), token: String(s.session_token) });
  }
  if (o.webhook !== undefined) await json(`${node.url}/api/webhooks`, { method: 'PUT', token, body: { url: o.webhook } });
  return { clientId, apiKey, token, users, sessions };
}
