// One long-lived ffmpeg process per session that decodes an encoded video
// stream fed through its stdin (IVF for VP8, Annex-B for H264) into packed
// rgb24 frames of a fixed size on its stdout. ffmpeg runs single-threaded
// (frame threading would add one frame of delay per thread) with passthrough
// sync, so it returns exactly one picture per decodable input frame; the
// frame metadata (RTP and capture times) is paired with the pictures in order.
// When ffmpeg cannot keep up (stdin backpressure) input is dropped, not
// queued, until the pipe drains and a keyframe comes.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import { DecoderInputMuxer, ffmpegInputFormat } from './DecoderInputMuxer.ts';
import { MediaError } from './errors.ts';
import { RawFrameSplitter } from './RawFrameSplitter.ts';
import type { EncodedFrame, VideoCodec } from './types.ts';

export interface FrameTiming {
  readonly rtpTimestamp: number;
  readonly captureTimeMs: number;
  readonly arrivalTimeMs: number;
}

export interface FfmpegDecoderOptions {
  readonly codec: VideoCodec;
  /** Output size; the picture is scaled to fit and padded, keeping its aspect. */
  readonly width: number;
  readonly height: number;
  readonly ffmpegPath?: string;
  readonly onPicture: (pixels: Buffer, timing: FrameTiming) => void;
  /** Called once if ffmpeg exits while the decoder is open. */
  readonly onError: (error: MediaError) => void;
}

export type DecodeResult = 'written' | 'dropped';

export interface FfmpegDecoderStats {
  readonly codec: VideoCodec;
  readonly pid: number | undefined;
  readonly written: number;
  readonly dropped: number;
  readonly pictures: number;
  readonly congested: boolean;
}

/** Metadata of frames in flight inside ffmpeg; more than this means pictures were lost. */
const MAX_IN_FLIGHT = 64;

let defaultFfmpegPath: string | undefined;
export function bundledFfmpegPath(): string {
  if (defaultFfmpegPath === undefined) {
    const require = createRequire(import.meta.url);
    defaultFfmpegPath = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  }
  return defaultFfmpegPath;
}

export class FfmpegDecoder {
  static #open = 0;
  /** ffmpeg processes started by this module and not yet exited (leak checks). */
  static get openProcesses(): number {
    return FfmpegDecoder.#open;
  }

  readonly #codec: VideoCodec;
  readonly #muxer: DecoderInputMuxer;
  readonly #splitter: RawFrameSplitter;
  readonly #process: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #onPicture: FfmpegDecoderOptions['onPicture'];
  readonly #onError: FfmpegDecoderOptions['onError'];
  readonly #inFlight: FrameTiming[] = [];
  readonly #exited: Promise<void>;
  #stderrTail = '';
  #closed = false;
  #congested = false;
  #needKeyframe = false;
  #written = 0;
  #dropped = 0;
  #pictures = 0;

  constructor(options: FfmpegDecoderOptions) {
    const { codec, width, height } = options;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width % 2 || height % 2) {
      throw new TypeError('width and height must be even integers >= 16');
    }
    this.#codec = codec;
    this.#muxer = new DecoderInputMuxer(codec, { width, height });
    this.#splitter = new RawFrameSplitter(width * height * 3);
    this.#onPicture = options.onPicture;
    this.#onError = options.onError;
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-threads', '1', '-flags', 'low_delay',
      '-probesize', '32', '-analyzeduration', '0',
      '-f', ffmpegInputFormat(codec), '-i', 'pipe:0',
      '-an', '-vsync', 'passthrough',
      '-vf', `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`,
      '-threads', '1', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1',
    ];
    this.#process = spawn(options.ffmpegPath ?? bundledFfmpegPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    FfmpegDecoder.#open++;
    this.#exited = new Promise((resolve) => {
      this.#process.once('close', (code, signal) => {
        FfmpegDecoder.#open--;
        resolve();
        if (!this.#closed) {
          this.#closed = true;
          this.#onError(
            new MediaError('decoder_failed', 'the video decoder exited', {
              code,
              signal,
              stderr: this.#stderrTail.slice(-500),
            }),
          );
        }
      });
    });
    this.#process.once('error', () => {
      // 'close' follows and reports; this listener keeps the error from being thrown.
    });
    this.#process.stdin.on('error', () => {
      // EPIPE when ffmpeg died: reported through 'close'.
    });
    this.#process.stderr.setEncoding('utf8');
    this.#process.stderr.on('data', (s: string) => {
      this.#stderrTail = (this.#stderrTail + s).slice(-2000);
    });
    this.#process.stdout.on('data', (chunk: Buffer) => {
      for (const pixels of this.#splitter.processInput(chunk)) {
        const timing = this.#inFlight.shift();
        if (timing === undefined || this.#closed) continue;
        this.#pictures++;
        this.#onPicture(pixels, timing);
      }
    });
    this.#process.stdin.on('drain', () => {
      this.#congested = false;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  /**
   * Feeds one encoded frame. Returns 'dropped' when ffmpeg is behind (or a
   * keyframe is needed after a drop): the caller should request a keyframe.
   */
  decode(frame: EncodedFrame): DecodeResult {
    if (this.#closed) return 'dropped';
    if (frame.codec !== this.#codec) throw new TypeError(`decoder for ${this.#codec} got ${frame.codec}`);
    if (this.#congested || (this.#needKeyframe && !frame.isKeyframe)) {
      this.#needKeyframe = true;
      this.#dropped++;
      return 'dropped';
    }
    this.#needKeyframe = false;
    this.#inFlight.push({
      rtpTimestamp: frame.rtpTimestamp,
      captureTimeMs: frame.captureTimeMs,
      arrivalTimeMs: frame.arrivalTimeMs,
    });
    if (this.#inFlight.length > MAX_IN_FLIGHT) this.#inFlight.shift();
    let ok = true;
    for (const chunk of this.#muxer.processInput(frame)) ok = this.#process.stdin.write(chunk) && ok;
    this.#written++;
    if (!ok) this.#congested = true;
    return 'written';
  }

  /** Stops ffmpeg; resolves when the process has exited. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#process.stdin.destroy();
      this.#process.stdout.destroy();
      this.#process.kill('SIGKILL');
    }
    await this.#exited;
  }

  toJSON(): FfmpegDecoderStats {
    return {
      codec: this.#codec,
      pid: this.#process.pid,
      written: this.#written,
      dropped: this.#dropped,
      pictures: this.#pictures,
      congested: this.#congested,
    };
  }
}
