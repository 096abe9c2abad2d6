// Regression (issue 13, defect 9): over signaling, an unsupported codec,
// H264 on payload type 0 and a second connectTransport answered
// internal_error instead of a client error, and ssrc values above 2^32 - 1
// were accepted. Real mediasoup worker, real socket.io server on loopback.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RequestDataSchemas } from '../../common/protocol/signaling.ts';
import { SignalingClient, startLiveServer, type LiveServer } from './liveServer.ts';

let server: LiveServer;
before(async () => {
  server = await startLiveServer({ sinkFactory: () => ({ onFrame: () => undefined, onMessage: () => undefined, onEnd: () => undefined }) });
});
after(() => server.close());

const FINGERPRINT = { algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') };
const vp8 = { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] };

async function joinedTransport(): Promise<{ c: SignalingClient; transportId: string }> {
  const c = await SignalingClient.connect(server.url);
  await c.join(server.token());
  const t = await c.call<{ id: string }>('createTransport', { direction: 'send' });
  return { c, transportId: t.id };
}

test('the signaling schema refuses an ssrc above 2^32 - 1 and accepts 2^32 - 1', () => {
  const produce = (ssrc: number) =>
    RequestDataSchemas.produce.safeParse({ transportId: 't', kind: 'video', rtpParameters: { codecs: [vp8], encodings: [{ ssrc }] } }).success;
  assert.equal(produce(2 ** 32 - 1), true);
  assert.equal(produce(2 ** 32), false);
  assert.equal(produce(2 ** 32 + 5), false);
  assert.equal(produce(-1), false);
});

test('produce with an ssrc above 2^32 - 1 is refused with invalid_request', async (t) => {
  const { c, transportId } = await joinedTransport();
  t.after(() => c.close());
  const r = await c.request('produce', { transportId, kind: 'video', rtpParameters: { codecs: [vp8], encodings: [{ ssrc: 2 ** 32 + 5 }] } });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'invalid_request');
});

for (const [name, codec] of [
  ['an unsupported codec', { mimeType: 'video/XYZ', payloadType: 96, clockRate: 90000 }],
  ['H264 on payload type 0', { mimeType: 'video/H264', payloadType: 0, clockRate: 90000 }],
  ['VP8 on payload type 0 at clock rate 1', { mimeType: 'video/VP8', payloadType: 0, clockRate: 1 }],
] as const) {
  test(`produce with ${name} answers a client error (rtp_invalid), not internal_error`, async (t) => {
    const { c, transportId } = await joinedTransport();
    t.after(() => c.close());
    const r = await c.request('produce', { transportId, kind: 'video', rtpParameters: { codecs: [codec], encodings: [{ ssrc: 1234 }] } });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'rtp_invalid', JSON.stringify(r));
  });
}

test('a second connectTransport answers conflict, not internal_error', async (t) => {
  const { c, transportId } = await joinedTransport();
  t.after(() => c.close());
  const dtlsParameters = { role: 'auto', fingerprints: [FINGERPRINT] };
  assert.deepEqual(await c.request('connectTransport', { transportId, dtlsParameters }), { ok: true, data: {} });
  const again = await c.request('connectTransport', { transportId, dtlsParameters });
  assert.equal(again.ok, false);
  assert.equal(!again.ok && again.error.code, 'conflict', JSON.stringify(again));
});
