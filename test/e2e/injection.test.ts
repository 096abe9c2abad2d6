// End to end (issue 11, injection signals): headless Chromium publishes its
// fake camera (--use-fake-device-for-media-stream, a .y4m of a genuine clip)
// through the demo kiosk page to the real composition. That camera IS an
// injected stream: the SDK reports its label (Chromium's fake_device_N) and
// the capture_facts signal fires. With LIVENESS_INJECTION_OVERRIDES
// capture_facts=block the session is refused with injection_suspected, and
// the verdict shows why; the server's own facts (RTP timing, encoder
// fingerprint, DTLS binding) arrived beside it. (The default policy, flag,
// lets the same stream pass: test/e2e/liveness.test.ts.)
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FacegateNode } from '../../src/FacegateNode.ts';
import { CLIP_SCHEDULES } from '../../scripts/eval/lib/clipRunner.ts';
import { startScheduledNode, type ScheduledNode } from '../src/scheduledNode.ts';
import { chromiumMissing, launchWithFakeCamera, videoToY4m } from '../support/fakeCamera.ts';

const SHARED = new URL('../../../shared/', import.meta.url).pathname;

describe('injection signals against Chromium fake camera (block policy)', { skip: chromiumMissing, timeout: 100_000 }, () => {
  let fixture: ScheduledNode;
  let node: FacegateNode;
  let clip: string;

  before(async () => {
    fixture = await startScheduledNode({
      tmpPrefix: 'facegate-e2e-injection-',
      schedule: () => CLIP_SCHEDULES.blink,
      node: { sdkBundles: 'build' },
      env: { LIVENESS_INJECTION_OVERRIDES: 'capture_facts=block' },
    });
    node = fixture.node;
    clip = await videoToY4m(path.join(SHARED, 'video', 'genuine', 'liveportrait_d0.mp4'), path.join(fixture.tmp, 'd0.y4m'), 4);
  });

  after(async () => {
    await fixture?.close();
  });

  it('a session from the fake camera fails with injection_suspected, the page says so, and the verdict names the virtual camera', async () => {
    const context = await launchWithFakeCamera(fixture.tmp, clip);
    let shown = '';
    let reason = '';
    let token = '';
    try {
      const page = await context.newPage();
      const session = page.waitForResponse((r) => r.url().endsWith('/demo/session'), { timeout: 20_000 });
      await page.goto(`${node.url}/?autostart=1`);
      ({ token } = (await (await session).json()) as { token: string });
      await page.waitForFunction(() => (document.getElementById('result')?.textContent ?? '') !== '', undefined, { timeout: 40_000 }).catch(() => undefined);
      shown = (await page.textContent('#result')) ?? '';
      reason = (await page.textContent('body')) ?? '';
    } finally {
      await context.close();
    }
    const d = fixture.decisions.at(-1);
    const inj = d?.signals.injection;
    const why = JSON.stringify({ outcome: d?.outcome, reason: d?.reason, injection: inj });
    assert.equal(d?.outcome, 'failed', why);
    assert.equal(d?.reason, 'injection_suspected', why);
    assert.equal(inj?.evaluated, true, why);
    assert.equal(inj?.passed, false, why);
    assert.equal(inj?.values['action'], 'block', why);
    assert.equal(inj?.values['capture_facts.why'], 'virtual_camera', why);
    // With --use-file-for-fake-video-capture, Chromium names the camera after the file.
    assert.match(String(inj?.values['capture_facts.label']), /d0\.y4m$/, why);
    // The server's own facts arrived too: the encoder fingerprint of a real Chromium, the DTLS binding of both transports.
    assert.equal(inj?.values['encoder'], 0, why);
    assert.match(String(inj?.values['encoder.userAgent']), /Chrome/, why);
    assert.equal(inj?.values['peer_binding'], 0, why);
    assert.equal(inj?.values['peer_binding.transportsConnected'], 2, why);
    assert.equal(shown, 'Not verified');
    assert.match(reason, /did not come straight from a camera/, 'the page tells the user why');
    const status = (await (await fetch(`${node.url}/api/auth/session/${token}/status`)).json()) as { status: string; decision: { reason: string; scores: Record<string, number> } | null };
    assert.equal(status.status, 'failed');
    assert.equal(status.decision?.reason, 'injection_suspected');
    assert.equal(status.decision?.scores['injection'], 1, 'the operator sees the injection score in the verdict');
    console.log(`e2e injection (block): ${why}`);
  });
});
