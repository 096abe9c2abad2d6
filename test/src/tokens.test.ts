import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { JWT_AUDIENCE, JWT_ISSUER, TokenService } from '../../src/auth/TokenService.ts';
import { hashApiKey, looksLikeApiKey, newApiKey } from '../../src/auth/apiKeys.ts';
import { FacegateError } from '../../common/errors.ts';
import { BACKENDS, call, dropSchema, isErrorShape, startService, type Running } from './fixtures.ts';

const SECRET = 'a'.repeat(40);
const reason = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FacegateError);
    assert.equal(e.code, 'unauthorized');
    return e.details?.reason;
  }
  assert.fail('expected unauthorized');
};
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const KID = 'abcdef012345';

describe('TokenService', () => {
  const svc = new TokenService(SECRET, 900);

  test('issue() then verify() returns the client id and key id', () => {
    const c = svc.verify(svc.issue('cl_1', KID));
    assert.equal(c.clientId, 'cl_1');
    assert.equal(c.keyId, KID);
    assert.ok(c.expiresAt > Date.now() / 1000);
  });

  test('verify() refuses a well-signed token without a kid claim or with a malformed one (fail closed)', () => {
    const sign = (claims: object) => jwt.sign({ typ: 'client', ...claims }, SECRET, { algorithm: 'HS256', subject: 'cl_1', issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
    assert.equal(svc.verify(sign({ kid: KID })).keyId, KID, 'the same claims with a kid pass');
    for (const kid of [undefined, '', 'k1', 'ABCDEFGHIJKL', `${KID}x`, 123456789012, null, ['abcdefghijkl']]) {
      assert.equal(reason(() => svc.verify(sign(kid === undefined ? {} : { kid }))), 'token_invalid', `kid ${JSON.stringify(kid)}`);
    }
  });

  test('issue() refuses a key id that is not an API key id', () => {
    assert.throws(() => svc.issue('cl_1', ''), TypeError);
    assert.throws(() => svc.issue('cl_1', 'cl_1:other'), TypeError);
  });

  test('verify() rejects an alg:none token', () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'cl_1', typ: 'client', iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 60 })}.`;
    assert.equal(reason(() => svc.verify(token)), 'token_invalid');
  });

  test('verify() rejects a token signed with another key', () => {
    const t = jwt.sign({ typ: 'client' }, 'b'.repeat(40), { algorithm: 'HS256', subject: 'cl_1', issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
    assert.equal(reason(() => svc.verify(t)), 'token_invalid');
  });

  test('verify() rejects an HS512 token made with the right secret (algorithm pinned)', () => {
    const t = jwt.sign({ typ: 'client' }, SECRET, { algorithm: 'HS512', subject: 'cl_1', issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
    assert.equal(reason(() => svc.verify(t)), 'token_invalid');
  });

  test('verify() rejects an expired token with reason token_expired', () => {
    const now = Math.floor(Date.now() / 1000);
    const t = jwt.sign({ typ: 'client', sub: 'cl_1', iat: now - 100, exp: now - 10 }, SECRET, { algorithm: 'HS256', issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
    assert.equal(reason(() => svc.verify(t)), 'token_expired');
  });

  test('verify() rejects a wrong audience and a wrong issuer', () => {
    const a = jwt.sign({ typ: 'client' }, SECRET, { algorithm: 'HS256', subject: 'cl_1', issuer: JWT_ISSUER, audience: 'someone-else', expiresIn: 60 });
    const i = jwt.sign({ typ: 'client' }, SECRET, { algorithm: 'HS256', subject: 'cl_1', issuer: 'evil', audience: JWT_AUDIENCE, expiresIn: 60 });
    assert.equal(reason(() => svc.verify(a)), 'token_invalid');
    assert.equal(reason(() => svc.verify(i)), 'token_invalid');
  });

  test('verify() rejects a token without exp or of another type', () => {
    const noExp = jwt.sign({ typ: 'client' }, SECRET, { algorithm: 'HS256', subject: 'cl_1', issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
    const other = jwt.sign({ typ: 'session' }, SECRET, { algorithm: 'HS256', subject: 'cl_1', issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
    assert.equal(reason(() => svc.verify(noExp)), 'token_invalid');
    assert.equal(reason(() => svc.verify(other)), 'token_invalid');
    assert.equal(reason(() => svc.verify('garbage')), 'token_invalid');
  });

  test('constructor refuses a short secret', () => {
    assert.throws(() => new TokenService('short', 60), TypeError);
  });
});

describe('apiKeys', () => {
  test('newApiKey() returns a well-formed key whose hash is stable and not the key', () => {
    const k = newApiKey();
    assert.ok(looksLikeApiKey(k.key));
    assert.equal(hashApiKey(k.key), k.hash);
    assert.ok(!k.hash.includes(k.key));
    assert.notEqual(newApiKey().key, k.key);
    assert.equal(looksLikeApiKey('fg_short_x'), false);
  });
});

for (const backend of BACKENDS) {
  describe(`access tokens against the store on ${backend.name}`, { skip: backend.skip }, () => {
    let run: Running;
    before(async () => {
      run = await startService(backend);
    });
    after(async () => {
      await run?.close();
      if (run) await dropSchema(run.schema);
    });
    const secret = 'test-secret-0123456789abcdef0123456789abcdef';
    const reasonOf = async (token: string): Promise<unknown> => {
      const r = await call(run.url, 'GET', '/api/users', { token });
      assert.equal(r.status, 401);
      assert.ok(isErrorShape(r.body));
      return (r.body.details as Record<string, unknown>).reason;
    };

    test('a revoked key\'s tokens are refused at once (api_key_revoked); the client\'s other key keeps working', async () => {
      const c = await run.service.tenants.createClient('revoker');
      const k2 = await run.service.tenants.addApiKey(c.clientId);
      const t1 = await run.service.tenants.exchangeApiKey(c.apiKey);
      const t2 = await run.service.tenants.exchangeApiKey(k2.apiKey);
      assert.equal((await call(run.url, 'GET', '/api/users', { token: t1.accessToken })).status, 200);
      assert.equal(await run.service.tenants.revokeApiKey(c.clientId, t1.keyId), true);
      assert.equal(await reasonOf(t1.accessToken), 'api_key_revoked');
      assert.equal((await call(run.url, 'GET', '/api/users', { token: t2.accessToken })).status, 200);
    });

    test('a token signed with the service secret but without a kid, or naming another client\'s key, is refused', async () => {
      const a = await run.service.tenants.createClient('a');
      const b = await run.service.tenants.createClient('b');
      const bKey = (await run.service.tenants.exchangeApiKey(b.apiKey)).keyId;
      const sign = (claims: object) => jwt.sign({ typ: 'client', ...claims }, secret, { algorithm: 'HS256', subject: a.clientId, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 });
      assert.equal(await reasonOf(sign({})), 'token_invalid');
      assert.equal(await reasonOf(sign({ kid: bKey })), 'api_key_unknown', 'b\'s key is not a key of a');
      const aKey = (await run.service.tenants.exchangeApiKey(a.apiKey)).keyId;
      assert.equal((await call(run.url, 'GET', '/api/users', { token: sign({ kid: aKey }) })).status, 200);
    });
  });
}
