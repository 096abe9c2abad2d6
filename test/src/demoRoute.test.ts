// Regression (issue 13, defect 7): POST /demo/session had no rate limit (100
// calls in 323 ms, each a permanent audit row), and its lockout answered 503
// in a non-standard shape. The route is now limited per visitor IP, and its
// errors use the REST error shape. Built from the pieces FacegateNode wires:
// the SDK router's demo route, DemoSessions on a real service, errorHandler.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { after, before, describe, test } from 'node:test';
import { errorHandler } from '../../src/api/httpErrors.ts';
import { DemoSessions } from '../../src/bridge/DemoSessions.ts';
import { createSdkRouter } from '../../signaling/sdkRouter.ts';
import { authenticate, BACKENDS, call, enroll, isErrorShape, startService, type Reply, type Running } from './fixtures.ts';

/** POST /demo/session as the visitor holding `cookie` (none: a new visitor); the reply and the visitor's cookie. */
async function demoCall(url: string, cookie?: string): Promise<{ reply: Reply; cookie: string; subject: string }> {
  const reply = await call(url, 'POST', '/demo/session', cookie ? { headers: { cookie } } : {});
  const set = reply.headers.getSetCookie().find((c) => c.startsWith('facegate_demo='));
  return { reply, cookie: set ? set.split(';')[0]! : '', subject: String(reply.body.subject) };
}

describe('POST /demo/session', () => {
  let run: Running;
  let demo: DemoSessions;
  let server: http.Server;
  let url: string;
  before(async () => {
    run = await startService(BACKENDS[0]!);
    demo = new DemoSessions({ store: run.service.store, tenants: run.service.tenants, sessions: run.service.sessions, perIpPerMinute: 10 });
    const root = express();
    root.use(createSdkRouter({ demoSession: (ip, visitor) => demo.next(ip, visitor), serveDemo: false }));
    root.use(errorHandler(run.service.log));
    server = http.createServer(root);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await run?.close();
  });

  test('a locked-out demo visitor answers 429 locked_out in the standard error shape, not a bare 503', async () => {
    const clientId = await demo.clientId();
    const a = await demoCall(url);
    assert.equal(a.reply.status, 200);
    // The visitor's subject enrolled (through the REST API, with a key of the demo client), then locked out.
    const key = await run.service.tenants.addApiKey(clientId);
    const token = (await run.service.tenants.exchangeApiKey(key.apiKey)).accessToken;
    assert.equal((await enroll(run, token, a.subject, [170, 80, 40])).body.status, 'succeeded');
    for (let i = 0; i < run.service.config.service.lockoutFailures; i++) await run.service.limits.recordFailure(clientId, a.subject);
    const r = (await demoCall(url, a.cookie)).reply;
    assert.equal(r.status, 429, JSON.stringify(r.body));
    assert.ok(isErrorShape(r.body));
    assert.equal(r.body.error, 'rate_limit_exceeded');
    assert.equal((r.body.details as Record<string, unknown>).reason, 'locked_out');
    await run.service.limits.reset(clientId, a.subject);
  });

  test('one visitor gets at most 10 demo sessions a minute; the 11th is a typed 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let last = await call(url, 'POST', '/demo/session');
    statuses.push(last.status);
    for (let i = 0; i < 30 && last.status === 200; i++) {
      last = await call(url, 'POST', '/demo/session');
      statuses.push(last.status);
    }
    // The lockout test above spent two of the ten.
    assert.deepEqual(statuses, [...Array(8).fill(200), 429]);
    assert.ok(isErrorShape(last.body));
    assert.equal(last.body.error, 'rate_limit_exceeded');
    assert.equal((last.body.details as Record<string, unknown>).scope, 'ip');
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
  });
});

// Regression (issue 13, defect 7): every visitor was the one fixed demo user,
// so anyone could enrol over it or lock it out. Each visitor is now its own
// subject, bound to an HMAC-signed HttpOnly cookie.
describe('POST /demo/session: one subject per visitor', () => {
  let run: Running;
  let demo: DemoSessions;
  let server: http.Server;
  let url: string;
  before(async () => {
    run = await startService(BACKENDS[0]!);
    demo = new DemoSessions({ store: run.service.store, tenants: run.service.tenants, sessions: run.service.sessions, perIpPerMinute: 100 });
    const root = express();
    root.use(createSdkRouter({ demoSession: (ip, visitor) => demo.next(ip, visitor), serveDemo: false }));
    root.use(errorHandler(run.service.log));
    server = http.createServer(root);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await run?.close();
  });

  test("visitor B's failed attempts do not lock out visitor A, and B cannot enrol over or verify as A", async () => {
    const clientId = await demo.clientId();
    const key = await run.service.tenants.addApiKey(clientId);
    const bearer = (await run.service.tenants.exchangeApiKey(key.apiKey)).accessToken;
    const a = await demoCall(url);
    const b = await demoCall(url);
    assert.equal(a.reply.status, 200);
    assert.equal(b.reply.status, 200);
    assert.notEqual(a.subject, b.subject);
    assert.match(a.cookie, /^facegate_demo=demo-/);
    assert.equal(a.reply.body.token !== b.reply.body.token, true);
    // Both enrol their own subject, with different faces.
    assert.equal((await enroll(run, bearer, a.subject, [170, 80, 40])).body.status, 'succeeded');
    assert.equal((await enroll(run, bearer, b.subject, [40, 90, 200])).body.status, 'succeeded');
    // B fails as B (A's face against B's template) until B is locked out.
    for (let i = 0; i < run.service.config.service.lockoutFailures; i++) {
      assert.notEqual((await authenticate(run, bearer, [170, 80, 40], b.subject)).body.status, 'succeeded');
    }
    const bLocked = (await demoCall(url, b.cookie)).reply;
    assert.equal(bLocked.status, 429, JSON.stringify(bLocked.body));
    assert.equal((bLocked.body.details as Record<string, unknown>).reason, 'locked_out');
    // A still gets an authentication session for A's own subject.
    const aNext = await demoCall(url, a.cookie);
    assert.equal(aNext.reply.status, 200, JSON.stringify(aNext.reply.body));
    assert.equal(aNext.subject, a.subject);
    const session = await run.service.sessions.authorize(String(aNext.reply.body.token));
    assert.equal(session?.kind, 'authentication');
    // B forging A's cookie (A's subject with B's signature, or a tampered expiry) gets a fresh subject, never A's.
    const [, aSubject, aExp, aSig] = /^facegate_demo=([^.]+)\.(\d+)\.(.+)$/.exec(a.cookie)!;
    const bSig = /\.([^.]+)$/.exec(b.cookie)![1];
    for (const forged of [`facegate_demo=${aSubject}.${aExp}.${bSig}`, `facegate_demo=${aSubject}.${Number(aExp) + 1}.${aSig}`, `facegate_demo=${aSubject}`]) {
      const f = await demoCall(url, forged);
      assert.equal(f.reply.status, 200);
      assert.notEqual(f.subject, a.subject);
      assert.notEqual(f.subject, b.subject);
      assert.equal((await run.service.sessions.authorize(String(f.reply.body.token)))?.kind, 'enrollment');
    }
    // A's template is untouched: still one.
    assert.equal((await run.service.store.listTemplates(clientId, a.subject)).length, 1);
  });
});
