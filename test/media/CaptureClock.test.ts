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
  assert.equal(c.toJSON().anchoredOn, 'arrival');
});

test('CaptureClock.captureTimeMs() uses the sender report mapping once one arrives', () => {
  const c = new CaptureClock();
  c.captureTimeMs(0, 99_999);
  c.onSenderReport(1_000_000, 0xffffff00);
  assert.equal(c.captureTimeMs(0xffffff00 + 900, 0), 1_000_010);
  assert.equal(c.captureTimeMs(644, 0), 1_000_010); // wrapped
  assert.deepEqual(c.toJSON(), { anchoredOn: 'sender_report', senderReports: 1 });
});
