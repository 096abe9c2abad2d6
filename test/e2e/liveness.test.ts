// End to end (issue 5): headless Debian Chromium opens the demo kiosk page
// served by the real composition (FacegateNode on port 0: media workers,
// service on an embedded store in a temp data dir, liveness engines,
// signaling). The page gets its session from the demo route, publishes its
// fake camera (a .y4m made at test time from ../shared), and shows the
// verdict the liveness engine sent over the data channel; the same verdict
// must be in the service's session status. A recording cannot answer random
// prompts, so the engines here use the schedule the genuine clip contains (a
// blink) through the test-only engine factory.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import sharp from 'sharp';
import { bundledFfmpegPath } from '../../media/FfmpegDecoder.ts';
import type { FacegateNode } from '../../src/FacegateNode.ts';
import type { Decision } from '../../src/engine/index.ts';
import { startScheduledNode, type ScheduledNode } from '../src/scheduledNode.ts';
import { CLIP_SCHEDULES } from '../../scripts/eval/lib/clipRunner.ts';
import type { PlannedChallenge } from '../../src/engine/challengePlan.ts';
import { chromiumMissing, launchWithFakeCamera } from '../support/fakeCamera.ts';

const SHARED = new URL('../../../shared/', import.meta.url).pathname;
const skip = chromiumMissing;

/** The schedule new sessions get (the still-photo test shortens the window; a still never blinks). */
let schedule: readonly PlannedChallenge[] = CLIP_SCHEDULES.blink;

interface StatusView {
  kind: string;
  status: string;
  decision: { outcome: string; reason: string | null; scores: Record<string, number> } | null;
}

describe('demo kiosk in Chromium against the liveness engine', { skip, timeout: 115_000 }, () => {
  let fixture: ScheduledNode;
  let tmp: string;
  let decisions: Decision[];
  let node: FacegateNode;

  /** 640x480 at 15 fps (the pipeline's 4:3 size: no padding bars), aspect kept by a centre crop. */
  const y4m = async (input: string, name: string, still: boolean): Promise<string> => {
    const out = path.join(tmp, `${name}.y4m`);
    if (still) {
      // Upright first: ffmpeg ignores a JPEG's EXIF orientation (T1 is stored
      // sideways), and a portrait photo keeps its top, where the face is.
      const upright = path.join(tmp, `${name}.png`);
      await sharp(input).rotate().resize(640, 480, { fit: 'cover', position: 'north' }).png().toFile(upright);
      input = upright;
    }
    await promisify(execFile)(bundledFfmpegPath(), [
      '-hide_banner', '-loglevel', 'error', '-y', ...(still ? ['-loop', '1'] : []), '-i', input, '-t', '4',
      '-vf', 'scale=640:480:force_original_aspect_ratio=increase,crop=640:480,fps=15', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', out,
    ]);
    return out;
  };

  before(async () => {
    fixture = await startScheduledNode({
      tmpPrefix: 'facegate-e2e-liveness-',
      schedule: () => schedule,
      node: { sdkBundles: 'build' },
    });
    ({ node, tmp, decisions } = fixture);
  });

  after(async () => {
    await fixture?.close();
  });

  const openBrowser = (clip: string): Promise<BrowserContext> => launchWithFakeCamera(tmp, clip);

  /** Runs the kiosk with `clip` as the camera; returns the page's verdict text and the service's view of the session. */
  const runKiosk = async (clip: string): Promise<{ shown: string; view: StatusView }> => {
    const context = await openBrowser(clip);
    try {
      const page = await context.newPage();
      const session = page.waitForResponse((r) => r.url().endsWith('/demo/session'), { timeout: 20_000 });
      await page.goto(`${node.url}/?autostart=1`);
      const { token } = (await (await session).json()) as { token: string };
      await page.waitForFunction(() => (document.getElementById('result')?.textContent ?? '') !== '', undefined, { timeout: 40_000 }).catch(() => undefined);
      const shown = (await page.textContent('#result')) ?? '';
      const res = await fetch(`${node.url}/api/auth/session/${token}/status`);
      return { shown, view: (await res.json()) as StatusView };
    } finally {
      await context.close();
    }
  };

  it('a genuine clip as the camera completes a passive + blink enrolment and the page shows Verified', async () => {
    const clip = await y4m(path.join(SHARED, 'video', 'genuine', 'liveportrait_d0.mp4'), 'd0', false);
    const { shown, view } = await runKiosk(clip);
    assert.equal(view.kind, 'enrollment');
    assert.equal(view.status, 'succeeded', JSON.stringify(view.decision));
    assert.equal(shown, 'Verified');
    assert.equal(typeof view.decision?.scores['passive'], 'number');
    assert.equal(typeof view.decision?.scores['blink'], 'number');
    // Chromium's fake camera is an injected stream: under the default policy (flag) the signal fires and the session still passes.
    const inj = decisions.at(-1)?.signals.injection;
    assert.equal(inj?.evaluated, true, JSON.stringify(inj));
    assert.equal(inj?.values['action'], 'flag', JSON.stringify(inj));
    assert.equal(inj?.values['capture_facts.why'], 'virtual_camera', JSON.stringify(inj));
    console.log(`e2e injection (flag): ${JSON.stringify(inj)}`);
  });

  // The still check measures cell means in a fixed box, so the VP8 encoder
  // refining the picture (and the detector's box jitter on it) does not read
  // as motion: the still fails as a still, well before the blink's deadline.
  it('a still photo as the camera fails with liveness_failed and the page shows Not verified', async () => {
    const clip = await y4m(path.join(SHARED, 'stills', 'silentface_image_T1.jpg'), 'still', true);
    schedule = [{ kind: 'blink', delayMs: 0, windowMs: 6000 }];
    const { shown, view } = await runKiosk(clip);
    assert.equal(view.status, 'failed', JSON.stringify(view.decision));
    assert.equal(view.decision?.reason, 'liveness_failed', JSON.stringify(decisions.at(-1)?.signals));
    assert.equal(decisions.at(-1)?.signals.motion.passed, false);
    assert.equal(decisions.at(-1)?.signals.blink.passed, false);
    assert.equal(shown, 'Not verified');
  });
});
