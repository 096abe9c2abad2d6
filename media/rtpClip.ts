// Encodes a video file into RTP packets (VP8 or H264) with the bundled ffmpeg,
// for publishers that have no camera: tests, benchmarks and synthetic peers.
// ffmpeg paces the output in real time (-re) and sends it to a loopback UDP
// socket we own; the packets are returned with their send offsets so a
// caller can replay them at the original pace, as many times as it likes.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { bundledFfmpegPath } from './FfmpegDecoder.ts';
import { MediaError } from './errors.ts';
import type { VideoCodec } from './types.ts';

export interface RtpClipPacket {
  /** The serialized RTP packet as ffmpeg sent it. */
  readonly data: Buffer;
  /** Ms since the first packet. */
  readonly offsetMs: number;
}

export interface RtpClipOptions {
  readonly file: string;
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
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
    '-stream_loop', '-1', '-i', options.file, '-t', String(options.seconds), '-an',
    '-vf', `scale=${width}:${height},fps=${fps}`, '-pix_fmt', 'yuv420p',
    ...codecArgs, '-g', String(options.gop ?? fps * 2),
    '-payload_type', String(options.payloadType ?? 96), '-ssrc', String(options.ssrc ?? 0x1234),
    '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`,
  ];
  const child = spawn(options.ffmpegPath ?? bundledFfmpegPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  const [code] = (await once(child, 'close')) as [number | null];
  // Let the last datagrams land.
  await new Promise((r) => setTimeout(r, 50));
  socket.close();
  if (code !== 0 || packets.length === 0) {
    throw new MediaError('decoder_failed', 'ffmpeg could not encode the clip to RTP', { code, stderr: stderr.slice(-500) });
  }
  return packets;
}
