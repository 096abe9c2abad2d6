// End to end (issue 12): the admin console at /admin in headless Debian
// Chromium against the real composition (FacegateNode on port 0, embedded
// store in a temp data dir, the admin token generated there). Signs in with
// that token, creates a client and sees its key once, revokes it and sees the
// REST API refuse it, watches a demo kiosk session (a second page whose fake
// camera is a genuine clip from ../shared) appear on the sessions page over
// the event stream and finish, opens its decision, pages the audit log,
// verifies the chain and exports the signed bundle. Every page is checked by
// axe-core (0 serious/critical violations), and screenshotted to
// test-output/console/. The console runs under its own CSP: a violation fails.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { bundledFfmpegPath } from '../../media/FfmpegDecoder.ts';
import { CLIP_SCHEDULES } from '../../scripts/eval/lib/clipRunner.ts';
import type { FacegateNode } from '../../src/FacegateNode.ts';
import { startScheduledNode, type ScheduledNode } from '../src/scheduledNode.ts';
import { chromiumMissing, launchWithFakeCamera } from '../support/fakeCamera.ts';
import { describeViolations, seriousAxeViolations, type AxeViolation } from '../support/axe.ts';

const SHARED = new URL('../../../shared/', import.meta.url).pathname;
const SHOTS = new URL('../../test-output/console/', import.meta.url).pathname;
const skip = chromiumMissing;

describe('admin console in Chromium', { skip, timeout: 180_000 }, () => {
  let fixture: ScheduledNode;
  let node: FacegateNode;
  let context: BrowserContext;
  let page: Page;
  let adminToken: string;
  let clip: string;
  const cspViolations: string[] = [];
  let demoSessionId = '';

  const admin = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${node.url}/api/admin${p}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    assert.ok(res.ok, `${method} ${p}: ${res.status}`);
    return (await res.json()) as T;
  };
  const exchange = async (apiKey: string): Promise<number> =>
    (await fetch(`${node.url}/api/auth/client`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: apiKey }) })).status;

  /** axe-core in the page: the serious and critical violations of the current page. */
  const axe = (): Promise<AxeViolation[]> => seriousAxeViolations(page);
  /** Screenshot to test-output/console/NAME.png and the axe check. */
  const checkPage = async (name: string): Promise<void> => {
    await page.waitForFunction(() => !document.body.innerText.includes('Loading…'), undefined, { timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    const v = await axe();
    assert.deepEqual(describeViolations(v), [], `axe on ${name}`);
  };
  const goTo = async (linkName: string, heading: string): Promise<void> => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: linkName, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    // Navigation moves focus to the page's heading.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1', undefined, { timeout: 5000 });
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fixture = await startScheduledNode({ tmpPrefix: 'facegate-e2e-console-', schedule: () => CLIP_SCHEDULES.blink, node: { sdkBundles: 'build' } });
    node = fixture.node;
    adminToken = readFileSync(path.join(fixture.tmp, 'data', 'admin-token'), 'utf8').trim();
    clip = path.join(fixture.tmp, 'd0.y4m');
    await promisify(execFile)(bundledFfmpegPath(), [
      '-hide_banner', '-loglevel', 'error', '-y', '-i', path.join(SHARED, 'video', 'genuine', 'liveportrait_d0.mp4'), '-t', '4',
      '-vf', 'scale=640:480:force_original_aspect_ratio=increase,crop=640:480,fps=15', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', clip,
    ]);
    context = await launchWithFakeCamera(fixture.tmp, clip);
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  after(async () => {
    await context?.close();
    await fixture?.close();
  });

  it('GET /admin and /admin/* answer the console page under a strict CSP; the bundle is served as files', async () => {
    for (const p of ['/admin', '/admin/', '/admin/sessions/some-id']) {
      const res = await fetch(`${node.url}${p}`);
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      const html = await res.text();
      assert.match(html, /<script src="\/admin\/app\.js" defer><\/script>/);
      assert.doesNotMatch(html, /<script>|<style>/, 'no inline script or style');
    }
    const js = await fetch(`${node.url}/admin/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.ok((await js.text()).length > 10_000);
    const css = await fetch(`${node.url}/admin/app.css`);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    assert.match(await css.text(), /\.u-wrap/, 'uPlot styles are bundled');
  });

  it('sign-in refuses a wrong token and keeps the right one in sessionStorage', async () => {
    await page.goto(`${node.url}/admin`);
    await checkPage('signin');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('facegate.adminToken')), adminToken);
    // A reload stays signed in (same tab).
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
  });

  it('creates a client and shows its API key once; revoking the key makes POST /api/auth/client answer 401; rotating keeps the old key through the overlap', async () => {
    await page.getByLabel('Client name').fill('Console kiosk');
    await page.getByRole('button', { name: 'Create client' }).click();
    const shown = page.getByTestId('shown-once');
    await shown.waitFor();
    const apiKey = (await shown.textContent()) ?? '';
    assert.match(apiKey, /^fg_[a-z0-9]{12}_/);
    assert.equal(await exchange(apiKey), 200, 'the new key works');
    await page.getByRole('status').filter({ hasText: 'Client Console kiosk created' }).waitFor();
    await checkPage('clients');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await shown.count(), 0);
    assert.ok(!(await page.content()).includes(apiKey), 'the key is gone from the page');
    await page.reload();
    await page.getByRole('button', { name: 'Console kiosk' }).click();
    assert.ok(!(await page.content()).includes(apiKey), 'the key is not shown again');
    const keyId = apiKey.split('_')[1]!;
    await page.getByRole('button', { name: `Revoke key ${keyId}` }).click();
    await page.getByRole('status').filter({ hasText: `Key ${keyId} revoked` }).waitFor();
    await page.locator(`tr[data-key-id="${keyId}"] .badge`).filter({ hasText: 'revoked' }).waitFor();
    assert.equal(await exchange(apiKey), 401, 'the revoked key is refused');
    // A new key, then rotating it: the new one is shown once, the old one keeps working through the overlap.
    await page.getByRole('button', { name: 'New API key' }).click();
    const second = (await shown.textContent()) ?? '';
    assert.equal(await exchange(second), 200);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    const secondId = second.split('_')[1]!;
    await page.getByRole('button', { name: `Rotate key ${secondId}` }).click();
    await page.getByRole('status').filter({ hasText: `Key ${secondId} rotated` }).waitFor();
    const third = (await shown.textContent()) ?? '';
    assert.notEqual(third, second);
    await page.locator(`tr[data-key-id="${secondId}"] .badge`).filter({ hasText: 'rotating' }).waitFor();
    assert.equal(await exchange(second), 200, 'the rotated key works during the overlap');
    assert.equal(await exchange(third), 200);
  });

  it('a demo kiosk session appears on the sessions page live and finishes; its decision shows every score and timing', async () => {
    await goTo('Sessions', 'Sessions');
    await page.getByTestId('stream-state').filter({ hasText: 'connected' }).waitFor();
    // Marks this document: the rows below must come without a reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const seen: string[] = [];
    await page.exposeFunction('reportStatus', (s: string) => void seen.push(s));
    await page.evaluate(() => {
      const report = (window as unknown as { reportStatus: (s: string) => void }).reportStatus;
      new MutationObserver(() => {
        for (const tr of document.querySelectorAll('#sessions-table tbody tr')) report(tr.getAttribute('data-status') ?? '');
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    });
    const kiosk = await context.newPage();
    try {
      await kiosk.goto(`${node.url}/?autostart=1`);
      await page.locator('#sessions-table tbody tr').first().waitFor({ timeout: 30_000 });
      await page.locator('#sessions-table tbody tr[data-status="succeeded"]').waitFor({ timeout: 60_000 });
      await kiosk.waitForFunction(() => (document.getElementById('result')?.textContent ?? '') !== '', undefined, { timeout: 20_000 });
      assert.equal(await kiosk.textContent('#result'), 'Verified');
    } finally {
      await kiosk.close();
    }
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 1, 'no reload');
    assert.ok(seen.some((s) => s === 'created' || s === 'capturing'), `the session was listed before it finished: ${seen.join(',')}`);
    await page.getByRole('status').filter({ hasText: /Session .* succeeded/ }).waitFor();
    await checkPage('sessions');
    // Filters: failed hides it, succeeded shows it.
    await page.getByLabel('Status').selectOption('failed');
    assert.equal(await page.locator('#sessions-table tbody tr').count(), 0);
    await page.getByLabel('Status').selectOption('succeeded');
    await page.getByLabel('Kind').selectOption('enrollment');
    const link = page.locator('#sessions-table tbody tr[data-status="succeeded"] th a').first();
    demoSessionId = (await link.textContent()) ?? '';
    await link.click();
    await page.getByRole('heading', { level: 1, name: `Session ${demoSessionId}` }).waitFor();
    await page.getByTestId('session-status').filter({ hasText: 'succeeded' }).waitFor();
    const api = await admin<{ decision: { scores: Record<string, number>; timings_ms: Record<string, number> } }>('GET', `/sessions/${demoSessionId}`);
    for (const signal of Object.keys(api.decision.scores)) await page.locator('#scores tbody th', { hasText: signal }).first().waitFor();
    for (const stage of Object.keys(api.decision.timings_ms)) await page.locator('#timings tbody th', { hasText: stage }).first().waitFor();
    assert.ok(Object.keys(api.decision.scores).includes('passive') && Object.keys(api.decision.scores).includes('blink'));
    assert.equal(await page.locator('#scores tbody tr').count(), Object.keys(api.decision.scores).length);
    await checkPage('session');
  });

  it('pages the audit log, verifies the chain and exports the signed bundle', async () => {
    // Enough rows for two pages of 25.
    for (let i = 0; i < 30; i++) await admin('POST', '/clients', { name: `paged ${i}` });
    await goTo('Audit log', 'Audit log');
    const caption = page.locator('#audit-table caption');
    await caption.filter({ hasText: 'page 1' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#audit-table tbody tr').length === 25, undefined, { timeout: 10_000 });
    const firstSeqs = await page.locator('#audit-table tbody th').allTextContents();
    assert.equal(firstSeqs.length, 25);
    await checkPage('audit');
    await page.getByRole('button', { name: 'Older entries' }).click();
    await caption.filter({ hasText: 'page 2' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#audit-table tbody tr').length > 0, undefined, { timeout: 10_000 });
    const secondSeqs = (await page.locator('#audit-table tbody th').allTextContents()).map(Number);
    assert.ok(secondSeqs.length > 0);
    assert.ok(Math.max(...secondSeqs) < Math.min(...firstSeqs.map(Number)), 'page 2 is older than page 1');
    await page.getByRole('button', { name: 'Newer entries' }).click();
    await caption.filter({ hasText: 'page 1' }).waitFor();
    // Filter by event.
    await page.getByLabel('Event').fill('api_key.revoked');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction(
      () => {
        const cells = [...document.querySelectorAll('#audit-table tbody td:nth-child(3)')].map((c) => c.textContent);
        return cells.length > 0 && cells.every((c) => c === 'api_key.revoked');
      },
      undefined,
      { timeout: 10_000 },
    );
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.locator('#verify-result').filter({ hasText: 'Chain verified' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export signed bundle' }).click()]);
    const file = path.join(fixture.tmp, 'bundle.jsonl');
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(lines[0]?.type, 'bundle');
    assert.equal(lines.at(-1)?.type, 'head');
    assert.ok(lines.filter((l) => l.type === 'entry').length > 25);
  });

  it('every other page renders from the admin API with 0 serious or critical axe violations', async () => {
    await goTo('Policy', 'Policy');
    await page.getByLabel('Session lifetime (s)').waitFor();
    await checkPage('policy');
    await goTo('Users', 'Users and templates');
    await checkPage('users');
    await goTo('Webhooks', 'Webhooks');
    await page.getByLabel('Webhook URL').waitFor();
    await checkPage('webhooks');
    await goTo('Analytics', 'Analytics');
    await page.locator('#chart-per-day canvas').waitFor();
    await page.locator('#chart-latency canvas').waitFor();
    const analytics = await admin<{ per_day: { attempts: number }[] }>('GET', '/analytics');
    const attempts = analytics.per_day.reduce((s, d) => s + d.attempts, 0);
    assert.ok(attempts >= 1, 'the demo session is counted');
    await page.locator('#chart-per-day [role="img"]').filter({ has: page.locator('canvas') }).waitFor();
    assert.match((await page.locator('#chart-per-day [role="img"]').getAttribute('aria-label')) ?? '', new RegExp(`^${attempts} attempts`));
    await checkPage('analytics');
    await goTo('System', 'System');
    await page.locator('#health dt').first().waitFor();
    assert.ok((await page.locator('#health').textContent())?.includes('database'));
    await checkPage('system');
    // Keyboard: the skip link is the first tab stop.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'System' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    assert.deepEqual(cspViolations, [], 'the console ran without CSP violations');
  });
});
