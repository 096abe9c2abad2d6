import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ms from 'mediasoup/types';
import { fingerprintKey, InjectionProbe } from '../../media/InjectionProbe.ts';
import { MediaError } from '../../media/errors.ts';

const dtls = (value: string): ms.DtlsParameters => ({ role: 'auto', fingerprints: [{ algorithm: 'sha-256', value }] });
const isMismatch = (e: unknown) => e instanceof MediaError && e.code === 'peer_mismatch';

test('bindPeer() binds the session to the first fingerprint and refuses another with peer_mismatch', () => {
  const p = new InjectionProbe('Chrome/131');
  p.bindPeer(dtls('ab:cd'));
  p.bindPeer(dtls('AB:CD')); // the same fingerprint, other case
  assert.throws(() => p.bindPeer(dtls('EF:01')), isMismatch);
  assert.deepEqual(p.boundFingerprints, ['sha-256 AB:CD']);
  assert.deepEqual(p.toJSON().peer, { fingerprint: 'sha-256 AB:CD', transportsConnected: 2, refused: 1 });
});

test('bindPeer() undo drops a binding whose connect failed; an inherited binding stays', () => {
  const p = new InjectionProbe();
  const undo = p.bindPeer(dtls('11:22'));
  undo();
  assert.deepEqual(p.boundFingerprints, []);
  p.bindPeer(dtls('33:44'));
  assert.deepEqual(p.boundFingerprints, ['sha-256 33:44']);
  const inherited = new InjectionProbe(undefined, [fingerprintKey({ algorithm: 'SHA-256', value: '55:66' })]);
  assert.throws(() => inherited.bindPeer(dtls('77:88')), isMismatch);
  inherited.bindPeer(dtls('55:66'))();
  assert.deepEqual(inherited.boundFingerprints, ['sha-256 55:66']);
});

test('onRtp() counts a frame per new RTP timestamp, across the 32-bit wrap, and skips retransmitted older frames', () => {
  const p = new InjectionProbe();
  let ts = 2 ** 32 - 3 * 6000;
  for (let k = 0; k < 10; k++) {
    p.onRtp(ts % 2 ** 32, k * 66.667);
    p.onRtp(ts % 2 ** 32, k * 66.667 + 1); // a second packet of the frame
    if (k === 5) p.onRtp((ts - 12_000) % 2 ** 32, k * 66.667 + 2); // a retransmission
    ts += 6000;
  }
  const rtp = p.toJSON().rtp!;
  assert.equal(rtp.frames, 10);
  assert.ok(Math.abs(rtp.meanIntervalMs - 66.667) < 0.5);
  assert.equal(rtp.distinctMediaIntervals, 1);
});

test('onProduce() fingerprints codec, fmtp, header extensions, feedback and user agent; reportCapture() takes one report, after at most one partial one for the same camera', () => {
  const p = new InjectionProbe('Mozilla/5.0 Chrome/131.0');
  p.onProduce({
    codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: { 'profile-level-id': '42e01f', 'packetization-mode': 1 }, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }, { type: 'transport-cc' }] }],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }, { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', id: 2 }],
  } as ms.RtpParameters);
  const e = p.toJSON().encoder!;
  assert.equal(e.fmtp, 'packetization-mode=1;profile-level-id=42e01f');
  assert.deepEqual(e.rtcpFeedback, ['nack pli', 'transport-cc']);
  assert.equal(e.headerExtensions.length, 2);
  assert.match(e.hash, /^[0-9a-f]{16}$/);
  const report = { label: 'cam', settings: {}, frameTiming: { source: 'none' as const, frames: 0, meanIntervalMs: 0, jitterMs: 0 }, userAgent: '' };
  const conflict = (err: unknown) => err instanceof MediaError && err.code === 'conflict';
  p.reportCapture({ ...report, partial: true });
  assert.equal(p.toJSON().capture?.partial, true);
  assert.throws(() => p.reportCapture({ ...report, partial: true }), conflict, 'one partial report');
  assert.throws(() => p.reportCapture({ ...report, label: 'OBS Virtual Camera' }), conflict, 'the complete report names the same camera');
  assert.equal(p.toJSON().capture?.label, 'cam', 'a refused report changes nothing');
  const timed = { ...report, frameTiming: { source: 'track_processor' as const, frames: 30, meanIntervalMs: 66.7, jitterMs: 2.1 } };
  p.reportCapture(timed);
  assert.deepEqual(p.toJSON().capture, timed, 'the complete report replaces the partial one');
  assert.throws(() => p.reportCapture(timed), conflict);
  const direct = new InjectionProbe('');
  direct.reportCapture(report);
  assert.throws(() => direct.reportCapture({ ...report, partial: true }), conflict, 'nothing follows a complete report');
});
