// End-user accounts over HTTP (port 0) on the embedded defaults and, when the
// FACEGATE_TEST_* variables are set, PostgreSQL + Redis: register -> login ->
// refresh rotation -> reuse detection (the family, rotated-to token included,
// is revoked) -> profile; face login through a REST authentication session;
// verdict tokens checked offline against the JWKS fetched over HTTP.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { pino } from 'pino';
import { JwksResponse, LoginResponse, ProfileResponse, RegisterResponse, TokenPairResponse } from '../../../src/api/routes/accounts.ts';
import { BACKENDS, authenticate, call, colourImage, dropSchema, enroll, isErrorShape, newClient, startService, type Running } from '../fixtures.ts';

const DANA: [number, number, number] = [120, 30, 160];
const PASSWORD = 'Correct-Horse-9-Battery';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The token with byte i changed; a base64url character moves 32 places, so its top (always significant) bit flips. */
function tamper(token: string, i: number): string {
  const c = token[i]!;
  const k = B64URL.indexOf(c);
  const next = k < 0 ? 'A' : B64URL[(k + 32) % 64]!;
  return token.slice(0, i) + next + token.slice(i + 1);
}

for (const backend of BACKENDS) {
  describe(`accounts on ${backend.name}`, { skip: backend.skip }, () => {
    let run: Running;
    let a: { clientId: string; apiKey: string; token: string };
    let b: { clientId: string; apiKey: string; token: string };
    const logged: string[] = [];
    before(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          logged.push(chunk.toString('utf8'));
          cb();
        },
      });
      run = await startService(backend, { env: { RATE_LIMIT_PER_KEY: '1000' }, service: { log: pino({ level: 'trace' }, sink) } });
      a = await newClient(run, 'A');
      b = await newClient(run, 'B');
    });
    after(async () => {
      await run?.close();
      if (run) await dropSchema(run.schema);
    });

    test('register -> login -> refresh rotation -> reuse revokes the family -> profile read and update', async () => {
      const reg = await call(run.url, 'POST', '/api/auth/register/', {
        token: a.token,
        json: { email: '  Jane.DOE@Example.COM ', password: PASSWORD, full_name: 'Jane Doe', phone_number: '+1234567890' },
      });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      RegisterResponse.parse(reg.body);
      assert.equal(reg.body.message, 'User registered successfully');
      assert.equal(reg.body.email, 'jane.doe@example.com');
      assert.equal(typeof reg.body.user_id, 'string');
      assert.equal(typeof reg.body.verification_required, 'boolean');
      const userId = String(reg.body.user_id);
      const stored = await run.service.store.getAccount(a.clientId, userId);
      assert.ok(stored?.passwordHash.startsWith('$argon2id$'), 'password stored as an Argon2id hash');

      const dup = await call(run.url, 'POST', '/api/auth/register', { token: a.token, json: { email: 'jane.doe@example.com', password: PASSWORD } });
      assert.equal(dup.status, 409);
      assert.ok(isErrorShape(dup.body));

      const wrong = await call(run.url, 'POST', '/api/auth/token/', { token: a.token, json: { email: 'jane.doe@example.com', password: 'not-the-password' } });
      assert.equal(wrong.status, 401);
      assert.equal((wrong.body.details as Record<string, unknown>).reason, 'invalid_credentials');
      // Another client's credential does not see client A's users.
      const foreign = await call(run.url, 'POST', '/api/auth/token/', { token: b.token, json: { email: 'jane.doe@example.com', password: PASSWORD } });
      assert.equal(foreign.status, 401);

      const login = await call(run.url, 'POST', '/api/auth/token/', {
        headers: { 'x-api-key': a.apiKey },
        json: { email: 'JANE.doe@example.com', password: PASSWORD, device_info: { device_id: 'd1', device_type: 'web' } },
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      LoginResponse.parse(login.body);
      assert.deepEqual(login.body.user, { id: userId, email: 'jane.doe@example.com', full_name: 'Jane Doe', face_enrolled: false });
      const first = { access: String(login.body.access), refresh: String(login.body.refresh) };

      const rotated = await call(run.url, 'POST', '/api/auth/token/refresh/', { json: { refresh: first.refresh } });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      TokenPairResponse.parse(rotated.body);
      const second = { access: String(rotated.body.access), refresh: String(rotated.body.refresh) };
      assert.notEqual(second.refresh, first.refresh);
      assert.equal((await call(run.url, 'GET', '/api/auth/profile/', { token: second.access })).status, 200);

      // The first token again: reuse. Its family goes, the rotated-to token with it.
      const reused = await call(run.url, 'POST', '/api/auth/token/refresh/', { json: { refresh: first.refresh } });
      assert.equal(reused.status, 401);
      assert.equal((reused.body.details as Record<string, unknown>).reason, 'token_reused');
      const afterReuse = await call(run.url, 'POST', '/api/auth/token/refresh/', { json: { refresh: second.refresh } });
      assert.equal(afterReuse.status, 401);
      assert.equal((afterReuse.body.details as Record<string, unknown>).reason, 'token_reused');
      const unknown = await call(run.url, 'POST', '/api/auth/token/refresh/', { json: { refresh: 'rt_nothing-like-it' } });
      assert.equal(unknown.status, 401);
      // Another login starts a family of its own, untouched by the revoked one.
      const again = await call(run.url, 'POST', '/api/auth/token', { token: a.token, json: { email: 'jane.doe@example.com', password: PASSWORD } });
      assert.equal(again.status, 200);
      assert.equal((await call(run.url, 'POST', '/api/auth/token/refresh', { json: { refresh: again.body.refresh } })).status, 200);

      const profile = await call(run.url, 'GET', '/api/auth/profile', { token: second.access });
      assert.equal(profile.status, 200);
      ProfileResponse.parse(profile.body);
      assert.equal(profile.body.id, userId);
      assert.equal(profile.body.email, 'jane.doe@example.com');
      assert.equal(profile.body.full_name, 'Jane Doe');
      assert.equal(profile.body.face_enrolled, false);
      assert.deepEqual(profile.body.enrollments, []);
      assert.equal(profile.body.authentication_count, 0);
      assert.equal(profile.body.last_authentication, null);

      const put = await call(run.url, 'PUT', '/api/auth/profile/', { token: second.access, json: { full_name: 'Jane Smith', phone_number: '+1987654321' } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.full_name, 'Jane Smith');
      assert.equal(put.body.phone_number, '+1987654321');
      assert.equal((await call(run.url, 'GET', '/api/auth/profile', { token: second.access })).body.full_name, 'Jane Smith');
      const bad = await call(run.url, 'PUT', '/api/auth/profile', { token: second.access, json: { email: 'x@example.com' } });
      assert.equal(bad.status, 422);

      // No password, hash or token in any log line.
      const log = logged.join('');
      for (const secret of [PASSWORD, stored!.passwordHash, first.refresh, second.refresh, first.access]) assert.ok(!log.includes(secret), 'a secret reached the log');
    });

    test('user and client tokens are not interchangeable, and register needs a client credential', async () => {
      const reg = await call(run.url, 'POST', '/api/auth/register', { json: { email: 'nobody@example.com', password: PASSWORD } });
      assert.equal(reg.status, 401);
      assert.equal((await call(run.url, 'GET', '/api/auth/profile', { token: a.token })).status, 401);
      await call(run.url, 'POST', '/api/auth/register', { token: a.token, json: { email: 'sam@example.com', password: PASSWORD } });
      const login = await call(run.url, 'POST', '/api/auth/token', { token: a.token, json: { email: 'sam@example.com', password: PASSWORD } });
      assert.equal((await call(run.url, 'GET', '/api/users', { token: String(login.body.access) })).status, 401);
      assert.equal((await call(run.url, 'GET', '/api/auth/profile')).status, 401);
      const short = await call(run.url, 'POST', '/api/auth/register', { token: a.token, json: { email: 'short@example.com', password: 'short' } });
      assert.equal(short.status, 422);
      const notEmail = await call(run.url, 'POST', '/api/auth/register', { token: a.token, json: { email: 'not an email', password: PASSWORD } });
      assert.equal(notEmail.status, 422);
    });

    test('POST /api/auth/token/ locks an email out after LOCKOUT_FAILURES wrong passwords, for that client only', async () => {
      for (const c of [a, b]) await call(run.url, 'POST', '/api/auth/register', { token: c.token, json: { email: 'lock@example.com', password: PASSWORD } });
      const failures = run.service.config.service.lockoutFailures;
      for (let i = 0; i < failures; i++) {
        const r = await call(run.url, 'POST', '/api/auth/token', { token: a.token, json: { email: 'lock@example.com', password: `wrong-${i}-password` } });
        assert.equal(r.status, 401);
      }
      const locked = await call(run.url, 'POST', '/api/auth/token', { token: a.token, json: { email: 'Lock@Example.com', password: PASSWORD } });
      assert.equal(locked.status, 429);
      assert.equal((locked.body.details as Record<string, unknown>).reason, 'locked_out');
      assert.equal((await call(run.url, 'POST', '/api/auth/token', { token: b.token, json: { email: 'lock@example.com', password: PASSWORD } })).status, 200);
    });

    test('face login: an authentication session that matches an account returns its tokens, and the verdict token verifies against the JWKS', async () => {
      const reg = await call(run.url, 'POST', '/api/auth/register', { token: a.token, json: { email: 'dana@example.com', password: PASSWORD, full_name: 'Dana' } });
      const userId = String(reg.body.user_id);
      const enrolled = await enroll(run, a.token, userId, DANA);
      assert.equal(enrolled.body.status, 'succeeded', JSON.stringify(enrolled.body));

      const s = await call(run.url, 'POST', '/api/auth/authentication/', { token: a.token, json: {} });
      assert.equal(s.status, 201);
      const r = await call(run.url, 'POST', '/api/auth/authentication/process-frame/', { json: { session_token: s.body.session_token, image: await colourImage(...DANA) } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'succeeded');
      const decision = r.body.decision as Record<string, unknown>;
      const tokens = decision.tokens as Record<string, unknown>;
      assert.equal(tokens.user_id, userId);
      // Status polling shows the same decision, tokens included.
      const polled = await call(run.url, 'GET', `/api/auth/session/${String(s.body.session_token)}/status/`);
      assert.deepEqual((polled.body.decision as Record<string, unknown>).tokens, tokens);
      const profile = await call(run.url, 'GET', '/api/auth/profile', { token: String(tokens.access) });
      assert.equal(profile.status, 200);
      ProfileResponse.parse(profile.body);
      assert.equal(profile.body.face_enrolled, true);
      assert.equal((profile.body.enrollments as unknown[]).length, 1);
      assert.equal(profile.body.authentication_count, 1);
      assert.equal(typeof profile.body.last_authentication, 'string');
      assert.equal((await call(run.url, 'POST', '/api/auth/token/refresh', { json: { refresh: tokens.refresh } })).status, 200);

      const jwksUrl = new URL('/.well-known/jwks.json', run.url);
      const jwks = await call(run.url, 'GET', '/.well-known/jwks.json');
      JwksResponse.parse(jwks.body);
      const keys = jwks.body.keys as Record<string, unknown>[];
      assert.equal(keys.length, 1);
      assert.equal(keys[0]!.alg, 'ES256');
      assert.equal(keys[0]!.d, undefined, 'no private part in the JWKS');
      const verdictToken = String(decision.verdict_token);
      assert.equal(decodeProtectedHeader(verdictToken).kid, keys[0]!.kid);
      const keySet = createRemoteJWKSet(jwksUrl);
      const { payload } = await jwtVerify(verdictToken, keySet, { issuer: 'facegate', audience: a.clientId, algorithms: ['ES256'] });
      assert.equal(payload.sid, r.body.session_id);
      assert.equal(payload.cid, a.clientId);
      assert.equal(payload.sub, userId);
      assert.equal(payload.outcome, 'succeeded');
      assert.equal((payload.liveness as Record<string, unknown>).passed, true);
      assert.ok(payload.exp! - payload.iat! <= 600, 'short expiry');
      await assert.rejects(jwtVerify(verdictToken, keySet, { issuer: 'facegate', audience: b.clientId }), 'another client is not the audience');
      for (let i = 0; i < verdictToken.length; i++) {
        await assert.rejects(jwtVerify(tamper(verdictToken, i), keySet, { issuer: 'facegate', audience: a.clientId, algorithms: ['ES256'] }), `byte ${i} changed`);
      }

      // A failed session carries a verdict token too, and no account tokens.
      const miss = await authenticate(run, a.token, [150, 220, 220]);
      const missDecision = miss.body.decision as Record<string, unknown>;
      assert.equal(miss.body.status, 'failed');
      assert.equal(missDecision.tokens, undefined);
      const v = await jwtVerify(String(missDecision.verdict_token), keySet, { audience: a.clientId });
      assert.equal(v.payload.outcome, 'failed');
      assert.equal(v.payload.reason, 'no_match');
    });
  });
}
