// Headless Chromium with a file as its camera: the real browser the e2e tests
// (and eval:kiosk) publish from. Flags as the brief sets them, plus fake media
// permission and no QUIC (nothing outside loopback is reachable here).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { bundledFfmpegPath } from '../../media/FfmpegDecoder.ts';

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

/**
 * Converts the first `seconds` of a video to the y4m Chromium's fake camera
 * plays (and loops): 640x480 (cropped to fill), 15 fps, yuv420p.
 */
export async function videoToY4m(input: string, output: string, seconds: number): Promise<string> {
  await promisify(execFile)(bundledFfmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-t', String(seconds),
    '-vf', 'scale=640:480:force_original_aspect_ratio=increase,crop=640:480,fps=15', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', output,
  ]);
  return output;
}
