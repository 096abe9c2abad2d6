// End to end, web hygiene in a real browser: headless Debian Chromium loads
// Swagger UI, ReDoc and the demo kiosk page from the real composition, under
// the server's CSP, and none of them logs a console error, throws, or trips a
// securitypolicyviolation; the viewers render the generated document.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { FacegateNode } from '../../src/FacegateNode.ts';
import { ColourAnalyzer } from '../src/fixtures.ts';
import { CHROMIUM, chromiumMissing } from '../support/fakeCamera.ts';

interface Problems {
  readonly console: string[];
  readonly pageErrors: string[];
  readonly failed: string[];
  /** Requests to anywhere but this server (a CDN, a font host, a validator badge). */
  readonly foreign: string[];
}

/** Records console errors, uncaught errors and failed requests; CSP violations are logged to the console by the page hook. */
async function watch(page: Page, origin: string): Promise<Problems> {
  const p: Problems = { console: [], pageErrors: [], failed: [], foreign: [] };
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`);
    });
  });
  page.on('console', (m) => {
    if (m.type() === 'error') p.console.push(m.text());
  });
  page.on('pageerror', (e) => p.pageErrors.push(e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:')) p.foreign.push(u);
  });
  page.on('requestfailed', (r) => p.failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  return p;
}

describe('API docs and demo page in Chromium under the CSP', { skip: chromiumMissing, timeout: 120_000 }, () => {
  let node: FacegateNode;
  let browser: Browser;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-e2e-docs-'));
    const config = loadConfig({ FACEGATE_DATA_DIR: path.join(dir, 'data'), HOST: '127.0.0.1', PORT: '0', RTC_PORT: '0', MEDIA_WORKERS: '1', LOG_LEVEL: 'silent' });
    node = await FacegateNode.start(config, { log: pino({ level: 'silent' }), analyzer: new ColourAnalyzer(), testing: { sdkBundles: 'build' } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
  });
  after(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (p: string, ready: (page: Page) => Promise<unknown>): Promise<Problems> => {
    const page = await browser.newPage();
    try {
      const problems = await watch(page, node.url);
      const res = await page.goto(`${node.url}${p}`);
      assert.equal(res?.status(), 200, p);
      assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/, p);
      await ready(page);
      // Late work (workers, lazy chunks) gets a moment to complain.
      await page.waitForTimeout(500);
      return problems;
    } finally {
      await page.close();
    }
  };

  const clean = (p: Problems, what: string): void => {
    assert.deepEqual(p.console, [], `${what}: console errors`);
    assert.deepEqual(p.pageErrors, [], `${what}: page errors`);
    assert.deepEqual(p.failed, [], `${what}: failed requests`);
    assert.deepEqual(p.foreign, [], `${what}: requests off this server`);
  };

  test('Swagger UI renders the generated document with no console error or CSP violation', async () => {
    const p = await open('/api/schema/swagger-ui/', async (page) => {
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
      assert.match((await page.textContent('.swagger-ui .info .title')) ?? '', /facegate/);
      await page.waitForSelector('.opblock-summary-path[data-path="/api/users/{externalId}"]', { timeout: 20_000 });
    });
    clean(p, 'Swagger UI');
  });

  test('ReDoc renders the generated document from the locally served bundle with no console error or CSP violation', async () => {
    const p = await open('/api/schema/redoc/', async (page) => {
      await page.waitForSelector('#redoc h1', { timeout: 30_000 });
      assert.match((await page.textContent('#redoc h1')) ?? '', /facegate/);
      await page.waitForFunction(() => document.body.innerText.includes('/api/auth/enrollment'), undefined, { timeout: 20_000 });
    });
    clean(p, 'ReDoc');
  });

  test('the demo kiosk page loads its script and styles with no console error or CSP violation', async () => {
    const p = await open('/', async (page) => {
      await page.waitForSelector('#start', { timeout: 20_000 });
      // demo.js ran: it fills the page's status and wires the buttons.
      await page.waitForFunction(() => typeof (window as unknown as Record<string, unknown>).io !== 'undefined' || document.getElementById('status')?.textContent !== null, undefined, { timeout: 10_000 });
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(16, 20, 24)', 'the inline <style> applies');
    });
    clean(p, 'demo page');
  });
});
