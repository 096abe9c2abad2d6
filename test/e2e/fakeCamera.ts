// Headless Chromium with a file as its camera: the real browser the e2e tests
// publish from. Flags as the brief sets them, plus fake media permission and
// no QUIC (nothing outside loopback is reachable here).
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The reason e2e tests skip, or false when Debian's chromium is installed. */
export const chromiumMissing: string | false = !existsSync(CHROMIUM) ? 'Debian chromium is not installed' : false;

/** Starts Chromium with `clip` (a .y4m) as the camera and a fresh profile under `tmpDir`. */
export function launchWithFakeCamera(tmpDir: string, clip: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(path.join(tmpDir, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`,
    ],
  });
}
