import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HmacSessionAuthorizer, mintSessionToken } from '../../signaling/HmacSessionAuthorizer.ts';

const SECRET = 'x'.repeat(40);

test('HmacSessionAuthorizer.authorize() returns the session of a token minted with the same secret', async () => {
  const { token, sessionId } = mintSessionToken(SECRET, { clientId: 'kiosk-7' });
  assert.deepEqual(await new HmacSessionAuthorizer(SECRET).authorize(token), { sessionId, clientId: 'kiosk-7' });
});

test('HmacSessionAuthorizer.authorize() rejects expired, tampered, foreign and malformed tokens with null', async () => {
  const now = 1_700_000_000_000;
  const auth = new HmacSessionAuthorizer(SECRET, () => now);
  const { token } = mintSessionToken(SECRET, { sessionId: 's1', ttlS: 60, nowMs: now - 61_000 });
  assert.equal(await auth.authorize(token), null);
  const fresh = mintSessionToken(SECRET, { sessionId: 's1', ttlS: 60, nowMs: now }).token;
  assert.deepEqual(await auth.authorize(fresh), { sessionId: 's1' });
  const [payload, mac] = fresh.split('.');
  const forged = Buffer.from(JSON.stringify({ sid: 'admin', exp: 9_999_999_999 })).toString('base64url');
  assert.equal(await auth.authorize(`${forged}.${mac}`), null);
  assert.equal(await auth.authorize(`${payload}.${mac}x`), null);
  assert.equal(await auth.authorize(mintSessionToken('y'.repeat(40), { nowMs: now }).token), null);
  for (const bad of ['', '.', 'abc', 'a.b.c', `${payload}`]) assert.equal(await auth.authorize(bad), null);
});

test('mintSessionToken() and new HmacSessionAuthorizer() reject a short secret with a TypeError', () => {
  assert.throws(() => mintSessionToken('short'), TypeError);
  assert.throws(() => new HmacSessionAuthorizer('short'), TypeError);
});
