import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { JWT_AUDIENCE, JWT_ISSUER, TokenService } from '../../src/auth/TokenService.ts';
import { hashApiKey, looksLikeApiKey, newApiKey } from '../../src/auth/apiKeys.ts';
import { FacegateError } from '../../src/errors.ts';

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

describe('TokenService', () => {
  const svc = new TokenService(SECRET, 900);

  test('issue() then verify() returns the client id and key id', () => {
    const c = svc.verify(svc.issue('cl_1', 'k1'));
    assert.equal(c.clientId, 'cl_1');
    assert.equal(c.keyId, 'k1');
    assert.ok(c.expiresAt > Date.now() / 1000);
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
