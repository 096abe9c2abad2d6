// End to end: the documented frame WebSocket from real headless Chromium. A
// page served by the test (its own origin, as an integrator's page would be)
// runs the documented FaceRecognitionWebSocket client with the browser's own
// WebSocket against a real node (port 0, embedded store, the liveness engine
// with the clip's blink schedule), sending JPEG frames of a real clip
// (decoded server-side here, fetched by the page) every 100 ms: it enrolls
// the face, then authenticates it; garbage from the page gets `error`
// messages and the node stays up.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { frameSocketPath, FrameSocketServerMessage } from '../../common/protocol/frameSocket.ts';
import { CLIP_SCHEDULES } from '../../scripts/eval/lib/clipRunner.ts';
import { startScheduledNode, type ScheduledNode } from '../src/scheduledNode.ts';
import { clipDataUrls, restCaller, type RestCaller } from '../src/api/frameSocketFixture.ts';
import { CHROMIUM, chromiumMissing } from '../support/fakeCamera.ts';

const CLIP = new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url).pathname;
const USER = 'browser-user-1';

/** The page: the documented client, and a runner that sends the clip's frames until the server closes the socket. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>frame socket</title><script>
class FaceRecognitionWebSocket {
  constructor(wsUrl, onMessage) { this.wsUrl = wsUrl; this.onMessage = onMessage; this.ws = null; this.isConnected = false; }
  connect() {
    this.ws = new WebSocket(this.wsUrl);
    this.opened = new Promise((resolve) => { this.ws.onopen = () => { this.isConnected = true; resolve(); }; });
    this.closed = new Promise((resolve) => { this.ws.onclose = (e) => { this.isConnected = false; resolve({ code: e.code, reason: e.reason }); }; });
    this.ws.onmessage = (event) => this.onMessage(JSON.parse(event.data));
    this.ws.onerror = () => { this.isConnected = false; };
  }
  sendFrame(frameData) {
    if (!this.isConnected || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ type: 'process_frame', frame_data: frameData, timestamp: new Date().toISOString() }));
    return true;
  }
  disconnect() { if (this.ws) { this.ws.close(); this.isConnected = false; } }
}
let frames = null;
window.runSession = async (wsUrl) => {
  frames ??= await (await fetch('/frames.json')).json();
  const messages = [];
  // The documented handler disconnects on the final message; the server closes right after sending it, so the page waits for that close (and its code).
  const ws = new FaceRecognitionWebSocket(wsUrl, (m) => messages.push(m));
  ws.connect();
  await ws.opened;
  let i = 0;
  const timer = setInterval(() => { if (!ws.isConnected || i >= frames.length) return clearInterval(timer); ws.sendFrame(frames[i++]); }, 100);
  const closed = await ws.closed;
  clearInterval(timer);
  return { messages, closed, sent: i };
};
window.sendGarbage = async (wsUrl) => {
  const messages = [];
  const ws = new WebSocket(wsUrl);
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (e) => messages.push(JSON.parse(e.data));
  await new Promise((resolve) => { ws.onopen = resolve; });
  ws.send('not json at all');
  ws.send(new Uint8Array([0, 159, 146, 150, 255]));
  ws.send(JSON.stringify({ type: 'process_frame', frame_data: 'data:image/jpeg;base64,' + btoa('definitely not a jpeg') }));
  ws.send(JSON.stringify({ type: 'ping' }));
  const until = Date.now() + 10000;
  while (messages.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  ws.close();
  return messages;
};
</script>`;

interface Run {
  readonly messages: unknown[];
  readonly closed: { code: number; reason: string };
  readonly sent: number;
}

describe('frame WebSocket in Chromium', { skip: chromiumMissing, timeout: 150_000 }, () => {
  let fixture: ScheduledNode;
  let site: http.Server;
  let siteUrl: string;
  let browser: Browser;
  let page: Page;
  let rest: RestCaller;

  const socketUrl = (token: string): string => `${fixture.node.url.replace(/^http/, 'ws')}${frameSocketPath(token)}`;
  /** Runs a session in the page; every message it got must be one the protocol defines. */
  const runInPage = async (token: string, final: string): Promise<{ run: Run; messages: FrameSocketServerMessage[] }> => {
    const run = (await page.evaluate(([url, type]) => (window as unknown as { runSession(u: string, t: string): Promise<unknown> }).runSession(url!, type!), [socketUrl(token), final])) as Run;
    return { run, messages: run.messages.map((m) => FrameSocketServerMessage.parse(m)) };
  };

  before(async () => {
    fixture = await startScheduledNode({ tmpPrefix: 'facegate-e2e-ws-', schedule: () => CLIP_SCHEDULES.blink });
    const frames = (await clipDataUrls(CLIP, 10, 80)).map((f) => f.dataUrl);
    const framesJson = JSON.stringify(frames);
    site = http.createServer((req, res) => {
      if (req.url === '/frames.json') res.writeHead(200, { 'content-type': 'application/json' }).end(framesJson);
      else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    rest = await restCaller(fixture.node, 'browser client');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    page = await browser.newPage();
    await page.goto(siteUrl);
  });

  after(async () => {
    await browser?.close();
    if (site) await new Promise<void>((resolve) => site.close(() => resolve()));
    await fixture?.close();
  });

  it("the page's own WebSocket enrolls the clip's face (enrollment_complete, close 1000), then authenticates it", async () => {
    const enrollToken = await rest.newSession('enrollment', USER);
    const enrolled = await runInPage(enrollToken, 'enrollment_complete');
    const done = enrolled.messages.find((m) => m.type === 'enrollment_complete');
    assert.ok(done, JSON.stringify(enrolled.messages.filter((m) => m.type === 'error')));
    assert.equal(done.user_id, USER);
    assert.ok(enrolled.messages.some((m) => m.type === 'liveness_instruction' && m.instruction === 'blink'));
    assert.equal(enrolled.run.closed.code, 1000);
    assert.equal((await rest.call('GET', `/api/auth/session/${enrollToken}/status`)).status, 'succeeded');

    const authToken = await rest.newSession('authentication', USER);
    const authed = await runInPage(authToken, 'authentication_result');
    const result = authed.messages.find((m) => m.type === 'authentication_result');
    assert.ok(result, JSON.stringify(authed.messages.filter((m) => m.type === 'error')));
    assert.equal(result.authenticated, true, JSON.stringify(result));
    assert.equal(result.user_id, USER);
    assert.ok((result.confidence ?? 0) >= fixture.node.config.service.matchThreshold);
    assert.equal((await rest.call('GET', `/api/auth/session/${authToken}/status`)).status, 'succeeded');
  });

  it('garbage from the page gets error messages (not JSON, binary, not an image), ping gets pong, and the node stays up', async () => {
    const token = await rest.newSession('authentication');
    const raw = (await page.evaluate((url) => (window as unknown as { sendGarbage(u: string): Promise<unknown[]> }).sendGarbage(url), socketUrl(token))) as unknown[];
    const messages = raw.map((m) => FrameSocketServerMessage.parse(m));
    // The frame is analysed asynchronously: the pong may overtake its error.
    assert.deepEqual(
      messages.map((m) => (m.type === 'error' ? m.error_code : m.type)).sort(),
      ['image_corrupt', 'invalid_request', 'invalid_request', 'pong'],
    );
    assert.equal((await fetch(`${fixture.node.url}/health`)).status, 200);
    assert.equal((await rest.call('GET', `/api/auth/session/${token}/status`)).status, 'created');
  });
});
