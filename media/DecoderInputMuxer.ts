// Processor: encoded frames -> the byte stream one long-lived ffmpeg reads on
// its stdin. VP8 goes in an IVF container (a 32-byte file header, then a
// 12-byte header per frame with its size and a millisecond pts), because raw
// VP8 frames carry no framing; H264 is already framed by its Annex-B start
// codes and passes through unchanged.
import type { EncodedFrame, VideoCodec } from './types.ts';

export interface DecoderInputMuxerStats {
  readonly codec: VideoCodec;
  readonly frames: number;
  readonly bytes: number;
}

export const IVF_FILE_HEADER_BYTES = 32;
export const IVF_FRAME_HEADER_BYTES = 12;

/** The ffmpeg demuxer (-f) that reads what this muxer writes. */
export function ffmpegInputFormat(codec: VideoCodec): 'ivf' | 'h264' {
  return codec === 'VP8' ? 'ivf' : 'h264';
}

export class DecoderInputMuxer {
  readonly #codec: VideoCodec;
  readonly #width: number;
  readonly #height: number;
  #headerWritten = false;
  #firstTimestamp: number | undefined;
  #lastPts = -1;
  #frames = 0;
  #bytes = 0;

  constructor(codec: VideoCodec, size: { width: number; height: number } = { width: 640, height: 480 }) {
    if (codec !== 'VP8' && codec !== 'H264') throw new TypeError(`unsupported codec ${String(codec)}`);
    this.#codec = codec;
    this.#width = size.width;
    this.#height = size.height;
  }

  processInput(frame: EncodedFrame): Buffer[] {
    if (frame.codec !== this.#codec) {
      throw new TypeError(`muxer for ${this.#codec} got a ${frame.codec} frame`);
    }
    const out: Buffer[] = [];
    if (this.#codec === 'H264') {
      out.push(frame.data);
    } else {
      if (!this.#headerWritten) {
        out.push(this.#fileHeader());
        this.#headerWritten = true;
      }
      out.push(this.#frameHeader(frame), frame.data);
    }
    this.#frames++;
    for (const b of out) this.#bytes += b.length;
    return out;
  }

  toJSON(): DecoderInputMuxerStats {
    return { codec: this.#codec, frames: this.#frames, bytes: this.#bytes };
  }

  #fileHeader(): Buffer {
    const h = Buffer.alloc(IVF_FILE_HEADER_BYTES);
    h.write('DKIF', 0, 'ascii');
    h.writeUInt16LE(0, 4); // version
    h.writeUInt16LE(IVF_FILE_HEADER_BYTES, 6);
    h.write('VP80', 8, 'ascii');
    h.writeUInt16LE(this.#width, 12);
    h.writeUInt16LE(this.#height, 14);
    // Time base 1/1000: pts are milliseconds since the first frame.
    h.writeUInt32LE(1000, 16);
    h.writeUInt32LE(1, 20);
    h.writeUInt32LE(0, 24); // frame count unknown on a live stream
    return h;
  }

  #frameHeader(frame: EncodedFrame): Buffer {
    this.#firstTimestamp ??= frame.rtpTimestamp;
    const elapsed90k = (frame.rtpTimestamp - this.#firstTimestamp + 2 ** 32) % 2 ** 32;
    // Keep pts strictly increasing even if the sender's clock stalls.
    const pts = Math.max(Math.round(elapsed90k / 90), this.#lastPts + 1);
    this.#lastPts = pts;
    const h = Buffer.alloc(IVF_FRAME_HEADER_BYTES);
    h.writeUInt32LE(frame.data.length, 0);
    h.writeBigUInt64LE(BigInt(pts), 4);
    return h;
  }
}
