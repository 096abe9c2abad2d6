// Encodes a video file into RTP packets (VP8 or H264) with the bundled ffmpeg,
// for publishers that have no camera: tests, benchmarks and synthetic peers.
// ffmpeg paces the output in real time (-re) and sends it to a loopback UDP
// socket we own; the packets are returned with their send offsets so a
// caller can replay them at the original pace, as many times as it likes.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { bundledFfmpegPath } from '../../media/FfmpegDecoder.ts';
import { MediaError } from '../../media/errors.ts';
import type { VideoCodec } from '../../media/types.ts';

export interface RtpClipPacket {
  /** The serialized RTP packet as ffmpeg sent it. */
  readonly data: Buffer;
  /** Ms since the first packet. */
  readonly offsetMs: number;
}

/** Raw frames to encode instead of a file (e.g. frames lit by a simulated screen). */
export interface RawClipInput {
  /** Packed rgb24 frames, width * height * 3 bytes each, in display order (produced as ffmpeg reads them). */
  readonly frames: Iterable<Uint8Array>;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
}

export interface RtpClipOptions {
  /** A video file ffmpeg can read; ignored when `raw` is given. */
  readonly file: string;
  /** Encode these frames once, in order, at their own size and rate (no looping, no scaling). */
  readonly raw?: RawClipInput;
  readonly codec: VideoCodec;
  readonly seconds: number;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  readonly payloadType?: number;
  readonly ssrc?: number;
  /** Keyframe every N frames. Default 2 s worth. */
  readonly gop?: number;
  readonly ffmpegPath?: string;
}

export async function encodeRtpClip(options: RtpClipOptions): Promise<RtpClipPacket[]> {
  const fps = options.fps ?? 15;
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const port = socket.address().port;
  const packets: RtpClipPacket[] = [];
  let t0: number | undefined;
  socket.on('message', (data) => {
    const now = performance.now();
    t0 ??= now;
    packets.push({ data, offsetMs: now - t0 });
  });
  const codecArgs =
    options.codec === 'VP8'
      ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '800k', '-auto-alt-ref', '0']
      : ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-b:v', '800k'];
  const raw = options.raw;
  if (raw !== undefined && !(raw.width > 0 && raw.height > 0 && raw.fps > 0)) throw new TypeError('raw input needs a size and a frame rate');
  const input = raw
    ? ['-re', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${raw.width}x${raw.height}`, '-framerate', String(raw.fps), '-i', 'pipe:0', '-an']
    : ['-nostdin', '-re', '-stream_loop', '-1', '-i', options.file, '-t', String(options.seconds), '-an', '-vf', `scale=${width}:${height},fps=${fps}`];
  const args = [
    '-hide_banner', '-loglevel', 'error',
    ...input, '-pix_fmt', 'yuv420p',
    ...codecArgs, '-g', String(options.gop ?? fps * 2),
    '-payload_type', String(options.payloadType ?? 96), '-ssrc', String(options.ssrc ?? 0x1234),
    '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`,
  ];
  const child = spawn(options.ffmpegPath ?? bundledFfmpegPath(), args, { stdio: [raw ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  if (raw && child.stdin) {
    // ffmpeg reads at the frames' own pace (-re); the pipe buffers the rest.
    const stdin = child.stdin;
    stdin.on('error', () => undefined);
    const bytes = raw.width * raw.height * 3;
    void (async () => {
      for (const f of raw.frames) {
        // A wrong-sized frame would shear every frame after it: stop feeding; ffmpeg then fails on the short input.
        if (f.byteLength !== bytes || stdin.destroyed) break;
        if (!stdin.write(f)) await once(stdin, 'drain');
      }
      stdin.end();
    })().catch(() => stdin.destroy());
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => (stderr += s));
  const [code] = (await once(child, 'close')) as [number | null];
  // Let the last datagrams land.
  await new Promise((r) => setTimeout(r, 50));
  socket.close();
  if (code !== 0 || packets.length === 0) {
    throw new MediaError('decoder_failed', 'ffmpeg could not encode the clip to RTP', { code, stderr: stderr.slice(-500) });
  }
  return packets;
}
