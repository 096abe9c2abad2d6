// VerdictSigner's key: generated once into the data dir and kept across
// restarts, or taken from config; only EC P-256 keys sign; tokens verify with
// the public JWK alone and name the key by its thumbprint.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { importJWK, jwtVerify } from 'jose';
import { VERDICT_KEY_FILE, VerdictSigner } from '../../../src/auth/VerdictSigner.ts';
import { loadConfig } from '../../../src/config.ts';
import { tempDir } from '../fixtures.ts';

const VERDICT = { outcome: 'succeeded', reason: null, externalUserId: 'u1', similarity: 0.8, scores: { passive: 0.9, spoof: 0.1, similarity: 0.8 }, timings: {} } as const;
const SUBJECT = { sessionId: 'ses_1', clientId: 'cl_1', kind: 'authentication', externalUserId: 'u1' } as const;

test('VerdictSigner.open() generates a key into the data dir once (mode 0600) and reuses it on the next start', async () => {
  const dir = tempDir();
  const first = await VerdictSigner.open({ pem: undefined, dataDir: dir });
  const second = await VerdictSigner.open({ pem: undefined, dataDir: dir });
  assert.equal(first.source, 'data_dir');
  assert.equal(second.kid, first.kid);
  assert.equal(fs.statSync(path.join(dir, VERDICT_KEY_FILE)).mode & 0o777, 0o600);
  const jwk = first.jwks().keys[0]!;
  assert.equal(jwk.d, undefined);
  const { payload, protectedHeader } = await jwtVerify(await second.sign(SUBJECT, VERDICT), await importJWK(jwk, 'ES256'), { audience: 'cl_1', issuer: 'facegate' });
  assert.equal(protectedHeader.kid, first.kid);
  assert.deepEqual(payload.liveness, { passed: true, scores: { passive: 0.9, spoof: 0.1 } });
});

test('VerdictSigner.open() takes a configured P-256 PEM and refuses other keys', async () => {
  const pem = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const s = await VerdictSigner.open({ pem, dataDir: tempDir() });
  assert.equal(s.source, 'config');
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(VerdictSigner.open({ pem: rsa, dataDir: tempDir() }), /P-256/);
  const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(VerdictSigner.open({ pem: p384, dataDir: tempDir() }), /P-256/);
  await assert.rejects(VerdictSigner.open({ pem: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----', dataDir: tempDir() }), /PKCS#8/);
  assert.throws(() => loadConfig({ VERDICT_SIGNING_KEY: 'not a pem' }), /VERDICT_SIGNING_KEY/);
});
