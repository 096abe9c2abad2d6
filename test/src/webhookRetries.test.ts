// Regression (issue 13, defect 5): after a webhook URL change, pending retries
// kept going to the old URL, signed with the new secret. Every attempt now
// reads the webhook's current URL and secret when it is made; removing the
// webhook fails what was pending.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifySignature } from '../../src/webhooks/WebhookDispatcher.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.ts';
import { BACKENDS, call, dropSchema, enroll, newClient, runId, startService, type Running } from './fixtures.ts';

/** Waits (bounded) until the receiver got n requests. */
async function until(h: WebhookReceiver, n: number): Promise<void> {
  for (let i = 0; i < 200 && h.got.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(h.got.length >= n, `receiver got ${h.got.length} of ${n}`);
}

for (const backend of BACKENDS) {
  describe(`webhook retries after a change on ${backend.name}`, { skip: backend.skip }, () => {
    let run: Running;
    const hooks: WebhookReceiver[] = [];
    before(async () => {
      const schema = runId();
      run = await startService(backend, {
        schema,
        env: { WEBHOOK_MAX_ATTEMPTS: '5' },
        service: { testing: { dbSchema: schema, redisPrefix: `${schema}:`, webhookBaseDelayMs: 400 } },
      });
    });
    after(async () => {
      for (const h of hooks) await h.close();
      await run?.close();
      if (run) await dropSchema(run.schema);
    });

    test('a pending retry goes to the new URL, signed with the new secret; the old URL gets nothing more', async () => {
      const old = await webhookReceiver({ status: 503 });
      const fresh = await webhookReceiver();
      hooks.push(old, fresh);
      const c = await newClient(run, 'R1');
      const first = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: old.url } });
      assert.equal((await enroll(run, c.token, 'rob', [151, 61, 81])).body.status, 'succeeded');
      await until(old, 1);
      const put = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: fresh.url } });
      const secret = String(put.body.secret);
      await run.service.webhooks.idle();
      assert.equal(old.got.length, 1, 'no retry went to the old URL');
      assert.equal(fresh.got.length, 1);
      assert.ok(verifySignature(secret, fresh.got[0]!.sig, fresh.got[0]!.body));
      assert.equal(verifySignature(String(first.body.secret), fresh.got[0]!.sig, fresh.got[0]!.body), false);
      const log = await call(run.url, 'GET', '/api/webhooks/deliveries', { token: c.token });
      const d = (log.body.deliveries as Record<string, unknown>[])[0]!;
      assert.equal(d.status, 'delivered');
      assert.equal((await run.service.webhooks.listDeliveries(c.clientId, 1))[0]?.url, fresh.url, 'the log says where it went');
      assert.equal(d.attempts, 2);
    });

    test('removing the webhook fails its pending retries', async () => {
      const old = await webhookReceiver({ status: 503 });
      hooks.push(old);
      const c = await newClient(run, 'R2');
      await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: old.url } });
      assert.equal((await enroll(run, c.token, 'rae', [152, 62, 82])).body.status, 'succeeded');
      await until(old, 1);
      assert.equal((await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: null } })).status, 200);
      await run.service.webhooks.idle();
      assert.equal(old.got.length, 1);
      const log = await call(run.url, 'GET', '/api/webhooks/deliveries', { token: c.token });
      assert.equal((log.body.deliveries as Record<string, unknown>[])[0]!.status, 'failed');
    });
  });
}
