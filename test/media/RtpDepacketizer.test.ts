import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureClock } from '../../media/CaptureClock.ts';
import { RtpDepacketizer, type DepacketizerOutput } from '../../media/RtpDepacketizer.ts';
import { h264FuA, h264Nal, h264StapA, rtp, vp8 } from './rtpPackets.ts';

function frames(out: DepacketizerOutput[]) {
  return out.flatMap((o) => (o.kind === 'frame' ? [o.frame] : []));
}
function requests(out: DepacketizerOutput[]) {
  return out.flatMap((o) => (o.kind === 'keyframe_request' ? [o.reason] : []));
}

test('RtpDepacketizer.processInput() rebuilds a two-packet VP8 keyframe and asks for a keyframe at start', () => {
  const d = new RtpDepacketizer({ codec: 'VP8' });
  const a = d.processInput({ packet: rtp(10, 9000, false, vp8(true, true, [1, 2])), arrivalTimeMs: 1000 });
  assert.deepEqual(requests(a), ['start']);
  assert.equal(frames(a).length, 0);
  const b = d.processInput({ packet: rtp(11, 9000, true, vp8(false, true, [3, 4])), arrivalTimeMs: 1001 });
  const [f] = frames(b);
  assert.ok(f);
  assert.equal(f.isKeyframe, true);
  assert.equal(f.codec, 'VP8');
  assert.equal(f.rtpTimestamp, 9000);
  assert.equal(f.arrivalTimeMs, 1001);
  assert.deepEqual([...f.data], [0x00, 1, 2, 3, 4]);
  assert.equal(d.toJSON().frames, 1);
});

test('RtpDepacketizer.processInput() drops inter frames before the first keyframe', () => {
  const d = new RtpDepacketizer({ codec: 'VP8', keyframeRequestIntervalMs: 0 });
  const out = d.processInput({ packet: rtp(1, 0, true, vp8(true, false, [9])), arrivalTimeMs: 0 });
  assert.equal(frames(out).length, 0);
  assert.equal(d.waitingForKeyframe, true);
  assert.equal(d.toJSON().droppedFrames, 1);
});

test('RtpDepacketizer.processInput() after a sequence gap drops inter frames until a keyframe and requests one for loss', () => {
  const d = new RtpDepacketizer({ codec: 'VP8', keyframeRequestIntervalMs: 0 });
  d.processInput({ packet: rtp(1, 0, true, vp8(true, true, [1])), arrivalTimeMs: 0 });
  assert.equal(frames(d.processInput({ packet: rtp(2, 3000, true, vp8(true, false, [2])), arrivalTimeMs: 33 })).length, 1);
  // seq 3 lost
  const lost = d.processInput({ packet: rtp(4, 6000, true, vp8(true, false, [4])), arrivalTimeMs: 66 });
  assert.equal(frames(lost).length, 0);
  assert.ok(requests(lost).includes('loss'));
  assert.equal(d.toJSON().lostPackets, 1);
  assert.equal(frames(d.processInput({ packet: rtp(5, 9000, true, vp8(true, false, [5])), arrivalTimeMs: 99 })).length, 0);
  const key = frames(d.processInput({ packet: rtp(6, 12000, true, vp8(true, true, [6])), arrivalTimeMs: 132 }));
  assert.equal(key.length, 1);
  assert.equal(key[0]?.isKeyframe, true);
  assert.equal(d.waitingForKeyframe, false);
});

test('RtpDepacketizer.processInput() rate-limits keyframe requests', () => {
  const d = new RtpDepacketizer({ codec: 'VP8', keyframeRequestIntervalMs: 500 });
  let n = 0;
  for (let i = 0; i < 10; i++) {
    n += requests(d.processInput({ packet: rtp(i * 2, i * 3000, true, vp8(true, false, [i])), arrivalTimeMs: i * 10 })).length;
  }
  assert.equal(n, 1);
  n = requests(d.processInput({ packet: rtp(40, 90000, true, vp8(true, false, [1])), arrivalTimeMs: 600 })).length;
  assert.equal(n, 1);
});

test('RtpDepacketizer.processInput() ignores duplicate and late packets', () => {
  const d = new RtpDepacketizer({ codec: 'VP8' });
  d.processInput({ packet: rtp(100, 0, true, vp8(true, true, [1])), arrivalTimeMs: 0 });
  assert.deepEqual(d.processInput({ packet: rtp(100, 0, true, vp8(true, true, [1])), arrivalTimeMs: 1 }), []);
  assert.deepEqual(d.processInput({ packet: rtp(99, 0, true, vp8(true, true, [1])), arrivalTimeMs: 1 }), []);
  assert.equal(d.toJSON().latePackets, 2);
});

test('RtpDepacketizer.processInput() handles sequence number wrap-around without loss', () => {
  const d = new RtpDepacketizer({ codec: 'VP8' });
  d.processInput({ packet: rtp(0xffff, 0, true, vp8(true, true, [1])), arrivalTimeMs: 0 });
  const out = d.processInput({ packet: rtp(0, 3000, true, vp8(true, false, [2])), arrivalTimeMs: 33 });
  assert.equal(frames(out).length, 1);
  assert.equal(d.toJSON().lostPackets, 0);
});

test('RtpDepacketizer.processInput() drops a frame whose marker packet was lost when the timestamp changes', () => {
  const d = new RtpDepacketizer({ codec: 'VP8', keyframeRequestIntervalMs: 0 });
  d.processInput({ packet: rtp(1, 0, false, vp8(true, true, [1])), arrivalTimeMs: 0 });
  const out = d.processInput({ packet: rtp(2, 3000, true, vp8(true, false, [2])), arrivalTimeMs: 33 });
  assert.equal(frames(out).length, 0);
  assert.ok(requests(out).includes('loss'));
});

test('RtpDepacketizer.processInput() turns H264 STAP-A + FU-A into one Annex-B keyframe', () => {
  const d = new RtpDepacketizer({ codec: 'H264' });
  const sps = h264Nal(7, [0x42, 0x00, 0x1f]);
  const pps = h264Nal(8, [0xce, 0x3c]);
  d.processInput({ packet: rtp(1, 500, false, h264StapA([sps, pps])), arrivalTimeMs: 0 });
  d.processInput({ packet: rtp(2, 500, false, h264FuA(5, true, false, [0xaa, 0xbb])), arrivalTimeMs: 1 });
  const out = d.processInput({ packet: rtp(3, 500, true, h264FuA(5, false, true, [0xcc])), arrivalTimeMs: 2 });
  const [f] = frames(out);
  assert.ok(f);
  assert.equal(f.isKeyframe, true);
  const start = [0, 0, 0, 1];
  assert.deepEqual([...f.data], [...start, ...sps, ...start, ...pps, ...start, 0x65, 0xaa, 0xbb, 0xcc]);
});

test('RtpDepacketizer.processInput() stamps capture time from the capture clock', () => {
  const clock = new CaptureClock();
  const d = new RtpDepacketizer({ codec: 'VP8', clock });
  const [a] = frames(d.processInput({ packet: rtp(1, 90_000, true, vp8(true, true, [1])), arrivalTimeMs: 5000 }));
  const [b] = frames(d.processInput({ packet: rtp(2, 99_000, true, vp8(true, false, [1])), arrivalTimeMs: 5150 }));
  assert.equal(a?.captureTimeMs, 5000);
  assert.equal(b?.captureTimeMs, 5100);
});

test('new RtpDepacketizer() rejects an unsupported codec with a TypeError', () => {
  assert.throws(() => new RtpDepacketizer({ codec: 'VP9' as never }), TypeError);
});
