// Regression (issue 13, defect 6): bad percent-encoding in a path parameter
// (no auth needed), NUL bytes in path ids or in the webhook URL, and a body
// that does not inflate answered 500. Each is a typed 4xx in the error shape.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { onClientError } from '../../src/api/httpErrors.ts';
import { BACKENDS, call, isErrorShape, newClient, startService, type Running } from './fixtures.ts';

/** A raw request (fetch would re-encode the path or refuse the body). */
function raw(base: string, method: string, p: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('malformed input answers a typed 4xx', () => {
  let run: Running;
  let token: string;
  before(async () => {
    run = await startService(BACKENDS[0]!);
    token = (await newClient(run, 'M1')).token;
  });
  after(async () => run?.close());

  test('bad percent-encoding in a path parameter is a 400 invalid_request, without auth', async () => {
    for (const p of ['/api/auth/session/%ZZ/status', '/api/auth/session/%E0%A4%A/status', '/api/users/%']) {
      const r = await raw(run.url, 'GET', p, { authorization: `Bearer ${token}` });
      assert.equal(r.status, 400, p);
      assert.equal(r.body.error, 'invalid_request', p);
      assert.ok(isErrorShape(r.body), p);
    }
    const del = await raw(run.url, 'DELETE', '/api/auth/session/%ZZ', {});
    assert.equal(del.status, 400);
  });

  test('a NUL byte in a path id is a 400 invalid_request', async () => {
    for (const [m, p] of [['GET', '/api/auth/session/abc%00def/status'], ['GET', '/api/users/bob%00'], ['DELETE', '/api/users/%00'], ['DELETE', '/api/auth/session/x%00']] as const) {
      const r = await raw(run.url, m, p, { authorization: `Bearer ${token}` });
      assert.equal(r.status, 400, p);
      assert.equal(r.body.error, 'invalid_request', p);
      assert.ok(isErrorShape(r.body), p);
    }
  });

  test('a NUL byte in the webhook URL is a 422 validation_error', async () => {
    const r = await call(run.url, 'PUT', '/api/webhooks', { token, raw: '{"url":"https://example.com/a\\u0000b"}', contentType: 'application/json' });
    assert.equal(r.status, 422);
    assert.equal(r.body.error, 'validation_error');
    assert.ok(isErrorShape(r.body));
  });

  test('an invalid gzip body is a 400 invalid_request', async () => {
    for (const [enc, bytes] of [['gzip', Buffer.from('not gzip at all')], ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3])], ['deflate', Buffer.from('xx')]] as const) {
      const r = await raw(run.url, 'POST', '/api/auth/enrollment', { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': enc }, bytes);
      assert.equal(r.status, 400, enc);
      assert.equal(r.body.error, 'invalid_request');
      assert.ok(isErrorShape(r.body));
    }
    assert.equal((await call(run.url, 'GET', '/health')).status, 200);
  });

  test('a URL over the header size limit answers 431 in the error shape (the node wires onClientError)', async () => {
    run.server.on('clientError', onClientError);
    const r = await raw(run.url, 'GET', `/api/users/${'y'.repeat(20_000)}`, {});
    assert.equal(r.status, 431);
    assert.equal(r.body.error, 'invalid_request');
    assert.ok(isErrorShape(r.body));
  });
});
