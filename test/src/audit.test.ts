// The audit chain's tamper evidence (issue 12 item 4, issue 13 item 10): a
// deleted row, a cut-off tail and a chain rewritten from some row on are all
// found and named, through the signed heads in audit_heads and the head file
// kept outside the database; pruning goes through a signed checkpoint; the
// exported bundle verifies offline with the public key alone. Real PGlite.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { AuditLog, chainHash, entryFromRow } from '../../src/audit/AuditLog.ts';
import { AuditSigner } from '../../src/audit/AuditSigner.ts';
import { exportBundle, verifyBundle } from '../../src/audit/auditBundle.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import { SqlStore } from '../../src/store/SqlStore.ts';
import { tempDir } from './fixtures.ts';

const opened: SqlStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function chain(rows: number): Promise<{ store: SqlStore; audit: AuditLog; signer: AuditSigner; headFile: string }> {
  const dir = tempDir();
  const store = await SqlStore.open(await PgliteSqlClient.open(path.join(dir, 'db')));
  opened.push(store);
  const signer = new AuditSigner(crypto.randomBytes(32));
  const headFile = path.join(dir, 'audit-head.json');
  const audit = new AuditLog(store.sql, { signer, headFile });
  for (let i = 1; i <= rows; i++) await audit.append('test.event', i % 2 ? 'cl_a' : null, { i });
  return { store, audit, signer, headFile };
}

/** What an attacker with database access (but not the signing key) does: recompute every hash from seq on. */
async function rewriteFrom(store: SqlStore, seq: number, withHeads: 'keep heads' | 'drop heads'): Promise<void> {
  const rows = (await store.sql.query('SELECT * FROM audit_log ORDER BY seq')).map(entryFromRow);
  let prev = rows.find((r) => r.seq === seq - 1)?.hash ?? '0'.repeat(64);
  for (const r of rows.filter((x) => x.seq >= seq)) {
    const base = { ...r, payload: r.seq === seq ? '{"i":"forged"}' : r.payload, prevHash: prev };
    const hash = chainHash(base);
    await store.sql.query('UPDATE audit_log SET payload = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [r.seq, base.payload, prev, hash]);
    prev = hash;
  }
  if (withHeads === 'drop heads') await store.sql.query('DELETE FROM audit_heads WHERE seq >= $1', [seq]);
}

describe('AuditLog.verify()', () => {
  test('verify() passes on an untouched signed chain and counts every row as signed', async () => {
    const { audit } = await chain(6);
    assert.deepEqual(await audit.verify(), { ok: true, rows: 6, signedRows: 6 });
  });

  test('verify() names a deleted middle row as a gap', async () => {
    const { store, audit } = await chain(6);
    await store.sql.query('DELETE FROM audit_log WHERE seq = 3');
    assert.deepEqual(await audit.verify(), { ok: false, rows: 2, firstBadSeq: 3, reason: 'gap' });
  });

  test('verify() detects a truncated tail from the signed heads table', async () => {
    const { store, audit } = await chain(8);
    await store.sql.query('DELETE FROM audit_log WHERE seq >= 6');
    assert.deepEqual(await audit.verify(), { ok: false, rows: 5, firstBadSeq: 6, reason: 'truncated' });
  });

  test('verify() detects a truncated tail from the head file when the heads were cut off too', async () => {
    const { store, audit } = await chain(8);
    await store.sql.query('DELETE FROM audit_log WHERE seq >= 6');
    await store.sql.query('DELETE FROM audit_heads WHERE seq >= 6');
    assert.deepEqual(await audit.verify(), { ok: false, rows: 5, firstBadSeq: 6, reason: 'truncated' });
  });

  test('verify() names the first row of a chain rewritten with valid hashes (head mismatch)', async () => {
    const { store, audit } = await chain(8);
    await rewriteFrom(store, 4, 'keep heads');
    assert.deepEqual(await audit.verify(), { ok: false, rows: 3, firstBadSeq: 4, reason: 'head_mismatch' });
  });

  test('verify() detects a rewritten chain whose heads were deleted, through the head file', async () => {
    const { store, audit } = await chain(8);
    await rewriteFrom(store, 4, 'drop heads');
    assert.deepEqual(await audit.verify(), { ok: false, rows: 8, firstBadSeq: 4, reason: 'head_mismatch' });
  });

  test('verify() refuses heads signed with another key', async () => {
    const { store, audit } = await chain(4);
    const other = new AuditSigner(crypto.randomBytes(32));
    const r = (await store.sql.query('SELECT * FROM audit_heads WHERE seq = 2'))[0]!;
    const forged = other.sign('head', { seq: 2, hash: String(r.hash), at: String(r.at) });
    await store.sql.query('UPDATE audit_heads SET signature = $1 WHERE seq = 2', [forged]);
    assert.deepEqual(await audit.verify(), { ok: false, rows: 1, firstBadSeq: 2, reason: 'signature_invalid' });
  });

  test('pruneThrough() leaves a signed checkpoint the remaining chain verifies from; a forged checkpoint fails', async () => {
    const { store, audit } = await chain(10);
    const cp = await audit.pruneThrough(6);
    assert.equal(cp?.rowsPruned, 6);
    await audit.append('after.prune', null, {});
    assert.deepEqual(await audit.verify(), { ok: true, rows: 5, signedRows: 5, checkpointSeq: 6 });
    await store.sql.query(`UPDATE audit_checkpoints SET hash = $1`, ['f'.repeat(64)]);
    assert.deepEqual(await audit.verify(), { ok: false, rows: 0, firstBadSeq: 6, reason: 'checkpoint_invalid' });
  });

  test('pruning every row keeps the chain going from the checkpoint', async () => {
    const { audit } = await chain(3);
    await audit.pruneThrough(3);
    const e = await audit.append('next', null, {});
    assert.equal(e.seq, 4);
    assert.deepEqual(await audit.verify(), { ok: true, rows: 1, signedRows: 1, checkpointSeq: 3 });
  });

  test('exportBundle() verifies offline with the public key; an edited, cut or foreign-key bundle does not', async () => {
    const { audit, signer } = await chain(5);
    await audit.pruneThrough(2);
    let text = '';
    for await (const l of exportBundle(audit)) text += l;
    assert.deepEqual(verifyBundle(text, signer.publicKeyPem), { ok: true, rows: 3, headSeq: 5, keyId: signer.keyId });
    const lines = text.trimEnd().split('\n');
    const edited = lines.map((l) => l.replace('{\\"i\\":4}', '{\\"i\\":40}')).join('\n');
    assert.equal(verifyBundle(edited, signer.publicKeyPem).ok, false);
    const cut = [...lines.slice(0, 3), lines[lines.length - 1]!].join('\n');
    assert.deepEqual(verifyBundle(cut, signer.publicKeyPem), { ok: false, rows: 2, firstBadSeq: 5, reason: 'truncated' });
    const other = new AuditSigner(crypto.randomBytes(32));
    assert.equal(verifyBundle(text, other.publicKeyPem).ok, false);
    assert.equal(verifyBundle('not json', signer.publicKeyPem).ok, false);
  });

  test('the head file holds the newest signed head', async () => {
    const { headFile } = await chain(3);
    assert.equal((JSON.parse(fs.readFileSync(headFile, 'utf8')) as { seq: number }).seq, 3);
  });
});
