// The admin API (/api/admin) on a real service over HTTP, on every backend:
// the admin token and loopback guard, clients, keys (rotation overlap), policy,
// users and templates, live sessions with their decision, the audit log (page,
// filter, verify, signed export), webhooks, analytics, system, the SSE stream,
// and typed errors for bad input. Every change shows up in the audit log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyBundle } from '../../src/audit/auditBundle.ts';
import { isLoopback } from '../../src/admin/adminAuth.ts';
import { BACKENDS, call, dropSchema, enroll, authenticate, isErrorShape, startService, type Running } from './fixtures.ts';

const ADMIN_TOKEN = 'admin-test-token-0123456789abcdef0123456789';

for (const backend of BACKENDS) {
  describe(`admin API on ${backend.name}`, { skip: backend.skip }, () => {
    let run: Running;
    const admin = (method: string, p: string, json?: unknown) => call(run.url, method, `/api/admin${p}`, { token: ADMIN_TOKEN, ...(json !== undefined ? { json } : {}) });
    before(async () => {
      run = await startService(backend, { env: { ADMIN_TOKEN } });
    });
    after(async () => {
      await run?.close();
      if (run) await dropSchema(run.schema);
    });

    test('every admin route refuses a missing or wrong token with the error shape', async () => {
      for (const token of [undefined, 'wrong-token-wrong-token-wrong-token-00']) {
        const r = await call(run.url, 'GET', '/api/admin/clients', token ? { token } : {});
        assert.equal(r.status, 401);
        assert.ok(isErrorShape(r.body));
      }
      assert.equal(isLoopback('127.0.0.1'), true);
      assert.equal(isLoopback('::ffff:127.0.0.1'), true);
      assert.equal(isLoopback('::1'), true);
      assert.equal(isLoopback('10.0.0.1'), false);
    });

    test('clients: create shows the key once, list, rename, get; bad input is a 422, unknown ids a 404', async () => {
      const c = await admin('POST', '/clients', { name: 'Kiosk' });
      assert.equal(c.status, 201);
      assert.match(String(c.body.api_key), /^fg_/);
      const id = String(c.body.client_id);
      const list = await admin('GET', '/clients');
      const row = (list.body.clients as Record<string, unknown>[]).find((x) => x.client_id === id)!;
      assert.equal(row.name, 'Kiosk');
      assert.equal(row.active_keys, 1);
      assert.equal('api_key' in row, false);
      assert.equal((await admin('PATCH', `/clients/${id}`, { name: 'Lobby' })).body.name, 'Lobby');
      const got = await admin('GET', `/clients/${id}`);
      assert.equal(got.body.name, 'Lobby');
      assert.equal(JSON.stringify(got.body).includes(String(c.body.api_key)), false);
      for (const [m, p, body] of [
        ['POST', '/clients', { name: '' }],
        ['POST', '/clients', { name: 'x', extra: 1 }],
        ['PATCH', `/clients/${id}`, { name: 5 }],
        ['GET', '/clients/not-an-id', undefined],
      ] as const) {
        const r = await admin(m, p, body);
        assert.equal(r.status, 422, `${m} ${p}`);
        assert.ok(isErrorShape(r.body));
      }
      const missing = await admin('GET', '/clients/cl_000000000000000000000000');
      assert.equal(missing.status, 404);
      assert.ok(isErrorShape(missing.body));
    });

    test('keys: rotate keeps the old key working through the overlap, then refuses it; revoke is immediate', async () => {
      const c = await admin('POST', '/clients', { name: 'Rotating' });
      const id = String(c.body.client_id);
      const oldKey = String(c.body.api_key);
      const oldId = oldKey.split('_')[1]!;
      const rot = await admin('POST', `/clients/${id}/keys/${oldId}/rotate`, { overlap_s: 1 });
      assert.equal(rot.status, 201);
      const newKey = String(rot.body.api_key);
      const ex = await call(run.url, 'POST', '/api/auth/client', { json: { api_key: oldKey } });
      assert.equal(ex.status, 200, 'old key works inside the overlap');
      const keys = (await admin('GET', `/clients/${id}/keys`)).body.keys as Record<string, unknown>[];
      assert.deepEqual(keys.map((k) => k.status).sort(), ['active', 'rotating']);
      await new Promise((r) => setTimeout(r, 1300));
      assert.equal((await call(run.url, 'POST', '/api/auth/client', { json: { api_key: oldKey } })).status, 401);
      assert.equal((await call(run.url, 'GET', '/api/users', { token: String(ex.body.access_token) })).status, 401);
      const ex2 = await call(run.url, 'POST', '/api/auth/client', { json: { api_key: newKey } });
      assert.equal(ex2.status, 200);
      const revoke = await admin('POST', `/clients/${id}/keys/${String(rot.body.key_id)}/revoke`);
      assert.equal(revoke.status, 200);
      assert.equal((await call(run.url, 'GET', '/api/users', { token: String(ex2.body.access_token) })).status, 401);
      assert.equal((await admin('POST', `/clients/${id}/keys/${String(rot.body.key_id)}/revoke`)).status, 404);
    });

    test('policy: stored and served as validated; unknown knobs are a 422', async () => {
      const id = String((await admin('POST', '/clients', { name: 'Policy' })).body.client_id);
      const dflt = await admin('GET', `/clients/${id}/policy`);
      assert.deepEqual(dflt.body.policy, { session_defaults: {}, rate_limits: {}, allow_skip_liveness: false });
      const policy = { session_defaults: { session_ttl_s: 60, liveness_challenges: 1 }, rate_limits: { per_key_per_minute: 30 }, allow_skip_liveness: true };
      assert.equal((await admin('PUT', `/clients/${id}/policy`, policy)).status, 200);
      assert.deepEqual((await admin('GET', `/clients/${id}/policy`)).body.policy, policy);
      assert.equal((await admin('PUT', `/clients/${id}/policy`, { bogus: true })).status, 422);
      assert.equal((await admin('PUT', `/clients/${id}/policy`, { rate_limits: { per_key_per_minute: -1 } })).status, 422);
    });

    test('users, sessions and analytics: an enrollment and an authentication appear with their decision, scores and timings', async () => {
      const c = await admin('POST', '/clients', { name: 'People' });
      const id = String(c.body.client_id);
      const token = String((await call(run.url, 'POST', '/api/auth/client', { json: { api_key: c.body.api_key } })).body.access_token);
      const events: string[] = [];
      const sse = await fetch(`${run.url}/api/admin/events?token=${ADMIN_TOKEN}`);
      assert.equal(sse.headers.get('content-type'), 'text/event-stream');
      const reader = sse.body!.getReader();
      const reading = (async () => {
        const dec = new TextDecoder();
        for (let i = 0; i < 200; i++) {
          const { value, done } = await reader.read();
          if (done) return;
          for (const m of dec.decode(value).matchAll(/^event: (\S+)$/gm)) events.push(m[1]!);
          if (events.includes('session.finished') && events.filter((e) => e === 'session.finished').length >= 2) return;
        }
      })();
      assert.equal((await enroll(run, token, 'alice', [200, 40, 40])).status, 200);
      const auth = await authenticate(run, token, [200, 40, 40]);
      assert.equal(auth.status, 200);
      await reading;
      await reader.cancel();
      assert.ok(events.includes('session.created') && events.includes('session.updated') && events.includes('session.finished'), events.join(','));

      const users = await admin('GET', `/clients/${id}/users?limit=10`);
      assert.equal(users.body.total, 1);
      const user = await admin('GET', `/clients/${id}/users/alice`);
      const templates = (user.body.templates as { template_id: string }[]).length;
      assert.ok(templates >= 1);
      assert.equal(await run.service.gallery.size(id), templates);

      const sessions = (await admin('GET', `/sessions?client_id=${id}&kind=authentication`)).body.sessions as Record<string, unknown>[];
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0]!.status, 'succeeded');
      const one = await admin('GET', `/sessions/${String(sessions[0]!.session_id)}`);
      const decision = one.body.decision as Record<string, unknown>;
      assert.equal(decision.outcome, 'succeeded');
      assert.ok(Object.keys(decision.scores as object).length > 0);
      assert.equal(typeof decision.timings_ms, 'object');
      assert.equal(((await admin('GET', `/sessions?status=failed&client_id=${id}`)).body.sessions as unknown[]).length, 0);
      assert.equal((await admin('GET', '/sessions?status=bogus')).status, 422);

      await run.service.audit.flush();
      const a = await admin('GET', `/analytics?client_id=${id}`);
      const perDay = a.body.per_day as { attempts: number; successes: number }[];
      assert.equal(perDay.reduce((n, d) => n + d.attempts, 0), 2);
      assert.equal(typeof (a.body.latency_ms as Record<string, unknown>).p95, 'number');

      const del = await admin('DELETE', `/clients/${id}/users/alice`);
      assert.equal(del.body.templates_removed, templates);
      assert.equal(await run.service.gallery.size(id), 0);
    });

    test('audit: pages newest first with filters, verifies, exports a bundle that verifies with the public key', async () => {
      const c = await admin('POST', '/clients', { name: 'Audited' });
      const id = String(c.body.client_id);
      await admin('PATCH', `/clients/${id}`, { name: 'Audited 2' });
      await run.service.audit.flush();
      const page = await admin('GET', `/audit?client_id=${id}&limit=1`);
      const entries = page.body.entries as { event: string; seq: number; payload: Record<string, unknown> }[];
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.event, 'client.renamed');
      assert.equal(entries[0]!.payload.by, 'admin');
      const next = await admin('GET', `/audit?client_id=${id}&limit=1&before_seq=${String(page.body.next_before_seq)}`);
      assert.equal((next.body.entries as { event: string }[])[0]!.event, 'client.created');
      assert.equal((await admin('GET', '/audit?event=client.created&limit=500')).status, 200);
      assert.equal((await admin('GET', '/audit?limit=0')).status, 422);
      const v = await admin('GET', '/audit/verify');
      assert.equal(v.body.ok, true);
      const pk = await admin('GET', '/audit/public-key');
      const bundle = await fetch(`${run.url}/api/admin/audit/export`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(bundle.status, 200);
      const r = verifyBundle(await bundle.text(), String(pk.body.public_key));
      assert.equal(r.ok, true, JSON.stringify(r));
    });

    test('webhooks: configure, deliveries, redeliver of an unknown delivery is a 404', async () => {
      const id = String((await admin('POST', '/clients', { name: 'Hooks' })).body.client_id);
      const put = await admin('PUT', `/clients/${id}/webhook`, { url: 'http://127.0.0.1:9/hook' });
      assert.equal(put.status, 200);
      assert.equal(typeof put.body.secret, 'string');
      assert.equal((await admin('GET', `/clients/${id}/webhook`)).body.configured, true);
      assert.deepEqual((await admin('GET', `/clients/${id}/webhook/deliveries`)).body.deliveries, []);
      assert.equal((await admin('POST', `/clients/${id}/webhook/deliveries/nope/redeliver`)).status, 404);
      assert.equal((await admin('PUT', `/clients/${id}/webhook`, { url: 'not a url' })).status, 422);
    });

    test('system: health, versions, gallery sizes; delete-client crypto-shreds and is audited', async () => {
      const s = await admin('GET', '/system');
      assert.equal((s.body.health as Record<string, string>).database, 'up');
      assert.equal(typeof (s.body.versions as Record<string, unknown>).schema, 'number');
      assert.ok(Array.isArray(s.body.galleries));
      const id = String((await admin('POST', '/clients', { name: 'Doomed' })).body.client_id);
      assert.equal((await admin('DELETE', `/clients/${id}`)).body.deleted, true);
      assert.equal((await admin('GET', `/clients/${id}`)).status, 404);
      await run.service.audit.flush();
      const ev = (await admin('GET', `/audit?client_id=${id}&event=client.deleted`)).body.entries as unknown[];
      assert.equal(ev.length, 1);
    });

    test('the admin token is generated into the data dir (0600) when ADMIN_TOKEN is unset', async () => {
      const other = await startService(backend, {});
      try {
        const file = path.join(other.dataDir, 'admin-token');
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        const token = fs.readFileSync(file, 'utf8').trim();
        assert.equal((await call(other.url, 'GET', '/api/admin/clients', { token })).status, 200);
      } finally {
        await other.close();
        await dropSchema(other.schema);
      }
    });
  });
}
