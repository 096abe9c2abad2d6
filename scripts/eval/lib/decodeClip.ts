// Decodes a recorded clip into RawFrames at the live path's cadence with the
// ffmpeg binary (rawvideo rgb24 over a pipe), for the eval harness and tests.
// Recorded clips stand in for a camera; product code never needs this.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { RawFrame } from '../../../models/types.ts';
import { FacegateError } from '../../../common/errors.ts';

const require = createRequire(import.meta.url);

export function ffmpegPath(): string {
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

export interface DecodeOptions {
  /** Frames per second delivered (the live cadence). Default 10. */
  readonly fps?: number;
  /** Longest side of the delivered frames; smaller clips are not upscaled. Default 640. */
  readonly maxSide?: number;
  /** Stop after this many seconds of clip. */
  readonly maxSeconds?: number;
  /** Start this many seconds into the clip. */
  readonly startSeconds?: number;
  /** Force an exact output size (frames of two clips spliced together). */
  readonly size?: { readonly width: number; readonly height: number };
}

export interface TimedFrame {
  readonly frame: RawFrame;
  /** Capture time relative to the first delivered frame, ms. */
  readonly t: number;
}

/** Width and height as displayed (rotation metadata applied), from ffmpeg's stream banner. */
export async function probeSize(file: string): Promise<{ width: number; height: number }> {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(ffmpegPath(), ['-hide_banner', '-i', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let s = '';
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d: string) => (s += d));
    p.on('error', reject);
    p.on('close', () => resolve(s));
  });
  const m = /Video: .*?(\d{2,5})x(\d{2,5})/.exec(out);
  if (!m) throw new FacegateError('decoder_failed', 'no video stream found', { file });
  let width = Number(m[1]);
  let height = Number(m[2]);
  const rot = /rotation of (-?\d+(?:\.\d+)?) degrees|rotate\s*:\s*(-?\d+)/.exec(out);
  const deg = rot ? Math.abs(Number(rot[1] ?? rot[2])) % 180 : 0;
  if (deg === 90) [width, height] = [height, width];
  return { width, height };
}

function outputSize(w: number, h: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(w, h));
  const even = (v: number): number => Math.max(2, 2 * Math.round((v * s) / 2));
  return { width: even(w), height: even(h) };
}

/**
 * Yields frames at `fps` with timestamps t = i * 1000 / fps. Breaking out of
 * the loop kills ffmpeg.
 */
export async function* decodeClip(file: string, options: DecodeOptions = {}): AsyncGenerator<TimedFrame> {
  const fps = options.fps ?? 10;
  if (!(fps > 0 && fps <= 60)) throw new TypeError('fps must be in (0, 60]');
  const size = options.size ?? outputSize(...Object.values(await probeSize(file)) as [number, number], options.maxSide ?? 640);
  const args = ['-v', 'error'];
  if (options.startSeconds) args.push('-ss', String(options.startSeconds));
  args.push('-i', file);
  if (options.maxSeconds) args.push('-t', String(options.maxSeconds));
  args.push('-vf', `fps=${fps},scale=${size.width}:${size.height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const proc = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => (err = (err + d).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const frameBytes = size.width * size.height * 3;
  let buf: Buffer = Buffer.alloc(0);
  let i = 0;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= frameBytes) {
        const data = new Uint8Array(frameBytes);
        data.set(buf.subarray(0, frameBytes));
        buf = buf.subarray(frameBytes);
        yield { frame: { data, width: size.width, height: size.height, stride: size.width * 3, format: 'rgb24' }, t: Math.round((i++ * 1000) / fps) };
      }
    }
    const code = await exited;
    if (code !== 0) throw new FacegateError('decoder_failed', 'ffmpeg failed to decode the clip', { file, code, stderr: err });
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}
