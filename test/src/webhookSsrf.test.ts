// Regression (issue 13, defect 2): webhook URLs could point at loopback and
// private addresses, and the delivery log told `fetch failed` from `HTTP 404`,
// which made the node an internal port scanner for any tenant. Now IP
// literals in refused ranges fail PUT /api/webhooks, names are resolved and
// checked by the connection's own lookup at delivery time, redirects are not
// followed, and every failed send reads the same in the tenant's log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DELIVERY_FAILED } from '../../src/webhooks/WebhookDispatcher.ts';
import { checkWebhookUrl, isForbiddenAddress } from '../../src/webhooks/webhookTarget.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.ts';
import { BACKENDS, call, enroll, isErrorShape, newClient, startService, type Running } from './fixtures.ts';

async function lastDelivery(run: Running, token: string): Promise<Record<string, unknown>> {
  const r = await call(run.url, 'GET', '/api/webhooks/deliveries', { token });
  assert.equal(r.status, 200);
  const d = (r.body.deliveries as Record<string, unknown>[])[0];
  assert.ok(d, 'a delivery was logged');
  return d;
}

test('isForbiddenAddress() refuses loopback, private, link-local, multicast and IPv4-mapped forms, and allows public ones', () => {
  for (const ip of [
    '127.0.0.1', '127.255.0.9', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254',
    '100.64.0.1', '224.0.0.1', '239.255.255.250', '255.255.255.255', '::', '::1', 'fe80::1', 'fc00::1', 'fd12::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '::127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::1',
    'not-an-ip',
  ]) {
    assert.equal(isForbiddenAddress(ip), true, ip);
  }
  for (const ip of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:93.184.215.14']) {
    assert.equal(isForbiddenAddress(ip), false, ip);
  }
});

test('checkWebhookUrl() sees through decimal, octal, hex and short IPv4 forms and IPv6 literals', () => {
  for (const url of [
    'http://127.0.0.1/x', 'http://2130706433/x', 'http://0x7f.1/x', 'http://0177.0.0.1/x', 'http://127.1/x', 'http://0/x',
    'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://[::ffff:7f00:1]:8080/x', 'http://[fe80::1]/x', 'http://169.254.169.254/latest',
    'https://10.0.0.1/x', 'http://0xa9.0xfe.0xa9.0xfe/x', 'http://3232235521/x', 'http://[ff02::1]/x', 'http://224.0.0.251/x',
  ]) {
    assert.throws(() => checkWebhookUrl(url, false), (e: unknown) => (e as { code?: string }).code === 'validation_error', url);
    assert.doesNotThrow(() => checkWebhookUrl(url, true), url);
  }
  assert.equal(checkWebhookUrl('https://hooks.example.com/facegate', false).hostname, 'hooks.example.com');
});

const backend = BACKENDS[0]!;

describe('webhook SSRF with the default setting (private addresses refused)', () => {
  let run: Running;
  let hook: WebhookReceiver;
  before(async () => {
    run = await startService(backend, { env: { WEBHOOK_ALLOW_PRIVATE: '0', WEBHOOK_MAX_ATTEMPTS: '2' } });
    hook = await webhookReceiver();
  });
  after(async () => {
    await hook?.close();
    await run?.close();
  });

  test('PUT /api/webhooks refuses a loopback or private IP literal with a typed 422', async () => {
    const c = await newClient(run, 'S1');
    for (const url of [hook.url, `http://2130706433:${hook.port}/`, `http://[::ffff:127.0.0.1]:${hook.port}/`, 'http://169.254.169.254/', 'http://[fd00::1]/']) {
      const r = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url } });
      assert.equal(r.status, 422, url);
      assert.equal(r.body.error, 'validation_error');
      assert.ok(isErrorShape(r.body));
    }
    assert.equal((await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: 'https://hooks.example.com/x' } })).status, 200);
  });

  test('a DNS name that resolves to loopback is refused at delivery: nothing reaches the receiver', async () => {
    const c = await newClient(run, 'S2');
    const put = await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: `http://localhost:${hook.port}/hook` } });
    assert.equal(put.status, 200, 'a name is accepted when configured; its address is checked when it is resolved');
    assert.equal((await enroll(run, c.token, 'sam', [141, 51, 71])).body.status, 'succeeded');
    await run.service.webhooks.idle();
    assert.equal(hook.got.length, 0, 'the loopback receiver got nothing');
    const d = await lastDelivery(run, c.token);
    assert.equal(d.status, 'failed');
    assert.equal(d.last_error, DELIVERY_FAILED);
    assert.equal(d.last_status, null);
  });
});

describe('webhook delivery log with private addresses allowed (the suite\'s loopback receivers)', () => {
  let run: Running;
  const hooks: WebhookReceiver[] = [];
  before(async () => {
    run = await startService(backend, { env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_MAX_ATTEMPTS: '2' } });
  });
  after(async () => {
    for (const h of hooks) await h.close();
    await run?.close();
  });

  test('an HTTP 404 and a refused connection read the same in the tenant\'s delivery log', async () => {
    const notFound = await webhookReceiver({ status: 404 });
    hooks.push(notFound);
    const dead = await webhookReceiver();
    await dead.close();
    const seen: Record<string, unknown>[] = [];
    for (const [i, url] of [notFound.url, dead.url].entries()) {
      const c = await newClient(run, `S3-${i}`);
      assert.equal((await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url } })).status, 200);
      assert.equal((await enroll(run, c.token, `u${i}`, [142, 52 + i, 72])).body.status, 'succeeded');
      await run.service.webhooks.idle();
      const d = await lastDelivery(run, c.token);
      seen.push({ status: d.status, attempts: d.attempts, last_status: d.last_status, last_error: d.last_error });
    }
    assert.ok(notFound.got.length > 0, 'the 404 receiver was reached');
    assert.deepEqual(seen[0], { status: 'failed', attempts: 2, last_status: null, last_error: DELIVERY_FAILED });
    assert.deepEqual(seen[1], seen[0], 'a port scan learns nothing from the delivery log');
  });

  test('a redirect is not followed', async () => {
    const target = await webhookReceiver();
    const redirector = await webhookReceiver({ status: 307, location: target.url });
    hooks.push(target, redirector);
    const c = await newClient(run, 'S4');
    assert.equal((await call(run.url, 'PUT', '/api/webhooks', { token: c.token, json: { url: redirector.url } })).status, 200);
    assert.equal((await enroll(run, c.token, 'rita', [143, 53, 73])).body.status, 'succeeded');
    await run.service.webhooks.idle();
    assert.ok(redirector.got.length > 0);
    assert.equal(target.got.length, 0, 'the redirect target got nothing');
    assert.equal((await lastDelivery(run, c.token)).status, 'failed');
  });
});
