// Regression (issue 13, defect 4 remainder): process-frame needed no bearer,
// so anyone could make the node read and parse megabytes. frameAuth now
// checks the session token (X-Session-Token / Authorization: Bearer, or
// `session_token` within the first 4 KiB of a body over 64 KiB) before the
// body parser runs; without one the answer is a typed 401 with
// Connection: close and the rest of the body is never read. The large-body
// tests talk raw TCP so they can see when the answer arrives relative to
// what was sent, and count what the server's socket read.
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { whilePollingHealth } from '../support/healthPoll.ts';
import { BACKENDS, call, colourImage, enroll, isErrorShape, newClient, startService, type Running } from './fixtures.ts';

const MB = 1024 * 1024;
const BODY_BYTES = 8 * MB;
const CHUNK = 16 * 1024;

interface RawReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
  /** Body bytes the client had written when the answer's head arrived. */
  readonly sentWhenAnswered: number;
  readonly ms: number;
}

/**
 * POSTs `length` declared bytes (the JSON `prefix`, then spaces) over a raw
 * socket, CHUNK at a time with `pauseMs` between chunks, stopping as soon as
 * the answer's head arrives. Bounded: at most length / CHUNK writes, and a
 * 20 s deadline.
 */
async function rawPost(url: string, path: string, headers: Record<string, string>, prefix: string, length: number, pauseMs: number): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  const sock = net.connect(Number(port), hostname);
  await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
  const t0 = performance.now();
  let received = Buffer.alloc(0);
  let sent = 0;
  let sentWhenAnswered = -1;
  const ended = new Promise<void>((r) => {
    sock.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (sentWhenAnswered < 0 && received.includes('\r\n\r\n')) sentWhenAnswered = sent;
    });
    sock.once('close', () => r());
    sock.on('error', () => undefined); // EPIPE / ECONNRESET once the server closed: expected
  });
  const head = [`POST ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Content-Type: application/json', `Content-Length: ${length}`, 'Connection: keep-alive'];
  for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
  sock.write(head.join('\r\n') + '\r\n\r\n');
  const first = Buffer.from(prefix);
  const pad = Buffer.alloc(CHUNK, 0x20);
  const deadline = Date.now() + 20_000;
  let closed = false;
  sock.once('close', () => (closed = true));
  for (let off = 0; off < length && sentWhenAnswered < 0 && !closed && Date.now() < deadline; off += CHUNK) {
    const n = Math.min(CHUNK, length - off);
    const chunk = off === 0 ? Buffer.concat([first, pad]).subarray(0, n) : pad.subarray(0, n);
    if (!sock.write(chunk)) await Promise.race([new Promise((r) => sock.once('drain', r)), sleep(200)]);
    sent += n;
    if (pauseMs > 0) await sleep(pauseMs);
  }
  await Promise.race([ended, sleep(5_000)]);
  sock.destroy();
  const text = received.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no HTTP answer (got ${JSON.stringify(text.slice(0, 200))})`);
  const lines = text.slice(0, split).split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const hs: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    hs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const bodyText = text.slice(split + 4);
  const body = hs['content-length'] ? (JSON.parse(bodyText.slice(0, Number(hs['content-length']))) as Record<string, unknown>) : {};
  return { status, headers: hs, body, sentWhenAnswered, ms: performance.now() - t0 };
}

/** A solid-colour PNG stored uncompressed, so its data URL is over 64 KiB (the colour stays the identity). */
async function largeColourImage(r: number, g: number, b: number): Promise<string> {
  const png = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r, g, b } } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

describe('frameAuth: process-frame authenticates by session token before reading the body', () => {
  let run: Running;
  /** Bytes each server-side socket had read when it closed. */
  const socketReads: number[] = [];
  let token: string;
  let sessionToken: string;
  before(async () => {
    run = await startService(BACKENDS[0]!, { env: { RATE_LIMIT_PER_IP: '100000' } });
    run.server.on('connection', (s: net.Socket) => s.once('close', () => socketReads.push(s.bytesRead)));
    token = (await newClient(run)).token;
    const s = await call(run.url, 'POST', '/api/auth/enrollment', { token, json: { external_user_id: 'frame-auth' } });
    assert.equal(s.status, 201);
    sessionToken = String(s.body.session_token);
  });
  after(async () => run?.close());

  test('an 8 MB body streamed slowly without a token gets 401 before the client finished sending, and the server read little of it', async () => {
    const before = socketReads.length;
    const r = await rawPost(run.url, '/api/auth/enrollment/process-frame', {}, '{"image":"data:image/png;base64,', BODY_BYTES, 2);
    assert.equal(r.status, 401);
    assert.ok(isErrorShape(r.body), JSON.stringify(r.body));
    assert.equal(r.body.error, 'unauthorized');
    assert.equal((r.body.details as Record<string, unknown>).reason, 'session_token_missing');
    assert.equal(r.headers.connection, 'close');
    assert.ok(r.sentWhenAnswered >= 0 && r.sentWhenAnswered < 1 * MB, `answered after ${r.sentWhenAnswered} of ${BODY_BYTES} bytes`);
    for (let i = 0; i < 50 && socketReads.length === before; i++) await sleep(20);
    const read = socketReads.slice(before);
    assert.equal(read.length, 1, 'the server closed the connection');
    assert.ok(read[0]! < 1 * MB, `server read ${read[0]} bytes`);
    console.log(`8 MB slow body, no token: 401 after ${r.sentWhenAnswered} B sent, server read ${read[0]} B, ${r.ms.toFixed(0)} ms`);
  });

  test('an 8 MB body sent at once with an unknown header token gets 401 and the server read little of it', async () => {
    const before = socketReads.length;
    const r = await rawPost(run.url, '/api/auth/enrollment/process-frame', { 'X-Session-Token': 'no-such-session' }, '{"image":"', BODY_BYTES, 0);
    assert.equal(r.status, 401);
    assert.ok(isErrorShape(r.body));
    assert.equal((r.body.details as Record<string, unknown>).reason, 'session_token_invalid');
    assert.equal(r.headers.connection, 'close');
    for (let i = 0; i < 50 && socketReads.length === before; i++) await sleep(20);
    const read = socketReads.slice(before);
    assert.equal(read.length, 1);
    // The client's writes may fill the socket buffers, but the node stops reading at the answer.
    assert.ok(read[0]! < 4 * MB, `server read ${read[0]} of ${BODY_BYTES} bytes`);
  });

  test('a large body whose session_token comes after its first 4 KiB gets 401', async () => {
    const r = await rawPost(run.url, '/api/auth/enrollment/process-frame', {}, `{"image":"${'A'.repeat(8192)}","session_token":"${sessionToken}"}`, 128 * 1024, 0);
    assert.equal(r.status, 401);
    assert.equal((r.body.details as Record<string, unknown>).reason, 'session_token_missing');
  });

  test('/health stays fast while four slow 8 MB unauthenticated bodies are refused', async () => {
    const { result: answers, latencies } = await whilePollingHealth(
      run.url,
      async () => {
        const rs = await Promise.all([0, 1, 2, 3].map(() => rawPost(run.url, '/api/auth/authentication/process-frame', {}, '{"image":"', BODY_BYTES, 2)));
        await sleep(100);
        return rs;
      },
      300,
    );
    for (const a of answers) {
      assert.equal(a.status, 401, JSON.stringify(a.body));
      assert.ok(a.sentWhenAnswered < 1 * MB, `answered after ${a.sentWhenAnswered} bytes`);
    }
    const worst = Math.max(...latencies);
    assert.ok(latencies.length > 0);
    assert.ok(worst < 500, `/health took ${worst.toFixed(0)} ms`);
  });

  test('a header token works: X-Session-Token and Authorization: Bearer both submit the frame', async () => {
    const image = await colourImage(120, 80, 60);
    const viaHeader = await call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json: { image }, headers: { 'x-session-token': sessionToken } });
    assert.equal(viaHeader.status, 200, JSON.stringify(viaHeader.body));
    assert.equal(viaHeader.body.frames_processed, 1);
    const viaBearer = await call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json: { image }, token: sessionToken });
    assert.equal(viaBearer.status, 200, JSON.stringify(viaBearer.body));
    assert.equal(viaBearer.body.frames_processed, 2);
  });

  test('a header token and a different body session_token get 400 session_token_mismatch', async () => {
    const other = await call(run.url, 'POST', '/api/auth/enrollment', { token, json: { external_user_id: 'frame-auth-other' } });
    const r = await call(run.url, 'POST', '/api/auth/enrollment/process-frame', {
      json: { session_token: String(other.body.session_token), image: await colourImage(120, 80, 60) },
      headers: { 'x-session-token': sessionToken },
    });
    assert.equal(r.status, 400);
    assert.ok(isErrorShape(r.body));
    assert.equal(r.body.error, 'invalid_request');
    assert.equal((r.body.details as Record<string, unknown>).reason, 'session_token_mismatch');
  });

  test('a decided session gets 409 by header token, before its body is read', async () => {
    const done = await call(run.url, 'POST', '/api/auth/enrollment', { token, json: { external_user_id: 'frame-auth-decided' } });
    const t = String(done.body.session_token);
    const image = await colourImage(121, 81, 61);
    for (let i = 0; i < run.service.config.service.enrollSamples; i++) {
      await call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json: { session_token: t, image } });
    }
    assert.equal((await call(run.url, 'GET', `/api/auth/session/${t}/status`)).body.status, 'succeeded');
    const small = await call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json: { image }, headers: { 'x-session-token': t } });
    assert.equal(small.status, 409);
    assert.ok(isErrorShape(small.body));
    assert.equal(small.body.error, 'conflict');
    const large = await rawPost(run.url, '/api/auth/enrollment/process-frame', { 'X-Session-Token': t }, '{"image":"', BODY_BYTES, 2);
    assert.equal(large.status, 409);
    assert.ok(large.sentWhenAnswered < 1 * MB, `answered after ${large.sentWhenAnswered} bytes`);
  });

  test('the documented JSON body form still works: token in a small body, and first in a body over 64 KiB', async () => {
    const small = await enroll(run, token, 'frame-auth-body', [130, 90, 70]);
    assert.equal(small.status, 200);
    assert.equal(small.body.status, 'succeeded');

    const s = await call(run.url, 'POST', '/api/auth/authentication', { token, json: { external_user_id: 'frame-auth-body' } });
    const image = await largeColourImage(130, 90, 70);
    const json = JSON.stringify({ session_token: s.body.session_token, image });
    assert.ok(json.length > 64 * 1024, `body is ${json.length} bytes`);
    const large = await call(run.url, 'POST', '/api/auth/authentication/process-frame', { raw: json, contentType: 'application/json' });
    assert.equal(large.status, 200, JSON.stringify(large.body));
    assert.equal(large.body.status, 'succeeded');
  });
});
