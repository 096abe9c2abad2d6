// End to end, the kiosk page's accessibility: headless Debian Chromium opens
// the demo kiosk served by the real composition (every session one colour
// flash, live semantics) with a recording as its camera. axe-core finds no
// serious or critical violation before the start, while a prompt runs and
// after the verdict; the prompt is in an aria-live region and handed to
// speechSynthesis (not with ?speak=0); the page names the step (enrollment,
// the demo user's first session) and says why the try failed in words. With
// "Avoid flashing colours", a node with the production engine asks for no flash.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { loadConfig } from '../../src/config.ts';
import { FacegateNode } from '../../src/FacegateNode.ts';
import { REASON_TEXT } from '../../signaling/demo/reasonText.ts';
import { FLASH_PROMPT } from '../../src/engine/challenges/colorFlash.ts';
import { startFlashNode, type FlashNode } from '../src/flashNode.ts';
import { describeViolations, seriousAxeViolations } from '../support/axe.ts';
import { loopbackNodeEnv } from '../support/nodeEnv.ts';
import { chromiumMissing, launchWithFakeCamera, videoToY4m } from '../support/fakeCamera.ts';

const SHARED = new URL('../../../shared/', import.meta.url).pathname;

interface PageView {
  step: string | undefined;
  reason: string;
  spoken: string[];
}

const view = (page: Page): Promise<PageView> =>
  page.evaluate(() => {
    const d = (window as unknown as { facegateDemo: PageView }).facegateDemo;
    return { step: d.step, reason: d.reason, spoken: [...d.spoken] };
  });

describe('demo kiosk accessibility in Chromium', { skip: chromiumMissing, timeout: 150_000 }, () => {
  let fixture: FlashNode;
  let clip: string;

  before(async () => {
    fixture = await startFlashNode({ tmpPrefix: 'facegate-e2e-kiosk-a11y-', node: { sdkBundles: 'build' } });
    clip = await videoToY4m(path.join(SHARED, 'video', 'genuine', 'liveportrait_d0.mp4'), path.join(fixture.tmp, 'd0.y4m'), 6);
  });

  after(async () => {
    await fixture?.close();
  });

  const axeClean = async (page: Page, when: string): Promise<void> => {
    assert.deepEqual(describeViolations(await seriousAxeViolations(page)), [], `axe on the kiosk ${when}`);
  };

  it('has 0 serious or critical axe violations before, during and after a try; announces and speaks the prompt, names the step and says why the try failed', async () => {
    const context = await launchWithFakeCamera(fixture.tmp, clip);
    try {
      const page = await context.newPage();
      await page.goto(`${fixture.node.url}/`);
      await axeClean(page, 'before start');
      // The unlit loopback canvas cannot answer the flash: the try fails with challenge_failed.
      await page.goto(`${fixture.node.url}/?autostart=1&flashloopback=ignore`);
      await page.waitForFunction((t) => (document.getElementById('prompt')?.textContent ?? '') === t, FLASH_PROMPT, { timeout: 30_000 });
      const prompt = page.locator('#prompt');
      assert.equal(await prompt.getAttribute('aria-live'), 'assertive');
      assert.equal(await prompt.getAttribute('role'), 'status');
      await axeClean(page, 'while a prompt runs');
      await page.waitForFunction(() => (document.getElementById('reason')?.textContent ?? '') !== '', undefined, { timeout: 40_000 });
      const v = await view(page);
      assert.equal(v.step, 'enrollment');
      assert.match((await page.textContent('#step')) ?? '', /enrollment/i);
      assert.equal(await page.textContent('#result'), 'Not verified');
      assert.equal(fixture.decisions.at(-1)?.reason, 'challenge_failed');
      assert.equal(v.reason, REASON_TEXT.challenge_failed);
      assert.equal(await page.textContent('#reason'), REASON_TEXT.challenge_failed);
      assert.ok(v.spoken.includes(FLASH_PROMPT), `spoken: ${JSON.stringify(v.spoken)}`);
      assert.ok(v.spoken.some((t) => t.includes(REASON_TEXT.challenge_failed)), `spoken: ${JSON.stringify(v.spoken)}`);
      await axeClean(page, 'after the verdict');
    } finally {
      await context.close();
    }
  });

  it('?speak=0 opts out of speech: the prompt is still shown in the live region, nothing is spoken', async () => {
    const context = await launchWithFakeCamera(fixture.tmp, clip);
    try {
      const page = await context.newPage();
      await page.goto(`${fixture.node.url}/?autostart=1&flashloopback=ignore&speak=0`);
      await page.waitForFunction((t) => (document.getElementById('prompt')?.textContent ?? '') === t, FLASH_PROMPT, { timeout: 30_000 });
      assert.equal(await page.isChecked('#speak'), false);
      await page.waitForFunction(() => (document.getElementById('reason')?.textContent ?? '') !== '', undefined, { timeout: 40_000 });
      assert.deepEqual((await view(page)).spoken, []);
    } finally {
      await context.close();
    }
  });
});

describe('demo kiosk flash opt-out in Chromium (production engine, random challenges)', { skip: chromiumMissing, timeout: 120_000 }, () => {
  let tmp: string;
  let analyzer: FaceAnalyzer;
  let node: FacegateNode;
  let clip: string;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'facegate-e2e-kiosk-optout-'));
    const config = loadConfig({
      ...loopbackNodeEnv(tmp), FACEGATE_DEMO: 'auto', LIVENESS_FLASH: 'on', LIVENESS_CHALLENGES: '2',
    });
    analyzer = await FaceAnalyzer.create();
    node = await FacegateNode.start(config, { log: pino({ level: 'silent' }), analyzer, testing: { sdkBundles: 'build', clientIceConsentTimeoutS: 0 } });
    clip = await videoToY4m(path.join(SHARED, 'video', 'genuine', 'liveportrait_d0.mp4'), path.join(tmp, 'd0.y4m'), 6);
  });

  after(async () => {
    await node?.close();
    await analyzer?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('"Avoid flashing colours" (?flash=off) joins with the opt-out: every prompt is a blink or a head turn, none carries colours, nothing is painted', async () => {
    const context = await launchWithFakeCamera(tmp, clip);
    try {
      const page = await context.newPage();
      await page.goto(`${node.url}/?autostart=1&flash=off&speak=0`);
      assert.equal(await page.isChecked('#noflash'), true);
      // Both challenges of the session are issued (the first is retried or answered, then the second), or the session ends.
      await page.waitForFunction(() => (document.getElementById('result')?.textContent ?? '') !== '', undefined, { timeout: 60_000 });
      const prompts = await page.evaluate(() =>
        (window as unknown as { facegateDemo: { messages: { type: string; action?: string; colors?: unknown }[] } }).facegateDemo.messages
          .filter((m) => m.type === 'prompt')
          .map((m) => ({ action: m.action ?? '', colors: m.colors !== undefined })),
      );
      const challenges = prompts.filter((p) => ['blink', 'turn_left', 'turn_right', 'turn_any', 'color_flash'].includes(p.action));
      assert.ok(challenges.length >= 1, `prompts ${JSON.stringify(prompts)}`);
      for (const p of prompts) {
        assert.notEqual(p.action, 'color_flash', JSON.stringify(prompts));
        assert.equal(p.colors, false, JSON.stringify(prompts));
      }
      assert.equal(await page.evaluate(() => document.getElementById('flash')?.classList.contains('on')), false);
    } finally {
      await context.close();
    }
  });

  it('"I cannot follow flashes or movement prompts" (?gestures=off; the demo client allows the step-up): no challenge at all, the verdict is step_up_required, the page says to confirm another way, axe clean', async () => {
    const context = await launchWithFakeCamera(tmp, clip);
    try {
      const page = await context.newPage();
      await page.goto(`${node.url}/?autostart=1&gestures=off&speak=0`);
      assert.equal(await page.isChecked('#nogesture'), true);
      // The reason's words follow the result once the page has read the committed decision.
      await page.waitForFunction(() => (window as unknown as { facegateDemo: { reason: string } }).facegateDemo.reason !== '', undefined, { timeout: 60_000 });
      const messages = await page.evaluate(() =>
        (window as unknown as { facegateDemo: { messages: { type: string; action?: string; reason?: string; decision?: { reason?: string } }[] } }).facegateDemo.messages.map((m) => ({
          type: m.type,
          action: m.action ?? '',
          reason: m.decision?.reason ?? m.reason ?? '',
        })),
      );
      const challenges = messages.filter((m) => m.type === 'prompt' && ['blink', 'turn_left', 'turn_right', 'turn_any', 'color_flash'].includes(m.action));
      assert.deepEqual(challenges, [], JSON.stringify(messages));
      const result = messages.find((m) => m.type === 'result');
      assert.equal(result?.reason, 'step_up_required', JSON.stringify(messages));
      const v = await view(page);
      assert.equal(v.reason, REASON_TEXT.step_up_required);
      assert.deepEqual(describeViolations(await seriousAxeViolations(page)), [], 'axe on the kiosk after a step-up');
    } finally {
      await context.close();
    }
  });
});
