import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { ServerMessage } from '../../common/protocol/dataChannel.ts';
import type { LiveSession } from '../../media/LiveSession.ts';
import { MediaWorkerPool } from '../../media/MediaWorkerPool.ts';
import { ServerPeer } from '../../media/ServerPeer.ts';
import type { SessionEndReason } from '../../media/types.ts';
import { DataClient } from './dataClient.ts';

const logger = pino({ level: 'silent' });
let pool: MediaWorkerPool;

before(async () => {
  pool = await MediaWorkerPool.create({ workers: 1, listenIp: '127.0.0.1', rtcPort: 0, frameRate: 10, logger, clientIceConsentTimeoutS: 0 });
});
after(() => pool.close());

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

/** 20 small messages, a ~12 KB result (ten SCTP fragments) and 5 more: the tail a verdict leaves. */
function burst(): ServerMessage[] {
  const out: ServerMessage[] = [];
  for (let i = 0; i < 20; i++) out.push({ type: 'progress', value: i / 20, label: `step ${i}` });
  out.push({ type: 'result', outcome: 'pass', data: { blob: 'x'.repeat(12_000), n: 20 } });
  for (let i = 0; i < 5; i++) out.push({ type: 'progress', value: 1, label: `after ${i}` });
  return out;
}

const notPings = (ms: readonly ServerMessage[]) => ms.filter((m) => m.type !== 'ping' && m.type !== 'pong');

async function openSession(id: string, answerPings: boolean): Promise<{ session: LiveSession; client: DataClient; ends: SessionEndReason[] }> {
  const session = await pool.createSession({ sessionId: id });
  const ends: SessionEndReason[] = [];
  session.setSink({ onFrame: () => undefined, onEnd: (r) => void ends.push(r) });
  const client = await DataClient.connect(session, { answerPings });
  // The server pings as soon as its channel opens: the first ping says it is open.
  assert.ok(await until(() => client.messages.some((m) => m.type === 'ping'), 5000), 'the server channel opened');
  if (answerPings) assert.ok(await until(() => session.rttMs !== undefined, 5000), 'the client answered a ping');
  return { session, client, ends };
}

test('session.close() right after sending delivers every message in order before it resolves (client answers pings)', async (t) => {
  const { session, client, ends } = await openSession('flush-confirmed', true);
  t.after(() => client.close());
  const sent = burst();
  for (const m of sent) assert.equal(session.send(m), true);
  await session.close('closed_by_server');
  t.diagnostic(`flush ${JSON.stringify(session.toJSON().flush)}`);
  // Confirmed end to end: everything is already there when close() resolves.
  assert.deepEqual(notPings(client.messages), sent);
  assert.equal(session.toJSON().flush?.outcome, 'confirmed');
  assert.deepEqual(ends, ['closed_by_server']);
  assert.equal(session.send({ type: 'progress', value: 1 }), false);
});

test('session.close() right after sending delivers every message in order to a client that never answers pings', async (t) => {
  const { session, client } = await openSession('flush-drained', false);
  t.after(() => client.close());
  const sent = burst();
  for (const m of sent) assert.equal(session.send(m), true);
  await session.close('closed_by_server');
  t.diagnostic(`flush ${JSON.stringify(session.toJSON().flush)}`);
  assert.equal(session.toJSON().flush?.outcome, 'drained');
  // Drained means acknowledged by mediasoup and on the wire to the client: let loopback deliver it.
  assert.ok(await until(() => notPings(client.messages).length >= sent.length, 2000), `received ${notPings(client.messages).length}`);
  assert.deepEqual(notPings(client.messages), sent);
});

test('session.close() to a client that vanished (SCTP silent) gives up at the flush timeout', async (t) => {
  const { session, client, ends } = await openSession('flush-vanished', true);
  t.after(() => client.close());
  client.silence();
  // More than mediasoup's congestion window lets out without acknowledgements.
  for (let i = 0; i < 10; i++) session.send({ type: 'result', outcome: 'error', data: { blob: 'y'.repeat(12_000) } });
  const t0 = performance.now();
  await session.close('closed_by_server', { flushTimeoutMs: 400 });
  const ms = performance.now() - t0;
  assert.ok(ms >= 350 && ms < 1500, `closed in ${ms.toFixed(0)} ms`);
  assert.equal(session.toJSON().flush?.outcome, 'timed_out');
  assert.deepEqual(ends, ['closed_by_server']);
});

test('session.close() to a silent client that never answered pings times out on what mediasoup could not send', async (t) => {
  const { session, client } = await openSession('flush-vanished-nopong', false);
  t.after(() => client.close());
  client.silence();
  for (let i = 0; i < 10; i++) session.send({ type: 'result', outcome: 'error', data: { blob: 'y'.repeat(12_000) } });
  const t0 = performance.now();
  await session.close('closed_by_server', { flushTimeoutMs: 400 });
  const ms = performance.now() - t0;
  assert.ok(ms >= 350 && ms < 1500, `closed in ${ms.toFixed(0)} ms`);
  assert.equal(session.toJSON().flush?.outcome, 'timed_out');
});

test('session.close() twice, at once and again after, flushes once and ends once', async (t) => {
  const { session, client, ends } = await openSession('flush-twice', true);
  t.after(() => client.close());
  const sent = burst();
  for (const m of sent) session.send(m);
  const first = session.close('closed_by_server');
  const second = session.close('closed_by_server');
  await Promise.all([first, second]);
  await session.close('client_left');
  assert.deepEqual(notPings(client.messages), sent);
  assert.deepEqual(ends, ['closed_by_server']);
  assert.equal(session.endReason, 'closed_by_server');
});

test('session.close(client_gone) during a flush to a silent client stops waiting at once', async (t) => {
  const { session, client, ends } = await openSession('flush-abort', true);
  t.after(() => client.close());
  client.silence();
  for (let i = 0; i < 10; i++) session.send({ type: 'result', outcome: 'error', data: { blob: 'z'.repeat(12_000) } });
  const t0 = performance.now();
  const flushing = session.close('closed_by_server', { flushTimeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 50));
  await session.close('client_gone');
  await flushing;
  const ms = performance.now() - t0;
  assert.ok(ms < 1500, `closed in ${ms.toFixed(0)} ms`);
  assert.equal(session.toJSON().flush?.outcome, 'aborted');
  assert.deepEqual(ends, ['closed_by_server']);
});

test('session.close(client_gone) after the client went away skips the flush', async () => {
  const { session, client, ends } = await openSession('flush-gone', true);
  client.close();
  session.send({ type: 'result', outcome: 'fail' });
  const t0 = performance.now();
  await session.close('client_gone', { flushTimeoutMs: 5000 });
  assert.ok(performance.now() - t0 < 500);
  assert.deepEqual(ends, ['client_gone']);
  assert.equal(session.toJSON().flush?.outcome, 'skipped');
});

test('session.close() with no client data channel open yet closes without waiting', async () => {
  const session = await pool.createSession({ sessionId: 'flush-nochannel' });
  session.send({ type: 'progress', value: 0.5 });
  const t0 = performance.now();
  await session.close('closed_by_server');
  assert.ok(performance.now() - t0 < 500);
  assert.equal(session.toJSON().flush?.outcome, 'nothing_to_flush');
});

test('session.close() rejects a bad flush timeout with a TypeError', async () => {
  const session = await pool.createSession({ sessionId: 'flush-badarg' });
  await assert.rejects(session.close('closed_by_server', { flushTimeoutMs: -1 }), TypeError);
  await assert.rejects(session.close('closed_by_server', { flushTimeoutMs: Number.NaN }), TypeError);
  assert.equal(session.closed, false);
  await session.close();
});

test('every server peer of these sessions is closed', async () => {
  assert.ok(await until(() => ServerPeer.openPeers === 0, 3000), `${ServerPeer.openPeers} open`);
});
