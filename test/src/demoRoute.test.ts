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
import { DEMO_USER_ID, DemoSessions } from '../../src/bridge/DemoSessions.ts';
import { createSdkRouter } from '../../signaling/sdkRouter.ts';
import { BACKENDS, call, enroll, isErrorShape, startService, type Running } from './fixtures.ts';

describe('POST /demo/session', () => {
  let run: Running;
  let demo: DemoSessions;
  let server: http.Server;
  let url: string;
  before(async () => {
    run = await startService(BACKENDS[0]!);
    demo = new DemoSessions({ store: run.service.store, tenants: run.service.tenants, sessions: run.service.sessions, perIpPerMinute: 10 });
    const root = express();
    root.use(createSdkRouter({ demoSession: (ip) => demo.next(ip), serveDemo: false }));
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

  test('a locked-out demo user answers 429 locked_out in the standard error shape, not a bare 503', async () => {
    const clientId = await demo.clientId();
    // The demo user enrolled (through the REST API, with a key of the demo client), then locked out.
    const key = await run.service.tenants.addApiKey(clientId);
    const token = (await run.service.tenants.exchangeApiKey(key.apiKey)).accessToken;
    assert.equal((await enroll(run, token, DEMO_USER_ID, [170, 80, 40])).body.status, 'succeeded');
    for (let i = 0; i < run.service.config.service.lockoutFailures; i++) await run.service.limits.recordFailure(clientId, DEMO_USER_ID);
    const r = await call(url, 'POST', '/demo/session');
    assert.equal(r.status, 429, JSON.stringify(r.body));
    assert.ok(isErrorShape(r.body));
    assert.equal(r.body.error, 'rate_limit_exceeded');
    assert.equal((r.body.details as Record<string, unknown>).reason, 'locked_out');
    await run.service.limits.reset(clientId, DEMO_USER_ID);
  });

  test('one visitor gets at most 10 demo sessions a minute; the 11th is a typed 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let last = await call(url, 'POST', '/demo/session');
    statuses.push(last.status);
    for (let i = 0; i < 30 && last.status === 200; i++) {
      last = await call(url, 'POST', '/demo/session');
      statuses.push(last.status);
    }
    // The lockout test above spent one of the ten.
    assert.deepEqual(statuses, [...Array(9).fill(200), 429]);
    assert.ok(isErrorShape(last.body));
    assert.equal(last.body.error, 'rate_limit_exceeded');
    assert.equal((last.body.details as Record<string, unknown>).scope, 'ip');
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
  });
});
