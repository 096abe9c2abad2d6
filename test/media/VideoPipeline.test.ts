import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RtpPacket } from 'werift';
import { FfmpegDecoder } from '../../media/FfmpegDecoder.ts';
import { encodeRtpClip, type RtpClipPacket } from '../support/rtpClip.ts';
import type { MediaError } from '../../media/errors.ts';
import type { DecodedFrame, VideoCodec } from '../../media/types.ts';
import { VideoPipeline } from '../../media/VideoPipeline.ts';

const CLIP = new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url).pathname;

async function replay(packets: readonly RtpClipPacket[], push: (p: RtpPacket) => void): Promise<void> {
  const t0 = performance.now();
  for (const p of packets) {
    const wait = p.offsetMs - (performance.now() - t0);
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    push(RtpPacket.deSerialize(p.data));
  }
}

for (const codec of ['VP8', 'H264'] as const satisfies readonly VideoCodec[]) {
  test(`VideoPipeline decodes a real ${codec} RTP stream into 640x480 rgb24 frames at the configured cadence`, async (t) => {
    const packets = await encodeRtpClip({ file: CLIP, codec, seconds: 2, fps: 15 });
    const frames: DecodedFrame[] = [];
    const keyframeRequests: string[] = [];
    const errors: MediaError[] = [];
    const pipeline = new VideoPipeline({
      codec,
      frameRate: 5,
      onFrame: (f) => frames.push(f),
      onKeyframeRequest: (r) => keyframeRequests.push(r),
      onError: (e) => errors.push(e),
    });
    t.after(() => pipeline.close());
    await replay(packets, (p) => pipeline.pushRtp(p));
    await new Promise((r) => setTimeout(r, 300));
    const stats = pipeline.toJSON();
    assert.deepEqual(errors, []);
    assert.deepEqual(keyframeRequests, ['start']);
    assert.equal(stats.depacketizer.lostPackets, 0);
    assert.ok(stats.decoder.pictures >= 25, `decoded ${stats.decoder.pictures}`);
    // 2 s at 5 fps: the sampler holds the decoded 15 fps down to ~10 frames.
    assert.ok(frames.length >= 8 && frames.length <= 12, `emitted ${frames.length}`);
    for (const f of frames) {
      assert.equal(f.image.width, 640);
      assert.equal(f.image.height, 480);
      assert.equal(f.image.data.length, 640 * 480 * 3);
      assert.ok(f.decodedAtMs >= f.arrivalTimeMs);
    }
    // Real pixels, not a blank picture.
    const first = frames[0]?.image.data ?? new Uint8Array();
    let sum = 0;
    for (let i = 0; i < first.length; i += 97) sum += first[i] ?? 0;
    assert.ok(sum > 0);
    await pipeline.close();
    assert.equal(FfmpegDecoder.openProcesses, 0);
  });
}

test('FfmpegDecoder reports decoder_failed when ffmpeg cannot start, and close() is idempotent', async () => {
  const errors: MediaError[] = [];
  const d = new FfmpegDecoder({
    codec: 'VP8',
    width: 64,
    height: 48,
    ffmpegPath: '/nonexistent/ffmpeg',
    onPicture: () => assert.fail('no picture expected'),
    onError: (e) => errors.push(e),
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.code, 'decoder_failed');
  assert.equal(d.decode({ codec: 'VP8', data: Buffer.from([1]), isKeyframe: true, rtpTimestamp: 0, arrivalTimeMs: 0, captureTimeMs: 0 }), 'dropped');
  await d.close();
  await d.close();
  assert.equal(FfmpegDecoder.openProcesses, 0);
});

test('VideoPipeline.close() stops its ffmpeg process and later packets are ignored', async () => {
  const pipeline = new VideoPipeline({
    codec: 'VP8',
    frameRate: 10,
    onFrame: () => assert.fail('no frame expected'),
    onKeyframeRequest: () => {},
    onError: () => assert.fail('no error expected'),
  });
  assert.equal(FfmpegDecoder.openProcesses, 1);
  await pipeline.close();
  assert.equal(FfmpegDecoder.openProcesses, 0);
  pipeline.pushRtp(new RtpPacket(RtpPacket.deSerialize(Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0])).header, Buffer.from([0x10, 0])));
  assert.equal(pipeline.toJSON().depacketizer.packets, 0);
});
