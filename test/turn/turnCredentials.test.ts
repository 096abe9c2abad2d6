import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iceServersFor, mintTurnCredentials, verifyTurnCredentials } from '../../turn/turnCredentials.ts';

const SECRET = '0123456789abcdef-secret';

test('mintTurnCredentials() builds "<expiry>:<sessionId>" and base64(HMAC-SHA1) like coturn expects', () => {
  const c = mintTurnCredentials(SECRET, 'sess-1', 600, 1_700_000_000_000);
  assert.equal(c.username, '1700000600:sess-1');
  // Reference value computed independently (Python hmac/hashlib/base64).
  assert.equal(c.credential, 'wpRsD6BoJKVb99RtTjkhIPOqk2g=');
  assert.equal(c.expiresAt, 1_700_000_600);
});

test('verifyTurnCredentials() accepts fresh credentials and rejects expired or forged ones', () => {
  const now = 1_700_000_000_000;
  const c = mintTurnCredentials(SECRET, 's', 60, now);
  assert.equal(verifyTurnCredentials(SECRET, c.username, c.credential, now), true);
  assert.equal(verifyTurnCredentials(SECRET, c.username, c.credential, now + 61_000), false);
  assert.equal(verifyTurnCredentials('another-secret-of-16', c.username, c.credential, now), false);
  assert.equal(verifyTurnCredentials(SECRET, `${c.expiresAt}:other`, c.credential, now), false);
});

test('mintTurnCredentials() rejects a short secret or a sessionId with ":" with a TypeError', () => {
  assert.throws(() => mintTurnCredentials('short', 's', 60), TypeError);
  assert.throws(() => mintTurnCredentials(SECRET, 'a:b', 60), TypeError);
  assert.throws(() => mintTurnCredentials(SECRET, 's', 0), TypeError);
});

test('iceServersFor() hands out STUN as is and TURN with per-session credentials, TURN only with a secret', () => {
  const servers = iceServersFor(
    { stunUrls: ['stun:stun.example:3478'], turnUrls: ['turn:turn.example:3478'], turnSecret: SECRET, turnTtlS: 600 },
    'sess-9',
    1_700_000_000_000,
  );
  assert.deepEqual(servers[0], { urls: ['stun:stun.example:3478'] });
  assert.equal(servers[1]?.username, '1700000600:sess-9');
  assert.equal(servers[1]?.credential, mintTurnCredentials(SECRET, 'sess-9', 600, 1_700_000_000_000).credential);
  assert.deepEqual(iceServersFor({ stunUrls: [], turnUrls: ['turn:x'], turnSecret: undefined, turnTtlS: 600 }, 's'), []);
});
