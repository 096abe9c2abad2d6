// Web hygiene on the real composition (FacegateNode: SDK, demo page and REST
// API on one server): helmet's headers with the one CSP on every kind of
// response, CORS only for CORS_ALLOWED_ORIGINS, TRUST_PROXY validated and
// applied to the address the per-IP limit counts.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import { FacegateNode } from '../../../src/FacegateNode.ts';
import { ColourAnalyzer, startService, BACKENDS, tempDir } from '../fixtures.ts';

const ALLOWED = 'https://app.example.com';

function nodeConfig(dir: string, extra: Record<string, string> = {}) {
  return loadConfig({
    FACEGATE_DATA_DIR: path.join(dir, 'data'),
    HOST: '127.0.0.1',
    PORT: '0',
    RTC_PORT: '0',
    MEDIA_WORKERS: '1',
    LOG_LEVEL: 'silent',
    CORS_ALLOWED_ORIGINS: `${ALLOWED}, http://localhost:3000`,
    ...extra,
  });
}

function assertHelmet(res: Response, what: string): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/, `${what}: CSP`);
  assert.match(csp, /script-src 'self'(;|$)/, `${what}: no inline script`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: frame-ancestors`);
  assert.doesNotMatch(csp, /upgrade-insecure-requests/, what);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN', `${what}: x-frame-options`);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${what}: referrer-policy`);
  assert.ok(res.headers.get('strict-transport-security'), `${what}: hsts`);
  assert.ok(res.headers.get('cross-origin-opener-policy'), `${what}: coop`);
  assert.equal(res.headers.get('x-powered-by'), null, `${what}: x-powered-by`);
}

describe('web hygiene on a FacegateNode', { timeout: 120_000 }, () => {
  let node: FacegateNode;
  let analyzer: ColourAnalyzer;
  let dir: string;
  before(async () => {
    dir = tempDir();
    analyzer = new ColourAnalyzer();
    node = await FacegateNode.start(nodeConfig(dir), { log: pino({ level: 'silent' }), analyzer, testing: { sdkBundles: 'build' } });
  });
  after(async () => {
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('helmet headers and the CSP are on JSON, 404, error, static, docs, SDK and demo-page responses', async () => {
    const u = node.url;
    const samples: [string, RequestInit | undefined, number][] = [
      ['/health', undefined, 200],
      ['/api/no-such-route', undefined, 404],
      ['/api/auth/client', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"api_key":' }, 400],
      ['/api/users', undefined, 401],
      ['/api/schema/', undefined, 200],
      ['/api/schema/swagger-ui/', undefined, 200],
      ['/api/schema/swagger-ui/swagger-ui-bundle.js', undefined, 200],
      ['/api/schema/redoc/', undefined, 200],
      ['/api/schema/redoc/redoc.standalone.js', undefined, 200],
      ['/sdk/facegate.js', undefined, 200],
      ['/', undefined, 200],
    ];
    for (const [p, init, status] of samples) {
      const res = await fetch(`${u}${p}`, init);
      await res.arrayBuffer();
      assert.equal(res.status, status, p);
      assertHelmet(res, p);
    }
    // The admin console keeps its own, stricter CSP; helmet's other headers are there too.
    for (const p of ['/admin', '/admin/clients']) {
      const res = await fetch(`${u}${p}`);
      await res.arrayBuffer();
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/, p);
      assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN', p);
      assert.ok(res.headers.get('strict-transport-security'), p);
    }
    const html = await fetch(`${u}/`);
    assert.match(html.headers.get('content-type') ?? '', /html/);
    assert.match(await html.text(), /<script src="\/sdk\/demo\.js"><\/script>/);
  });

  test('the SDK may be loaded cross-origin; API responses stay same-origin (CORP)', async () => {
    const sdk = await fetch(`${node.url}/sdk/facegate.js`);
    await sdk.arrayBuffer();
    assert.equal(sdk.headers.get('cross-origin-resource-policy'), 'cross-origin');
    const api = await fetch(`${node.url}/health`);
    await api.arrayBuffer();
    assert.equal(api.headers.get('cross-origin-resource-policy'), 'same-origin');
  });

  test('a preflight from an allowed origin gets CORS headers; another origin gets none', async () => {
    const preflight = (origin: string) =>
      fetch(`${node.url}/api/auth/client`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
      });
    const ok = await preflight(ALLOWED);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match((ok.headers.get('access-control-allow-headers') ?? '').toLowerCase(), /x-api-key/);
    assert.match(ok.headers.get('vary') ?? '', /Origin/i);
    assertHelmet(ok, 'preflight');
    const second = await preflight('http://localhost:3000');
    assert.equal(second.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    for (const other of ['https://evil.example.com', 'https://app.example.com.evil.net', 'null']) {
      const no = await preflight(other);
      assert.equal(no.headers.get('access-control-allow-origin'), null, other);
      assert.equal(no.headers.get('access-control-allow-methods'), null, other);
    }
    const get = await fetch(`${node.url}/health`, { headers: { origin: ALLOWED } });
    await get.arrayBuffer();
    assert.equal(get.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(get.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
    // socket.io's polling transport (the SDK's fallback) follows the same list.
    const sio = (origin: string) => fetch(`${node.url}/socket.io/?EIO=4&transport=polling`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    const sioOk = await sio(ALLOWED);
    await sioOk.arrayBuffer();
    assert.equal(sioOk.headers.get('access-control-allow-origin'), ALLOWED);
    const sioNo = await sio('https://evil.example.com');
    await sioNo.arrayBuffer();
    assert.equal(sioNo.headers.get('access-control-allow-origin'), null);
    const getOther = await fetch(`${node.url}/health`, { headers: { origin: 'https://evil.example.com' } });
    await getOther.arrayBuffer();
    assert.equal(getOther.headers.get('access-control-allow-origin'), null);
  });
});

describe('CORS_ALLOWED_ORIGINS and TRUST_PROXY in config', () => {
  const base = { FACEGATE_DATA_DIR: '/tmp/facegate-unused' };
  test('loadConfig() parses TRUST_PROXY: off by default, true, a hop count, a list of addresses/CIDRs', () => {
    assert.equal(loadConfig(base).server.trustProxy, false);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: 'false' }).server.trustProxy, false);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: 'true' }).server.trustProxy, true);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: '2' }).server.trustProxy, 2);
    assert.deepEqual(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.168.1.7' }).server.trustProxy, ['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
  });
  test('loadConfig() rejects a bad TRUST_PROXY or origin with a ConfigError naming the variable', () => {
    for (const bad of ['yes please', '10.0.0.0/33', '10.0.0.1/8/2', '300.1.1.1', 'loopback,nope']) {
      assert.throws(() => loadConfig({ ...base, TRUST_PROXY: bad }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.startsWith('TRUST_PROXY')), bad);
    }
    assert.deepEqual(loadConfig(base).server.corsAllowedOrigins, []);
    for (const bad of ['https://app.example.com/', 'app.example.com', 'https://app.example.com/path', 'ftp://x.example.com', '*']) {
      assert.throws(() => loadConfig({ ...base, CORS_ALLOWED_ORIGINS: bad }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.startsWith('CORS_ALLOWED_ORIGINS')), bad);
    }
  });

  test('the per-IP limit counts X-Forwarded-For only when TRUST_PROXY trusts the proxy', async () => {
    for (const [trust, limited] of [[undefined, true], ['loopback', false]] as const) {
      const run = await startService(BACKENDS[0]!, { env: { RATE_LIMIT_PER_IP: '3', ...(trust ? { TRUST_PROXY: trust } : {}) } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await fetch(`${run.url}/api/users`, { headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
        assert.equal(statuses.includes(429), limited, `TRUST_PROXY=${trust ?? '(unset)'}: ${statuses.join(',')}`);
      } finally {
        await run.close();
      }
    }
  });
});
