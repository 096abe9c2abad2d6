// UserTokens: user access tokens verify only as user tokens (not a client
// token, not alg:none, not expired, not tampered); refresh tokens are random
// and only their hash is kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import jwt from 'jsonwebtoken';
import { TokenService } from '../../../src/auth/TokenService.ts';
import { refreshTokenHash, USER_JWT_AUDIENCE, UserTokens } from '../../../src/auth/UserTokens.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const reason = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return (e as { details?: { reason?: string } }).details?.reason;
  }
  return 'accepted';
};

test('UserTokens.verifyAccess() accepts its own tokens and refuses client, alg:none, expired and tampered ones', async () => {
  const tokens = new UserTokens(SECRET, { accessTtlS: 60, refreshTtlS: 600 });
  const ok = tokens.issueAccess('cl_1', 'usr_1');
  assert.deepEqual({ ...tokens.verifyAccess(ok), expiresAt: 0 }, { accountId: 'usr_1', clientId: 'cl_1', expiresAt: 0 });
  const client = new TokenService(SECRET, 60).issue('cl_1', 'abcdef012345');
  assert.equal(reason(() => tokens.verifyAccess(client)), 'token_invalid');
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${ok.split('.')[1]}.`;
  assert.equal(reason(() => tokens.verifyAccess(none)), 'token_invalid');
  // Signed with the service secret itself (not the derived user key): refused.
  const raw = jwt.sign({ typ: 'user', cid: 'cl_1' }, SECRET, { algorithm: 'HS256', subject: 'usr_1', issuer: 'facegate', audience: USER_JWT_AUDIENCE, expiresIn: 60 });
  assert.equal(reason(() => tokens.verifyAccess(raw)), 'token_invalid');
  const shortLived = new UserTokens(SECRET, { accessTtlS: 1, refreshTtlS: 600 });
  const soon = shortLived.issueAccess('cl_1', 'usr_1');
  await new Promise((r) => setTimeout(r, 2100));
  assert.equal(reason(() => shortLived.verifyAccess(soon)), 'token_expired');
  const [h, p, s] = ok.split('.') as [string, string, string];
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'usr_2' })).toString('base64url')}.${s}`;
  assert.equal(reason(() => tokens.verifyAccess(tampered)), 'token_invalid');
});

test('UserTokens.newRefresh() returns distinct random tokens and their SHA-256 hash', () => {
  const tokens = new UserTokens(SECRET, { accessTtlS: 60, refreshTtlS: 600 });
  const a = tokens.newRefresh();
  const b = tokens.newRefresh();
  assert.notEqual(a.token, b.token);
  assert.match(a.token, /^rt_[A-Za-z0-9_-]{43}$/);
  assert.equal(a.hash, refreshTokenHash(a.token));
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.throws(() => new UserTokens('short', { accessTtlS: 60, refreshTtlS: 600 }), TypeError);
});
