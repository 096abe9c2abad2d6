// Webhook signing secrets at rest: sealed under the client's data key (AAD =
// client id + webhook id), opened only to sign a delivery, never returned
// after PUT /api/webhooks nor logged; tampered or moved ciphertext fails the
// delivery (logged as failed), deleting the client makes the secret
// unrecoverable, and a store written by the previous version (plaintext
// secrets) is encrypted at start without losing a webhook. Same suite on the
// embedded store and on PostgreSQL + Redis.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { hashApiKey, newApiKey } from '../../src/auth/apiKeys.ts';
import { KeyRing } from '../../src/crypto/KeyRing.ts';
import { FacegateError } from '../../common/errors.ts';
import { MIGRATIONS, migrate } from '../../src/store/migrations.ts';
import { PgSqlClient } from '../../src/store/PgSqlClient.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import type { SqlClient } from '../../src/store/SqlClient.ts';
import { toBuffer } from '../../src/store/SqlClient.ts';
import { verifySignature } from '../../src/webhooks/WebhookDispatcher.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.ts';
import { BACKENDS, call, dropSchema, enroll, newClient, runId, startService, tempDir, type Backend, type Running } from './fixtures.ts';

const MASTER_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

/** Every log line the service writes, at trace level. */
function capturedLog(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'trace' }, sink), text: () => lines.join('') };
}

async function rawClientRow(run: Running, clientId: string): Promise<Record<string, unknown> | undefined> {
  const rows = await run.service.store.sql.query(
    'SELECT webhook_url, webhook_secret, webhook_id, webhook_secret_ciphertext FROM clients WHERE id = $1',
    [clientId],
  );
  return rows[0];
}

async function deliveries(run: Running, token: string): Promise<Record<string, unknown>[]> {
  const r = await call(run.url, 'GET', '/api/webhooks/deliveries', { token });
  assert.equal(r.status, 200);
  return r.body.deliveries as Record<string, unknown>[];
}

/** Opens a SqlClient on the backend's database the way openStore() would. */
async function openSql(backend: Backend, dataDir: string, schema: string): Promise<SqlClient> {
  return backend.databaseUrl
    ? PgSqlClient.open({ url: backend.databaseUrl, schema })
    : PgliteSqlClient.open(path.join(dataDir, 'db'));
}

for (const backend of BACKENDS) {
  describe(`webhook secrets at rest on ${backend.name}`, { skip: backend.skip }, () => {
    let run: Running;
    let hook: WebhookReceiver;
    const logs = capturedLog();
    const secretsSeen: string[] = [];
    before(async () => {
      run = await startService(backend, { service: { log: logs.log } });
      hook = await webhookReceiver();
    });
    after(async () => {
      await hook?.close();
      await run?.close();
      if (run) await dropSchema(run.schema);
    });

    test('PUT /api/webhooks returns the secret once and stores only ciphertext; deliveries verify on a real receiver', async () => {
      const c = await newClient(run, 'W1');
      const put = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: hook.url } });
      assert.equal(put.status, 200);
      const secret = String(put.body.secret);
      secretsSeen.push(secret);
      assert.match(secret, /^whsec_/);

      const row = await rawClientRow(run, c.clientId);
      assert.ok(row);
      assert.equal(row.webhook_secret, null, 'no plaintext column value');
      const ct = toBuffer(row.webhook_secret_ciphertext);
      assert.ok(!ct.includes(Buffer.from(secret)), 'ciphertext does not contain the secret');
      assert.ok(!ct.toString('latin1').includes(secret.slice(6, 20)), 'not even part of it');
      assert.match(String(row.webhook_id), /^wh_[0-9a-f]{24}$/);

      hook.got.length = 0;
      assert.equal((await enroll(run, c.token, 'walt', [131, 41, 59])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      assert.equal(hook.got.length, 1);
      const got = hook.got[0]!;
      assert.equal(got.event, 'session.succeeded');
      assert.ok(verifySignature(secret, got.sig, got.body));
      assert.equal(verifySignature(`${secret}x`, got.sig, got.body), false);

      // The delivery log and every other answer about the webhook leave the secret out.
      const log = await call(run.url, 'GET', '/api/webhooks/deliveries', { token: c.token });
      assert.equal((log.body.deliveries as Record<string, unknown>[])[0]?.status, 'delivered');
      assert.ok(!JSON.stringify(log.body).includes(secret));
      assert.ok(!JSON.stringify(await run.service.store.getClient(c.clientId)).includes(secret));

      // Reconfiguring rotates the secret and the webhook id; the old secret no longer signs.
      const again = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: hook.url } });
      const secret2 = String(again.body.secret);
      secretsSeen.push(secret2);
      assert.notEqual(secret2, secret);
      assert.notEqual(String((await rawClientRow(run, c.clientId))?.webhook_id), String(row.webhook_id));
      hook.got.length = 0;
      assert.equal((await enroll(run, c.token, 'wanda', [132, 42, 60])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      assert.ok(verifySignature(secret2, hook.got[0]!.sig, hook.got[0]!.body));
      assert.equal(verifySignature(secret, hook.got[0]!.sig, hook.got[0]!.body), false);

      // Clearing the webhook clears the ciphertext too.
      const off = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: null } });
      assert.deepEqual(off.body, { url: null, secret: null });
      const cleared = await rawClientRow(run, c.clientId);
      assert.equal(cleared?.webhook_secret_ciphertext, null);
      assert.equal(cleared?.webhook_id, null);
    });

    test('a tampered secret ciphertext fails the delivery with a typed reason, logged as failed; nothing is sent', async () => {
      const c = await newClient(run, 'W2');
      const put = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: hook.url } });
      secretsSeen.push(String(put.body.secret));
      const ct = toBuffer((await rawClientRow(run, c.clientId))?.webhook_secret_ciphertext);
      const bad = Buffer.from(ct);
      bad[bad.length - 3]! ^= 0x01;
      await run.service.store.sql.query('UPDATE clients SET webhook_secret_ciphertext = $2 WHERE id = $1', [c.clientId, bad]);
      // The key ring says why: a typed error, not a crash.
      const row = await rawClientRow(run, c.clientId);
      assert.throws(
        () => run.service.keys.decryptWebhookSecret(c.clientId, String(row?.webhook_id), toBuffer(row?.webhook_secret_ciphertext)),
        (e: unknown) => e instanceof FacegateError && e.code === 'internal_error' && e.details?.reason === 'ciphertext_tampered',
      );

      hook.got.length = 0;
      assert.equal((await enroll(run, c.token, 'tim', [133, 43, 61])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      assert.equal(hook.got.length, 0, 'nothing sent without a verifiable secret');
      const d = (await deliveries(run, c.token))[0]!;
      assert.equal(d.status, 'failed');
      assert.equal(d.attempts, 0);
      assert.match(String(d.last_error), /ciphertext_tampered/);
      assert.equal((await call(run.url, 'GET', '/health')).status, 200, 'the service keeps serving');
    });

    test('a secret row copied to another client fails to open there (AAD binds client and webhook id)', async () => {
      const a = await newClient(run, 'W3a');
      const b = await newClient(run, 'W3b');
      secretsSeen.push(String((await call(run.url, 'PUT', '/api/webhooks', { token: a.token, json: { url: hook.url } })).body.secret));
      secretsSeen.push(String((await call(run.url, 'PUT', '/api/webhooks', { token: b.token, json: { url: hook.url } })).body.secret));
      const ra = await rawClientRow(run, a.clientId);
      const rb = await rawClientRow(run, b.clientId);
      // A's ciphertext under B's client id (with A's webhook id), and under B's webhook id.
      await run.service.store.sql.query('UPDATE clients SET webhook_id = $2, webhook_secret_ciphertext = $3 WHERE id = $1', [
        b.clientId,
        String(ra?.webhook_id),
        toBuffer(ra?.webhook_secret_ciphertext),
      ]);
      hook.got.length = 0;
      assert.equal((await enroll(run, b.token, 'ben', [134, 44, 62])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      assert.equal(hook.got.length, 0);
      assert.match(String((await deliveries(run, b.token))[0]?.last_error), /ciphertext_tampered/);

      await run.service.store.sql.query('UPDATE clients SET webhook_id = $2, webhook_secret_ciphertext = $3 WHERE id = $1', [
        a.clientId,
        String(rb?.webhook_id),
        toBuffer(ra?.webhook_secret_ciphertext),
      ]);
      assert.equal((await enroll(run, a.token, 'ann', [135, 45, 63])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      assert.equal(hook.got.length, 0);
      assert.equal((await deliveries(run, a.token))[0]?.status, 'failed');
    });

    test('deleting the client makes the webhook secret unrecoverable', async () => {
      const c = await newClient(run, 'W4');
      const secret = String((await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: hook.url } })).body.secret);
      secretsSeen.push(secret);
      // A copy of the row, as a backup would hold it.
      const row = await rawClientRow(run, c.clientId);
      const webhookId = String(row?.webhook_id);
      const ct = toBuffer(row?.webhook_secret_ciphertext);
      assert.equal(run.service.keys.decryptWebhookSecret(c.clientId, webhookId, ct), secret, 'readable while the client exists');

      assert.equal(await run.service.deleteClient(c.clientId), true);
      assert.equal(run.service.keys.has(c.clientId), false);
      assert.throws(() => run.service.keys.decryptWebhookSecret(c.clientId, webhookId, ct), (e: unknown) => e instanceof FacegateError && e.details?.reason === 'key_not_loaded');
      // The wrapped data key went with the row: nothing in the store can unwrap it again.
      assert.deepEqual(await run.service.store.sql.query('SELECT id FROM clients WHERE id = $1', [c.clientId]), []);
      assert.equal(await run.service.store.getClient(c.clientId), null);
      // Even the same master key, on a fresh key ring, has no data key to load for this client.
      const fresh = KeyRing.fromHex(MASTER_KEY);
      assert.throws(() => fresh.decryptWebhookSecret(c.clientId, webhookId, ct), FacegateError);
      assert.deepEqual(await run.service.store.sql.query('SELECT id FROM webhook_deliveries WHERE client_id = $1', [c.clientId]), []);
    });

    test('no log line carries a webhook secret (trace level)', async () => {
      await run.service.webhooks.idle();
      assert.ok(secretsSeen.length >= 5);
      const text = logs.text();
      assert.ok(text.length > 0, 'the service did log');
      for (const s of secretsSeen) {
        assert.ok(!text.includes(s), 'a secret reached the log');
        assert.ok(!text.includes(s.slice(6)), 'a secret body reached the log');
      }
    });
  });

  describe(`upgrade from plaintext webhook secrets on ${backend.name}`, { skip: backend.skip }, () => {
    test('start() encrypts secrets stored in plain text by the previous version and clears the column; the webhook keeps working', async (t) => {
      const hook = await webhookReceiver();
      t.after(() => hook.close());
      const dataDir = tempDir();
      const schema = runId();
      t.after(() => dropSchema(schema));

      // The previous version's store: migration 1 only, the secret in clients.webhook_secret,
      // and a delivery it left pending.
      const clientId = `cl_${crypto.randomBytes(12).toString('hex')}`;
      const key = newApiKey();
      const secret = `whsec_${crypto.randomBytes(24).toString('base64url')}`;
      const deliveryId = `whd_${crypto.randomBytes(12).toString('hex')}`;
      const pendingBody = JSON.stringify({ id: deliveryId, event: 'session.failed', created_at: new Date().toISOString(), data: { session_id: 'ses_old' } });
      const old = await openSql(backend, dataDir, schema);
      try {
        assert.deepEqual(await migrate(old, MIGRATIONS.filter((m) => m.version === 1)), [1]);
        const wrapped = KeyRing.fromHex(MASTER_KEY).newClientKey(clientId);
        await old.query('INSERT INTO clients(id, name, wrapped_key) VALUES ($1, $2, $3)', [clientId, 'Legacy', wrapped]);
        await old.query('INSERT INTO api_keys(id, client_id, key_hash) VALUES ($1, $2, $3)', [key.id, clientId, hashApiKey(key.key)]);
        await old.query('UPDATE clients SET webhook_url = $2, webhook_secret = $3 WHERE id = $1', [clientId, hook.url, secret]);
        await old.query(`INSERT INTO webhook_deliveries(id, client_id, event, url, body, status) VALUES ($1, $2, 'session.failed', $3, $4, 'pending')`, [
          deliveryId,
          clientId,
          hook.url,
          pendingBody,
        ]);
      } finally {
        await old.close();
      }

      const logs = capturedLog();
      const run = await startService(backend, { dataDir, schema, service: { log: logs.log } });
      t.after(() => run.close());
      const row = await rawClientRow(run, clientId);
      assert.ok(row, 'the client survived the upgrade');
      assert.equal(row.webhook_url, hook.url, 'the webhook survived the upgrade');
      assert.equal(row.webhook_secret, null, 'plaintext column cleared');
      const ct = toBuffer(row.webhook_secret_ciphertext);
      assert.ok(!ct.includes(Buffer.from(secret)));
      assert.equal(run.service.keys.decryptWebhookSecret(clientId, String(row.webhook_id), ct), secret);
      assert.equal(await run.service.webhooks.encryptPlaintextSecrets().then((r) => r.encrypted), 0, 'idempotent');

      // The delivery the old version left pending goes out, signed with the same secret.
      await run.service.webhooks.idle();
      const resumed = hook.got.find((g) => g.body === pendingBody);
      assert.ok(resumed, 'pending delivery resumed');
      assert.ok(verifySignature(secret, resumed.sig, resumed.body));

      // New events keep using the secret the receiver already has.
      const token = String((await call(run.url, 'POST', '/api/auth/client', { json: { api_key: key.key } })).body.access_token);
      assert.equal((await enroll(run, token, 'legacy-user', [136, 46, 64])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      const fresh = hook.got.find((g) => g.event === 'session.succeeded');
      assert.ok(fresh);
      assert.ok(verifySignature(secret, fresh.sig, fresh.body));
      assert.ok(!logs.text().includes(secret), 'the migration does not log the secret');
    });
  });
}
