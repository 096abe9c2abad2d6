import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureClock, ntpToUnixMs, rtpDiff } from '../../media/CaptureClock.ts';

test('ntpToUnixMs() converts a 64-bit NTP timestamp to Unix ms', () => {
  const unixS = 1_700_000_000;
  const ntp = (BigInt(unixS + 2_208_988_800) << 32n) | BigInt(2 ** 31); // + 0.5 s
  assert.equal(ntpToUnixMs(ntp), unixS * 1000 + 500);
});

test('rtpDiff() is signed and survives 32-bit wrap-around', () => {
  assert.equal(rtpDiff(10, 0xfffffff0), 26);
  assert.equal(rtpDiff(0xfffffff0, 10), -26);
  assert.equal(rtpDiff(3000, 0), 3000);
});

test('CaptureClock.captureTimeMs() anchors on first arrival, then follows RTP time', () => {
  const c = new CaptureClock();
  assert.equal(c.captureTimeMs(1000, 50_000), 50_000);
  assert.equal(c.captureTimeMs(1000 + 9000, 50_400), 50_100);
  assert.equal(c.toJSON().anchored, true);
});

test('CaptureClock.captureTimeMs() moves its anchor to the fastest transit seen', () => {
  const c = new CaptureClock();
  assert.equal(c.captureTimeMs(0, 10_000), 10_000); // this first frame was delayed 30 ms
  assert.equal(c.captureTimeMs(9000, 10_070), 10_070); // 100 ms later in RTP, arrived faster
  assert.equal(c.captureTimeMs(18_000, 10_500), 10_170); // a slow one does not move it back
  assert.equal(c.toJSON().offsetMs, 9970);
});

test('CaptureClock.captureTimeMs() follows RTP time across 32-bit wrap-around', () => {
  const c = new CaptureClock();
  c.captureTimeMs(0xffffff00, 1000);
  assert.equal(c.captureTimeMs(0xffffff00 + 9000 - 2 ** 32, 1200), 1100);
});

test('CaptureClock.onSenderReport() is counted without moving the mapping', () => {
  const c = new CaptureClock();
  c.captureTimeMs(0, 1000);
  c.onSenderReport(5_000_000, 0);
  assert.equal(c.captureTimeMs(9000, 1100), 1100);
  assert.equal(c.toJSON().senderReports, 1);
});
