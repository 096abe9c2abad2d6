import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { KeyRing } from '../../src/crypto/KeyRing.ts';
import { FacegateError } from '../../common/errors.ts';

const master = () => crypto.randomBytes(32);
const vec = () => Float32Array.from({ length: 512 }, (_, i) => Math.sin(i));

describe('KeyRing', () => {
  test('encryptTemplate() then decryptTemplate() round-trips the embedding exactly', () => {
    const k = new KeyRing(master());
    k.newClientKey('cl_a');
    const v = vec();
    const blob = k.encryptTemplate('cl_a', 'tpl_1', v);
    assert.ok(!blob.includes(Buffer.from(v.buffer).subarray(0, 64)), 'ciphertext must not contain plaintext');
    assert.deepEqual(k.decryptTemplate('cl_a', 'tpl_1', blob), v);
  });

  test('decryptTemplate() rejects a blob with one flipped bit (tamper detection)', () => {
    const k = new KeyRing(master());
    k.newClientKey('cl_a');
    const blob = k.encryptTemplate('cl_a', 'tpl_1', vec());
    for (const at of [1, 20, blob.length - 1]) {
      const bad = Buffer.from(blob);
      bad[at]! ^= 0x01;
      assert.throws(() => k.decryptTemplate('cl_a', 'tpl_1', bad), (e: unknown) => e instanceof FacegateError && e.details?.reason === 'ciphertext_tampered');
    }
  });

  test('decryptTemplate() rejects a blob moved to another template id or client', () => {
    const k = new KeyRing(master());
    k.newClientKey('cl_a');
    const wrappedB = k.newClientKey('cl_b');
    assert.ok(wrappedB.length > 32);
    const blob = k.encryptTemplate('cl_a', 'tpl_1', vec());
    assert.throws(() => k.decryptTemplate('cl_a', 'tpl_2', blob), FacegateError);
    assert.throws(() => k.decryptTemplate('cl_b', 'tpl_1', blob), FacegateError);
  });

  test('load() unwraps a stored key under the same master key and refuses another master key or client', () => {
    const m = master();
    const a = new KeyRing(m);
    const wrapped = a.newClientKey('cl_a');
    const blob = a.encryptTemplate('cl_a', 't', vec());
    const b = new KeyRing(m);
    b.load('cl_a', wrapped);
    assert.deepEqual(b.decryptTemplate('cl_a', 't', blob), vec());
    assert.throws(() => new KeyRing(master()).load('cl_a', wrapped), FacegateError);
    assert.throws(() => new KeyRing(m).load('cl_other', wrapped), FacegateError);
  });

  test('forget() destroys the cached key so templates can no longer be decrypted', () => {
    const k = new KeyRing(master());
    k.newClientKey('cl_a');
    const blob = k.encryptTemplate('cl_a', 't', vec());
    k.forget('cl_a');
    assert.equal(k.has('cl_a'), false);
    assert.throws(() => k.decryptTemplate('cl_a', 't', blob), (e: unknown) => e instanceof FacegateError && e.details?.reason === 'key_not_loaded');
  });

  test('encryptWebhookSecret() seals the secret; decryptWebhookSecret() opens it only for the same client and webhook', () => {
    const k = new KeyRing(master());
    k.newClientKey('cl_a');
    k.newClientKey('cl_b');
    const secret = 'whsec_0123456789abcdefghijklmnopqrstuv';
    const blob = k.encryptWebhookSecret('cl_a', 'wh_1', secret);
    assert.ok(!blob.includes(Buffer.from(secret)), 'ciphertext must not contain the secret');
    assert.notDeepEqual(k.encryptWebhookSecret('cl_a', 'wh_1', secret), blob, 'fresh IV per seal');
    assert.equal(k.decryptWebhookSecret('cl_a', 'wh_1', blob), secret);
    const tampered = (e: unknown) => e instanceof FacegateError && e.details?.reason === 'ciphertext_tampered';
    assert.throws(() => k.decryptWebhookSecret('cl_a', 'wh_2', blob), tampered, 'moved to another webhook');
    assert.throws(() => k.decryptWebhookSecret('cl_b', 'wh_1', blob), tampered, 'moved to another client');
    // A template blob is not a webhook secret, even with matching ids.
    const tpl = k.encryptTemplate('cl_a', 'wh_1', vec());
    assert.throws(() => k.decryptWebhookSecret('cl_a', 'wh_1', tpl), tampered, 'domain separation');
    const bad = Buffer.from(blob);
    bad[bad.length - 1]! ^= 0x80;
    assert.throws(() => k.decryptWebhookSecret('cl_a', 'wh_1', bad), tampered, 'flipped bit');
    assert.throws(() => k.decryptWebhookSecret('cl_a', 'wh_1', blob.subarray(0, 10)), (e: unknown) => e instanceof FacegateError && e.details?.reason === 'ciphertext_malformed');
    k.forget('cl_a');
    assert.throws(() => k.decryptWebhookSecret('cl_a', 'wh_1', blob), (e: unknown) => e instanceof FacegateError && e.details?.reason === 'key_not_loaded');
  });

  test('KeyRing.fromHex() rejects a master key that is not 64 hex characters', () => {
    assert.throws(() => KeyRing.fromHex('abcd'), TypeError);
    assert.throws(() => new KeyRing(Buffer.alloc(16)), TypeError);
  });
});
