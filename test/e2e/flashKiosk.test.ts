// End to end, colour flash: headless Debian Chromium opens the demo kiosk
// page served by the real composition, whose engines give every session one
// colour-flash challenge (live semantics). A fake camera file cannot reflect a
// screen, so the page runs in its test-only loopback mode: the camera goes
// through a canvas that lights the face's region with the colour the page is
// painting (100 ms later, as a camera would see it) and the canvas is
// published. A real browser answering a real flash on cue passes; the same
// canvas unlit fails with challenge_failed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumMissing, launchWithFakeCamera, videoToY4m } from '../support/fakeCamera.ts';
import { startFlashNode, type FlashNode } from '../src/flashNode.ts';

const SHARED = new URL('../../../shared/', import.meta.url).pathname;
const skip = chromiumMissing;

interface StatusView {
  status: string;
  decision: { outcome: string; reason: string | null; scores: Record<string, number> } | null;
}

describe('demo kiosk in Chromium answers a colour flash (test-only loopback camera)', { skip, timeout: 150_000 }, () => {
  let fixture: FlashNode;
  let clip: string;

  before(async () => {
    fixture = await startFlashNode({ tmpPrefix: 'facegate-e2e-flash-', node: { sdkBundles: 'build' } });
    clip = await videoToY4m(path.join(SHARED, 'video', 'genuine', 'liveportrait_d0.mp4'), path.join(fixture.tmp, 'd0.y4m'), 6);
  });

  after(async () => {
    await fixture?.close();
  });

  const runKiosk = async (mode: 'reflect' | 'ignore'): Promise<{ shown: string; view: StatusView; painted: boolean }> => {
    const context = await launchWithFakeCamera(fixture.tmp, clip);
    try {
      const page = await context.newPage();
      const session = page.waitForResponse((r) => r.url().endsWith('/demo/session'), { timeout: 20_000 });
      await page.goto(`${fixture.node.url}/?autostart=1&flashloopback=${mode}`);
      const { token } = (await (await session).json()) as { token: string };
      // The page paints the flash full-screen on cue.
      const painted = await page
        .waitForFunction(() => document.getElementById('flash')?.classList.contains('on') === true, undefined, { timeout: 30_000, polling: 20 })
        .then(() => true, () => false);
      await page.waitForFunction(() => (document.getElementById('result')?.textContent ?? '') !== '', undefined, { timeout: 40_000 }).catch(() => undefined);
      const shown = (await page.textContent('#result')) ?? '';
      const res = await fetch(`${fixture.node.url}/api/auth/session/${token}/status`);
      return { shown, painted, view: (await res.json()) as StatusView };
    } finally {
      await context.close();
    }
  };

  const flash = (): string => {
    const d = fixture.decisions.at(-1);
    return JSON.stringify({ outcome: d?.outcome, reason: d?.reason, flash: d?.signals.color_flash, timings: d?.timings });
  };

  it('the page lights the published face with the flashed colours on cue: the session passes and the page shows Verified', async () => {
    const { shown, view, painted } = await runKiosk('reflect');
    assert.equal(view.status, 'succeeded', flash());
    assert.equal(painted, true, 'the page painted the flash');
    assert.equal(shown, 'Verified');
    assert.equal(fixture.decisions.at(-1)?.signals.color_flash.passed, true, flash());
    console.log(`e2e flash reflect: ${flash()}`);
  });

  it('the same canvas unlit fails with challenge_failed and the page shows Not verified', async () => {
    const { shown, view, painted } = await runKiosk('ignore');
    assert.equal(painted, true, 'the page painted the flash');
    assert.equal(view.status, 'failed', flash());
    assert.equal(view.decision?.reason, 'challenge_failed', flash());
    assert.equal(shown, 'Not verified');
    assert.equal(fixture.decisions.at(-1)?.signals.color_flash.passed, false);
    console.log(`e2e flash ignore: ${flash()}`);
  });
});
