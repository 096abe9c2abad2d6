// The REST API end to end over HTTP (port 0), the same suite on the embedded
// defaults and on PostgreSQL + Redis when the FACEGATE_TEST_* variables are set.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { verifySignature } from '../../src/webhooks/WebhookDispatcher.ts';
import { BACKENDS, authenticate, call, colourImage, dropSchema, enroll, isErrorShape, newClient, startService, type Running } from './fixtures.ts';

const ALICE: [number, number, number] = [200, 10, 10];
const BOB: [number, number, number] = [50, 200, 10];
const CAROL: [number, number, number] = [60, 60, 200];

for (const backend of BACKENDS) {
  describe(`REST API on ${backend.name}`, { skip: backend.skip }, () => {
    let run: Running;
    let a: { clientId: string; apiKey: string; token: string };
    let b: { clientId: string; apiKey: string; token: string };
    before(async () => {
      run = await startService(backend, { env: { LOCKOUT_FAILURES: '3', RATE_LIMIT_PER_KEY: '1000' } });
      a = await newClient(run, 'A');
      b = await newClient(run, 'B');
    });
    after(async () => {
      await run?.close();
      if (run) await dropSchema(run.schema);
    });

    test('GET /health reports database and state components up', async () => {
      const r = await call(run.url, 'GET', '/health');
      assert.equal(r.status, 200);
      const c = r.body.components as Record<string, string>;
      assert.equal(c.database, 'up');
      assert.equal(c.redis, backend.redisUrl ? 'up' : 'not_configured');
    });

    test('POST /api/auth/client exchanges an API key for a JWT and refuses a wrong key with 401', async () => {
      const ok = await call(run.url, 'POST', '/api/auth/client', { json: { api_key: a.apiKey } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.token_type, 'Bearer');
      const claims = jwt.decode(String(ok.body.access_token), { complete: true });
      assert.equal(claims?.header.alg, 'HS256');
      const bad = await call(run.url, 'POST', '/api/auth/client', { json: { api_key: `${a.apiKey.slice(0, -2)}xx` } });
      assert.equal(bad.status, 401);
      assert.ok(isErrorShape(bad.body));
      assert.equal(bad.body.error, 'unauthorized');
      const header = await call(run.url, 'POST', '/api/auth/client', { json: {}, headers: { 'x-api-key': b.apiKey } });
      assert.equal(header.status, 200);
    });

    test('protected routes refuse missing, alg:none, foreign-key and expired tokens with 401', async () => {
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: a.clientId, typ: 'client', iss: 'facegate', aud: 'facegate-api', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.`;
      const forged = jwt.sign({ typ: 'client' }, 'x'.repeat(48), { algorithm: 'HS256', subject: a.clientId, issuer: 'facegate', audience: 'facegate-api', expiresIn: 60 });
      const secret = 'test-secret-0123456789abcdef0123456789abcdef';
      const expired = jwt.sign({ typ: 'client', exp: Math.floor(Date.now() / 1000) - 5 }, secret, { algorithm: 'HS256', subject: a.clientId, issuer: 'facegate', audience: 'facegate-api' });
      const wrongAud = jwt.sign({ typ: 'client' }, secret, { algorithm: 'HS256', subject: a.clientId, issuer: 'facegate', audience: 'other', expiresIn: 60 });
      for (const token of [undefined, none, forged, expired, wrongAud, 'not.a.jwt']) {
        const r = await call(run.url, 'GET', '/api/users', token ? { token } : {});
        assert.equal(r.status, 401, `token ${String(token).slice(0, 20)}`);
        assert.ok(isErrorShape(r.body));
      }
    });

    test('enrollment over process-frame stores a user; authentication matches it (1:N and 1:1)', async () => {
      const done = await enroll(run, a.token, 'alice', ALICE);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'succeeded');
      const u = await call(run.url, 'GET', '/api/users/alice', { token: a.token });
      assert.equal(u.status, 200);
      assert.equal(u.body.templates, 1);
      const id = await authenticate(run, a.token, ALICE);
      assert.equal(id.body.status, 'succeeded');
      assert.equal((id.body.decision as Record<string, unknown>).external_user_id, 'alice');
      assert.deepEqual((id.body.decision as Record<string, unknown>).timings_ms, { detect: 1, embedding: 2 });
      const ver = await authenticate(run, a.token, ALICE, 'alice');
      assert.equal(ver.body.status, 'succeeded');
      const miss = await authenticate(run, a.token, BOB);
      assert.equal(miss.body.status, 'failed');
      assert.equal((miss.body.decision as Record<string, unknown>).reason, 'no_match');
    });

    test('session creation returns token, signaling URL, ICE servers, expiry and config', async () => {
      const s = await call(run.url, 'POST', '/api/auth/authentication', { token: a.token, json: {} });
      assert.equal(s.status, 201);
      assert.equal(typeof s.body.session_token, 'string');
      assert.equal(s.body.mode, 'identification');
      assert.ok(Array.isArray(s.body.ice_servers));
      assert.ok(Date.parse(String(s.body.expires_at)) > Date.now());
      assert.equal(typeof s.body.signaling_url, 'string');
      const auth = await run.service.sessions.authorize(String(s.body.session_token));
      assert.equal(auth?.clientId, a.clientId);
      assert.equal(await run.service.sessions.authorize('nope'), null);
    });

    test('client B cannot read, match or delete client A\'s users', async () => {
      assert.equal((await call(run.url, 'GET', '/api/users/alice', { token: b.token })).status, 404);
      assert.equal((await call(run.url, 'DELETE', '/api/users/alice', { token: b.token })).status, 404);
      const list = await call(run.url, 'GET', '/api/users', { token: b.token });
      assert.deepEqual(list.body.users, []);
      // B identifying with Alice's face finds no one in B's gallery.
      const id = await authenticate(run, b.token, ALICE);
      assert.equal(id.body.status, 'failed');
      assert.equal((id.body.decision as Record<string, unknown>).reason, 'no_match');
      // B cannot open a 1:1 session for A's user.
      const ver = await call(run.url, 'POST', '/api/auth/authentication', { token: b.token, json: { external_user_id: 'alice' } });
      assert.equal(ver.status, 404);
      assert.equal((await call(run.url, 'GET', '/api/users/alice', { token: a.token })).status, 200);
    });

    test('DELETE /api/users/{id} removes the user from the store and the gallery', async () => {
      assert.equal((await enroll(run, a.token, 'carol', CAROL)).body.status, 'succeeded');
      assert.equal((await authenticate(run, a.token, CAROL)).body.status, 'succeeded');
      const del = await call(run.url, 'DELETE', '/api/users/carol', { token: a.token });
      assert.equal(del.status, 200);
      assert.equal(del.body.templates_removed, 1);
      assert.equal((await call(run.url, 'GET', '/api/users/carol', { token: a.token })).status, 404);
      const id = await authenticate(run, a.token, CAROL);
      assert.equal(id.body.status, 'failed');
    });

    test('process-frame gives guidance for no face, two faces and a small face, then decides', async () => {
      const s = await call(run.url, 'POST', '/api/auth/enrollment', { token: a.token, json: { external_user_id: 'dora' } });
      const frame = async (rgb: [number, number, number]) =>
        call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json: { session_token: s.body.session_token, image: await colourImage(...rgb) } });
      assert.equal((await frame([0, 0, 0])).body.feedback, 'no_face');
      assert.equal((await frame([255, 255, 255])).body.feedback, 'multiple_faces');
      assert.equal((await frame([20, 90, 90])).body.feedback, 'face_too_small');
      const st = await call(run.url, 'GET', `/api/auth/session/${String(s.body.session_token)}/status`);
      assert.equal(st.body.status, 'capturing');
      assert.equal(st.body.frames_processed, 3);
      const c = await call(run.url, 'DELETE', `/api/auth/session/${String(s.body.session_token)}`);
      assert.equal(c.body.status, 'cancelled');
      const again = await frame([120, 120, 120]);
      assert.equal(again.status, 409);
      assert.equal(again.body.error, 'conflict');
    });

    test('bad input answers the error shape: oversized, invalid base64, non-image, wrong type, unknown session', async () => {
      const s = await call(run.url, 'POST', '/api/auth/enrollment', { token: a.token, json: { external_user_id: 'eve' } });
      const tok = String(s.body.session_token);
      const pf = (json: unknown, opts: { contentType?: string } = {}) => call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json, ...opts });
      const cases: [string, Promise<import('./fixtures.ts').Reply>, number, string][] = [
        ['invalid base64', pf({ session_token: tok, image: 'data:image/png;base64,@@@@' }), 422, 'validation_error'],
        ['non-image', pf({ session_token: tok, image: `data:image/png;base64,${Buffer.from('hello world, not a png').toString('base64')}` }), 422, 'validation_error'],
        ['gif declared', pf({ session_token: tok, image: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' }), 415, 'invalid_request'],
        ['not a data URL', pf({ session_token: tok, image: 'http://example.com/x.png' }), 422, 'validation_error'],
        ['unknown session', pf({ session_token: 'no-such-session', image: await colourImage(1, 2, 3) }), 404, 'not_found'],
        ['missing field', pf({ session_token: tok }), 422, 'validation_error'],
        ['oversized body', pf({ session_token: tok, image: `data:image/png;base64,${'A'.repeat(8 * 1024 * 1024)}` }), 413, 'invalid_request'],
        ['wrong content type', call(run.url, 'POST', '/api/auth/enrollment/process-frame', { raw: 'session_token=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'invalid_request'],
        ['broken JSON', call(run.url, 'POST', '/api/auth/enrollment/process-frame', { raw: '{"session_token":', contentType: 'application/json' }), 400, 'invalid_request'],
        ['unknown route', call(run.url, 'GET', '/api/nope'), 404, 'not_found'],
        ['wrong session kind', call(run.url, 'POST', '/api/auth/authentication/process-frame', { json: { session_token: tok, image: await colourImage(1, 2, 3) } }), 400, 'invalid_request'],
      ];
      for (const [name, p, status, code] of cases) {
        const r = await p;
        assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body).slice(0, 200)}`);
        assert.ok(isErrorShape(r.body), name);
        assert.equal(r.body.error, code, name);
      }
      // A corrupt PNG (valid header, truncated body).
      const png = Buffer.from((await colourImage(5, 5, 5)).split(',')[1]!, 'base64').subarray(0, 60);
      const corrupt = await pf({ session_token: tok, image: `data:image/png;base64,${png.toString('base64')}` });
      assert.equal(corrupt.status, 422);
      assert.ok(isErrorShape(corrupt.body));
      // The process is still serving.
      assert.equal((await call(run.url, 'GET', '/health')).status, 200);
    });

    test('failed 1:1 attempts lock the user out after the limit with 429', async () => {
      assert.equal((await enroll(run, a.token, 'frank', [150, 150, 20])).body.status, 'succeeded');
      for (let i = 0; i < 3; i++) assert.equal((await authenticate(run, a.token, BOB, 'frank')).body.status, 'failed');
      const locked = await call(run.url, 'POST', '/api/auth/authentication', { token: a.token, json: { external_user_id: 'frank' } });
      assert.equal(locked.status, 429);
      assert.equal(locked.body.error, 'rate_limit_exceeded');
      assert.equal((locked.body.details as Record<string, unknown>).reason, 'locked_out');
      // Other users and other clients are unaffected.
      assert.equal((await authenticate(run, a.token, ALICE, 'alice')).body.status, 'succeeded');
    });

    test('webhooks are signed with HMAC-SHA256, retried after failures, and logged', async () => {
      const received: { body: string; sig: string; event: string }[] = [];
      let failFirst = 2;
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          if (failFirst-- > 0) {
            res.statusCode = 500;
            res.end('nope');
            return;
          }
          received.push({ body, sig: String(req.headers['x-facegate-signature']), event: String(req.headers['x-facegate-event']) });
          res.end('ok');
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (receiver.address() as AddressInfo).port;
        const cfg = await call(run.url, 'PUT', '/api/webhooks', { token: b.token, json: { url: `http://127.0.0.1:${port}/hook` } });
        assert.equal(cfg.status, 200);
        const secret = String(cfg.body.secret);
        assert.equal((await enroll(run, b.token, 'bob', BOB)).body.status, 'succeeded');
        await run.service.webhooks.idle();
        assert.equal(received.length, 1);
        const got = received[0]!;
        assert.equal(got.event, 'session.succeeded');
        assert.ok(verifySignature(secret, got.sig, got.body));
        assert.equal(verifySignature(secret, got.sig, got.body.replace('bob', 'bib')), false);
        assert.equal(verifySignature('whsec_wrong', got.sig, got.body), false);
        const log = await call(run.url, 'GET', '/api/webhooks/deliveries', { token: b.token });
        const d = (log.body.deliveries as Record<string, unknown>[])[0]!;
        assert.equal(d.status, 'delivered');
        assert.equal(d.attempts, 3);
        // Client A configured no webhook and sees no deliveries.
        assert.deepEqual((await call(run.url, 'GET', '/api/webhooks/deliveries', { token: a.token })).body.deliveries, []);
      } finally {
        receiver.closeAllConnections();
        await new Promise<void>((r) => receiver.close(() => r()));
      }
    });

    test('deleting a client removes its data, key and gallery; its token stops working', async () => {
      const z = await newClient(run, 'Z');
      assert.equal((await enroll(run, z.token, 'zed', [77, 77, 77])).body.status, 'succeeded');
      assert.equal(await run.service.gallery.size(z.clientId), 1);
      assert.equal(await run.service.deleteClient(z.clientId), true);
      assert.equal(await run.service.gallery.size(z.clientId), 0);
      assert.equal(run.service.keys.has(z.clientId), false);
      assert.equal((await call(run.url, 'GET', '/api/users', { token: z.token })).status, 401);
      assert.equal((await call(run.url, 'POST', '/api/auth/client', { json: { api_key: z.apiKey } })).status, 401);
      assert.equal((await call(run.url, 'GET', '/api/users/alice', { token: a.token })).status, 200);
    });

    test('a webhook whose receiver is down is retried up to the limit and logged as failed', async () => {
      const dead = http.createServer();
      await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
      const port = (dead.address() as AddressInfo).port;
      await new Promise<void>((r) => dead.close(() => r()));
      const y = await newClient(run, 'Y');
      assert.equal((await call(run.url, 'PUT', '/api/webhooks', { token: y.token, json: { url: `http://127.0.0.1:${port}/gone` } })).status, 200);
      assert.equal((await enroll(run, y.token, 'yan', [99, 120, 140])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      const log = await call(run.url, 'GET', '/api/webhooks/deliveries', { token: y.token });
      const d = (log.body.deliveries as Record<string, unknown>[])[0]!;
      assert.equal(d.status, 'failed');
      assert.equal(d.attempts, run.service.config.service.webhookMaxAttempts);
      assert.equal(typeof d.last_error, 'string');
    });

    test('the audit log records sessions and its chain verifies', async () => {
      await run.service.audit.flush();
      const v = await run.service.audit.verify();
      assert.equal(v.ok, true);
      assert.ok(v.rows > 5);
      const mine = await run.service.audit.list(a.clientId, 500);
      const decided = mine.find((e) => e.event === 'session.succeeded');
      assert.ok(decided);
      const payload = JSON.parse(decided.payload) as Record<string, unknown>;
      for (const k of ['sessionId', 'kind', 'scores', 'timingsMs', 'durationMs', 'ipHash']) assert.ok(k in payload, k);
      assert.ok(mine.every((e) => e.clientId === a.clientId));
      assert.ok(!mine.some((e) => e.payload.includes('127.0.0.1')), 'raw IPs never reach the audit log');
    });

    test('analytics report attempts, successes and failures by reason for the caller only', async () => {
      const r = await call(run.url, 'GET', '/api/analytics/authentication-metrics', { token: a.token });
      assert.equal(r.status, 200);
      assert.ok(Number(r.body.attempts) >= 6);
      assert.ok(Number(r.body.successes) >= 3);
      assert.ok(Number((r.body.failures_by_reason as Record<string, number>).no_match) >= 3);
      const bad = await call(run.url, 'GET', '/api/analytics/authentication-metrics?from=yesterday', { token: a.token });
      assert.equal(bad.status, 422);
      const sys = await call(run.url, 'GET', '/api/analytics/system-metrics', { token: a.token });
      assert.equal(sys.status, 200);
      assert.equal(typeof sys.body.gallery_size, 'number');
    });

    test('GET /metrics exposes facegate_ metrics for sessions, frames, stages and decisions', async () => {
      const res = await fetch(`${run.url}/metrics`);
      const text = await res.text();
      for (const name of ['facegate_sessions_total', 'facegate_frames_processed_total', 'facegate_stage_duration_seconds', 'facegate_decisions_total', 'facegate_http_requests_total']) {
        assert.ok(text.includes(name), name);
      }
      const names = text.split('\n').filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]!);
      assert.ok(names.every((n) => n.startsWith('facegate_')), names.filter((n) => !n.startsWith('facegate_')).join(','));
    });

    test('GET /api/schema is OpenAPI 3 and every documented path is routed; Swagger UI is served', async () => {
      const r = await call(run.url, 'GET', '/api/schema');
      assert.equal(r.status, 200);
      assert.match(String(r.body.openapi), /^3\./);
      for (const p of Object.keys(r.body.paths as object)) {
        const concrete = p.replace('{token}', 'x').replace('{externalId}', 'x');
        const methods = Object.keys((r.body.paths as Record<string, object>)[p]!);
        for (const m of methods) {
          const res = await call(run.url, m.toUpperCase(), concrete);
          assert.notEqual(res.body.message, `no route for ${m.toUpperCase()} ${concrete}`, `${m} ${p}`);
        }
      }
      const ui = await fetch(`${run.url}/api/schema/swagger-ui/`);
      assert.equal(ui.status, 200);
      assert.match(await ui.text(), /swagger/i);
    });
  });
}
