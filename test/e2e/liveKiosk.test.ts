// End to end: headless Debian Chromium (fake camera fed from a .y4m made at
// test time from ../shared/video) opens the demo kiosk page, which publishes
// through the SDK to a real server built from the exported pieces; the server
// decodes frames at the cadence, finds a face in them, and exchanges data
// channel messages with the page. The second test forces TURN relay through
// coturn on loopback.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { bundledFfmpegPath, FfmpegDecoder } from '../../media/FfmpegDecoder.ts';
import type { ClientMessage } from '../../common/protocol/dataChannel.ts';
import type { LiveSessionHandle } from '../../media/FrameSink.ts';
import { ServerPeer } from '../../media/ServerPeer.ts';
import type { DecodedFrame, SessionEndReason } from '../../media/types.ts';
import { startCoturn, type RunningCoturn } from '../../turn/coturn.ts';
import { iceServersFor } from '../../turn/turnCredentials.ts';
import { startLiveServer, type LiveServer } from '../signaling/liveServer.ts';
import { chromiumMissing, launchWithFakeCamera } from '../support/fakeCamera.ts';

const VIDEO = new URL('../../../shared/video/genuine/', import.meta.url).pathname;
const TURN_SECRET = 'e2e-turn-secret-0123456789';

interface SessionLog {
  handle: LiveSessionHandle;
  frames: DecodedFrame[];
  messages: ClientMessage[];
  ends: SessionEndReason[];
}

const skip = chromiumMissing;
let tmp: string;
const clips = new Map<string, string>();
let server: LiveServer;
let turn: RunningCoturn | undefined;
const sessions = new Map<string, SessionLog>();

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return cond();
};

async function makeY4m(name: string): Promise<string> {
  const out = path.join(tmp, `${path.parse(name).name}.y4m`);
  await promisify(execFile)(bundledFfmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y', '-i', path.join(VIDEO, name), '-t', '3',
    '-vf', 'scale=640:480,fps=15', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', out,
  ]);
  return out;
}

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'facegate-e2e-'));
  clips.set('d0', await makeY4m('liveportrait_d0.mp4'));
  clips.set('d9', await makeY4m('liveportrait_d9.mp4'));
  turn = existsSync('/usr/bin/turnserver') ? await startCoturn({ secret: TURN_SECRET }) : undefined;
  server = await startLiveServer({
    heartbeatIntervalMs: 2000,
    iceServers: (sessionId) =>
      turn === undefined ? [] : iceServersFor({ stunUrls: [], turnUrls: [turn.url], turnSecret: TURN_SECRET, turnTtlS: 600 }, sessionId),
    sinkFactory: (handle) => {
      const log: SessionLog = { handle, frames: [], messages: [], ends: [] };
      sessions.set(handle.sessionId, log);
      // Queued until the data channel opens.
      handle.send({
        type: 'prompt',
        id: 'blink-1',
        action: 'blink',
        text: 'Please blink',
        colors: [{ rgb: [255, 0, 0], startMs: 0, durationMs: 25_000 }],
      });
      handle.send({ type: 'progress', value: 0.5, label: 'half way' });
      return {
        onFrame: (f) => void log.frames.push(f),
        onMessage: (m) => void log.messages.push(m),
        onEnd: (r) => void log.ends.push(r),
      };
    },
  });
});

after(async () => {
  await server?.close();
  await turn?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function openBrowser(clip: string): Promise<BrowserContext> {
  return launchWithFakeCamera(tmp, clip);
}

async function demoState(page: Page): Promise<{ state: string; error?: string; messages: { type: string }[] }> {
  return page.evaluate(() => {
    const d = (window as unknown as { facegateDemo: { state: string; error?: string; messages: { type: string }[] } }).facegateDemo;
    return { state: d.state, ...(d.error !== undefined ? { error: d.error } : {}), messages: d.messages.map((m) => ({ type: m.type })) };
  });
}

async function runKiosk(clip: string, relay: boolean): Promise<SessionLog> {
  const context = await openBrowser(clip);
  try {
    const page = await context.newPage();
    const token = server.token();
    await page.goto(`${server.url}/?token=${encodeURIComponent(token)}&autostart=1${relay ? '&relay=1' : ''}`);
    await page.waitForFunction(
      () => {
        const d = (window as unknown as { facegateDemo?: { state: string; error?: string } }).facegateDemo;
        return d !== undefined && (d.state === 'publishing' || d.error !== undefined);
      },
      undefined,
      { timeout: 30_000 },
    );
    const state = await demoState(page);
    assert.equal(state.state, 'publishing', `page state ${JSON.stringify(state)}`);
    const log = [...sessions.values()].at(-1);
    assert.ok(log, 'the server saw the session');
    // 3 s at the 10 fps cadence.
    assert.ok(await until(() => log.frames.length >= 20, 20_000), `decoded frames ${log.frames.length}`);
    const first = log.frames[0];
    assert.equal(first?.image.width, 640);
    assert.equal(first?.image.height, 480);
    // Cadence: no more than ~10 frames per second reach the sink.
    const span = (log.frames.at(-1)?.decodedAtMs ?? 0) - (first?.decodedAtMs ?? 0);
    assert.ok(log.frames.length <= (span / 100) * 1.2 + 2, `${log.frames.length} frames in ${span} ms`);
    // The prompt reached the page over the data channel; its ack reached the server.
    await page.waitForFunction(() => document.getElementById('prompt')?.textContent === 'Please blink', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => (document.getElementById('progress') as HTMLProgressElement).value === 0.5, undefined, { timeout: 10_000 });
    // The colour-flash sequence of the prompt is painted full-screen.
    await page.waitForFunction(
      () => {
        const el = document.getElementById('flash');
        return el !== null && el.classList.contains('on') && getComputedStyle(el).backgroundColor === 'rgb(255, 0, 0)';
      },
      undefined,
      { timeout: 10_000 },
    );
    assert.ok(await until(() => log.messages.some((m) => m.type === 'ack' && m.ref === 'blink-1'), 10_000), 'ack reached the server');
    assert.ok(await until(() => log.handle.rttMs !== undefined, 10_000), 'ping/pong RTT measured');
    if (relay) {
      const tuples = server.pool.getSession(log.handle.sessionId)?.selectedTuples() ?? [];
      assert.ok(tuples.length >= 1);
      for (const t of tuples) {
        assert.ok(
          t.remotePort !== undefined && turn !== undefined && t.remotePort >= turn.minPort && t.remotePort <= turn.maxPort,
          `tuple ${JSON.stringify(t)} is not a coturn relay port`,
        );
      }
    }
    // Closing the page ends the session and frees everything on the server.
    await page.close();
    assert.ok(await until(() => log.ends.length === 1, 15_000), 'session ended after the page closed');
    assert.ok(await until(() => server.pool.sessionCount === 0 && FfmpegDecoder.openProcesses === 0 && ServerPeer.openPeers === 0, 5000));
    assert.equal(await server.pool.transportCount(), 0);
    return log;
  } finally {
    await context.close();
  }
}

test('the demo kiosk in Chromium publishes its camera; the server decodes 640x480 frames at 10 fps, finds a face, and data channel messages go both ways', { skip }, async () => {
  const log = await runKiosk(clips.get('d0') ?? '', false);
  let analyzerModule: typeof import('../../models/FaceAnalyzer.ts') | undefined;
  try {
    analyzerModule = await import('../../models/FaceAnalyzer.ts');
  } catch {
    analyzerModule = undefined;
  }
  if (analyzerModule !== undefined) {
    const analyzer = await analyzerModule.FaceAnalyzer.create({ parallel: false });
    try {
      const frame = log.frames[Math.floor(log.frames.length / 2)];
      assert.ok(frame);
      const result = await analyzer.analyze(frame.image, { stages: [] });
      assert.ok(result.faces.length >= 1, 'a face is found in a decoded frame');
    } finally {
      await analyzer.close();
    }
  }
});

test('the demo kiosk publishes through coturn when relay is forced (iceTransportPolicy relay)', { skip: skip || (!existsSync('/usr/bin/turnserver') && 'coturn is not installed') }, async () => {
  await runKiosk(clips.get('d9') ?? '', true);
});
