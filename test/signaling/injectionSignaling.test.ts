// Injection facts through the real signaling server (issue 11): the SDK's
// reportCapture request is validated strictly and lands in the live
// session's facts; a session is bound to the DTLS fingerprint of the peer
// that connected first, for its other transports and for a later join with
// the same token (peer_mismatch); and a werift publisher whose RTP clock is
// a counter reads as periodic_clock, one stamping its wall clock does not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LiveSessionHandle } from '../../media/FrameSink.ts';
import { assessInjection } from '../../src/engine/injection/index.ts';
import { encodeRtpClip, type RtpClipPacket } from '../support/rtpClip.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';
import { SignalingClient, startLiveServer, type LiveServer } from './liveServer.ts';

const CLIP = new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url).pathname;
const FP = (byte: string) => ({ role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => byte).join(':') }] });
const REPORT = {
  label: 'Integrated Webcam (0c45:6713)',
  settings: { width: 640, height: 480, frameRate: 15, deviceId: 'abc' },
  frameTiming: { source: 'track_processor', frames: 30, meanIntervalMs: 66.7, jitterMs: 1.2 },
  userAgent: 'Mozilla/5.0 Chrome/131.0',
};

let server: LiveServer;
let clip: RtpClipPacket[];
const handles = new Map<string, LiveSessionHandle>();

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
};
const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error?.code);

before(async () => {
  clip = await encodeRtpClip({ file: CLIP, codec: 'VP8', seconds: 2, fps: 15 });
  server = await startLiveServer({
    heartbeatIntervalMs: 2000,
    clientIceConsentTimeoutS: 0,
    sinkFactory: (handle) => {
      handles.set(handle.sessionId, handle);
      return { onFrame: () => undefined };
    },
  });
});
after(() => server.close());

test('reportCapture is refused before join, refused when not the schema, taken once (after an optional partial one), and lands in the session facts', async (t) => {
  const c = await SignalingClient.connect(server.url);
  t.after(() => c.close());
  assert.equal(code(await c.request('reportCapture', REPORT)), 'unauthorized');
  const { sessionId } = await c.join(server.token());
  assert.equal(code(await c.request('reportCapture', { ...REPORT, extra: 1 })), 'invalid_request', 'unknown fields are refused');
  assert.equal(code(await c.request('reportCapture', { ...REPORT, settings: { width: -1 } })), 'invalid_request');
  assert.equal(code(await c.request('reportCapture', { ...REPORT, frameTiming: { ...REPORT.frameTiming, source: 'guess' } })), 'invalid_request');
  assert.equal(code(await c.request('reportCapture', { ...REPORT, label: 'x'.repeat(300) })), 'invalid_request');
  assert.equal(code(await c.request('reportCapture', { ...REPORT, partial: false })), 'invalid_request', 'partial is true or absent');
  assert.equal(handles.get(sessionId)?.transportFacts().capture, null, 'nothing invalid was stored');
  const partial = { ...REPORT, frameTiming: { source: 'none', frames: 0, meanIntervalMs: 0, jitterMs: 0 }, partial: true };
  assert.equal(code(await c.request('reportCapture', partial)), 'ok');
  assert.deepEqual(handles.get(sessionId)?.transportFacts().capture, partial, 'the partial report stands until the complete one');
  assert.equal(code(await c.request('reportCapture', REPORT)), 'ok');
  assert.equal(code(await c.request('reportCapture', REPORT)), 'conflict');
  assert.deepEqual(handles.get(sessionId)?.transportFacts().capture, REPORT);
  await c.call('leave', {});
});

test('connectTransport with another DTLS fingerprint than the first is peer_mismatch, in the session and on a later join with its token', async (t) => {
  const token = server.token();
  const a = await SignalingClient.connect(server.url);
  t.after(() => a.close());
  const { sessionId } = await a.join(token);
  const send = (await a.call<{ id: string }>('createTransport', { direction: 'send' })).id;
  const recv = (await a.call<{ id: string }>('createTransport', { direction: 'recv' })).id;
  assert.equal(code(await a.request('connectTransport', { transportId: send, dtlsParameters: FP('AB') })), 'ok');
  const other = await a.request('connectTransport', { transportId: recv, dtlsParameters: FP('CD') });
  assert.equal(code(other), 'peer_mismatch', JSON.stringify(other));
  assert.deepEqual(handles.get(sessionId)?.transportFacts().peer, { fingerprint: `sha-256 ${FP('AB').fingerprints[0]!.value}`, transportsConnected: 1, refused: 1 });
  assert.equal(assessInjection(handles.get(sessionId)!.transportFacts()).scores.peer_binding.why, 'other_peer_refused');
  assert.equal(code(await a.request('connectTransport', { transportId: recv, dtlsParameters: FP('AB') })), 'ok', 'the same peer may connect its other transport');
  await a.call('leave', {});
  assert.ok(await until(() => server.pool.sessionCount === 0, 3000));

  // The token again, from another peer: refused; from the first peer: accepted.
  const b = await SignalingClient.connect(server.url);
  t.after(() => b.close());
  await b.join(token);
  const t2 = (await b.call<{ id: string }>('createTransport', { direction: 'send' })).id;
  assert.equal(code(await b.request('connectTransport', { transportId: t2, dtlsParameters: FP('CD') })), 'peer_mismatch');
  assert.equal(code(await b.request('connectTransport', { transportId: t2, dtlsParameters: FP('AB') })), 'ok');
  await b.call('leave', {});
  assert.ok(await until(() => server.pool.sessionCount === 0, 3000));
});

for (const rtpClock of ['counter', 'wall'] as const) {
  test(`a werift publisher with a ${rtpClock} RTP clock: rtp_timing ${rtpClock === 'counter' ? 'fires periodic_clock' : 'does not fire'}`, async (t) => {
    const c = await SignalingClient.connect(server.url);
    t.after(() => c.close());
    const signaling = await c.join(server.token());
    const publisher = new SyntheticPublisher(signaling, { codec: 'VP8', packets: clip, rtpClock });
    t.after(() => publisher.close());
    await publisher.start();
    const handle = handles.get(signaling.sessionId)!;
    assert.ok(await until(() => (handle.transportFacts().rtp?.frames ?? 0) >= 40, 15_000), `rtp frames ${handle.transportFacts().rtp?.frames}`);
    const facts = handle.transportFacts();
    const a = assessInjection(facts);
    const why = JSON.stringify({ rtp: facts.rtp, encoder: facts.encoder, scores: a.scores.rtp_timing });
    assert.equal(a.scores.rtp_timing.evaluated, true, why);
    assert.equal(a.scores.rtp_timing.why, rtpClock === 'counter' ? 'periodic_clock' : null, why);
    // Both transports connected with the publisher's one certificate.
    assert.equal(facts.peer.transportsConnected, 2, why);
    assert.equal(facts.peer.refused, 0, why);
    // A socket.io client in Node is no browser page.
    assert.equal(a.scores.encoder.evaluated, true, why);
    assert.notEqual(a.scores.encoder.why, null, why);
    console.log(`rtp_timing (${rtpClock}): ${JSON.stringify(a.scores.rtp_timing.values)}`);
    await c.call('leave', {});
    publisher.close();
    assert.ok(await until(() => server.pool.sessionCount === 0, 3000));
  });
}
