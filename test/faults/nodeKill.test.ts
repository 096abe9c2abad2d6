// Fault test (issue 13): SIGKILL of the node during a write burst. A real
// node (src/main.ts, embedded PGlite in a temp data dir, real face models)
// takes concurrent client creations and API key issues over the admin API
// (each an audited write); once enough were acknowledged it is SIGKILLed
// with requests in flight. Restarted on the same data dir, every
// acknowledged client is listed, every acknowledged key still exchanges for
// a token, and the audit chain (hash chain, signed heads, checkpoint)
// verifies. (REST enrollment on this node runs the active liveness
// challenges, which still photos cannot answer; committed enrollments
// surviving an outage are covered in backendFaults.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { NODE_SECRETS, startNodeProcess, type NodeProc } from '../support/nodeProcess.ts';
import { tempDir } from '../src/fixtures.ts';

const ADMIN_TOKEN = 'fault-test-admin-token-0123456789abcdef';
const BURST_LOOPS = 4;
const KILL_AFTER = 24;

interface Json {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function req(url: string, method: string, p: string, body?: unknown, bearer?: string): Promise<Json> {
  const headers: Record<string, string> = {};
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(url + p, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(20_000) });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

test('SIGKILL during a write burst loses nothing acknowledged, and the audit chain verifies after restart', { timeout: 120_000 }, async (t) => {
  const dir = tempDir();
  const env = { ...NODE_SECRETS, ADMIN_TOKEN, FACEGATE_DATA_DIR: dir, RATE_LIMIT_PER_IP: '100000', FACEGATE_DEMO: 'off' };
  let node: NodeProc = await startNodeProcess(env);
  t.after(async () => {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const clients: { clientId: string; apiKey: string }[] = [];
  /** Keys issued to existing clients (a second kind of write). */
  const extraKeys: { clientId: string; apiKey: string }[] = [];
  let killed = false;
  const killing = (async () => {
    for (let i = 0; i < 600 && clients.length < KILL_AFTER; i++) await new Promise((r) => setTimeout(r, 25));
    killed = true;
    await node.kill('SIGKILL');
  })();
  const burst = async (loop: number): Promise<void> => {
    for (let i = 0; i < 100 && !killed; i++) {
      try {
        const r = await req(node.url, 'POST', '/api/admin/clients', { name: `burst-${loop}-${i}` }, ADMIN_TOKEN);
        if (r.status === 201) clients.push({ clientId: String(r.body.client_id), apiKey: String(r.body.api_key) });
      } catch {
        return; // the node is gone: this write was never acknowledged
      }
    }
  };
  const issuing = async (): Promise<void> => {
    for (let i = 0; i < 200 && !killed; i++) {
      const c = clients[i % Math.max(1, clients.length)];
      if (!c) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      try {
        const r = await req(node.url, 'POST', `/api/admin/clients/${c.clientId}/keys`, undefined, ADMIN_TOKEN);
        if (r.status === 201) extraKeys.push({ clientId: c.clientId, apiKey: String(r.body.api_key) });
      } catch {
        return;
      }
    }
  };
  await Promise.all([...Array.from({ length: BURST_LOOPS }, (_, l) => burst(l)), issuing(), killing]);
  assert.ok(clients.length >= KILL_AFTER, `only ${clients.length} clients were acknowledged before the kill`);
  console.log(`SIGKILL after ${clients.length} acknowledged client creations and ${extraKeys.length} key issues`);

  node = await startNodeProcess(env);
  const listed = await req(node.url, 'GET', '/api/admin/clients', undefined, ADMIN_TOKEN);
  assert.equal(listed.status, 200);
  const ids = new Set((listed.body.clients as { client_id: string }[]).map((c) => c.client_id));
  for (const c of clients) assert.ok(ids.has(c.clientId), `acknowledged client ${c.clientId} is missing after the restart`);
  for (const c of [...clients, ...extraKeys]) {
    const x = await req(node.url, 'POST', '/api/auth/client', { api_key: c.apiKey });
    assert.equal(x.status, 200, `an acknowledged key of ${c.clientId}: ${JSON.stringify(x.body)}`);
  }

  const verify = await req(node.url, 'GET', '/api/admin/audit/verify', undefined, ADMIN_TOKEN);
  assert.equal(verify.status, 200, JSON.stringify(verify.body));
  assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
  // Every acknowledged write left its audit row.
  assert.ok(Number(verify.body.rows) >= clients.length + extraKeys.length, JSON.stringify(verify.body));
});
