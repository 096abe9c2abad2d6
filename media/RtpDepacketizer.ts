// Processor: RTP packets of one video stream -> whole encoded frames (VP8 or
// H264 Annex-B). Packets are grouped by RTP timestamp and closed by the
// marker bit; the codec payload parsing is werift's. A gap in sequence
// numbers breaks the frame in progress and everything up to the next
// keyframe (inter frames after a loss would decode to garbage), and asks for
// a keyframe; so does the start of the stream. Keyframe requests are rate
// limited so a lossy link does not flood the sender with PLIs.
import { dePacketizeRtpPackets, type RtpPacket } from 'werift';
import { CaptureClock } from './CaptureClock.ts';
import type { EncodedFrame, KeyframeReason, VideoCodec } from './types.ts';

export interface DepacketizerInput {
  readonly packet: RtpPacket;
  /** Wall-clock ms when the packet arrived. */
  readonly arrivalTimeMs: number;
}

export type DepacketizerOutput =
  | { readonly kind: 'frame'; readonly frame: EncodedFrame }
  | { readonly kind: 'keyframe_request'; readonly reason: KeyframeReason };

export interface RtpDepacketizerOptions {
  readonly codec: VideoCodec;
  /** Minimum ms between two keyframe requests. Default 500. */
  readonly keyframeRequestIntervalMs?: number;
  /** Largest encoded frame accepted, bytes. Default 4 MiB. */
  readonly maxFrameBytes?: number;
  readonly clock?: CaptureClock;
}

export interface RtpDepacketizerStats {
  readonly codec: VideoCodec;
  readonly packets: number;
  readonly frames: number;
  readonly keyframes: number;
  readonly lostPackets: number;
  readonly droppedFrames: number;
  readonly latePackets: number;
  readonly keyframeRequests: number;
  readonly waitingForKeyframe: boolean;
}

const WERIFT_CODEC: Record<VideoCodec, 'VP8' | 'MPEG4/ISO/AVC'> = { VP8: 'VP8', H264: 'MPEG4/ISO/AVC' };

export class RtpDepacketizer {
  readonly #codec: VideoCodec;
  readonly #requestIntervalMs: number;
  readonly #maxFrameBytes: number;
  readonly #clock: CaptureClock;
  #buffer: RtpPacket[] = [];
  #bufferBytes = 0;
  #bufferTimestamp: number | undefined;
  #broken = false;
  #lastSeq: number | undefined;
  #waitingForKeyframe = true;
  #lastRequestMs = -Infinity;
  #packets = 0;
  #frames = 0;
  #keyframes = 0;
  #lostPackets = 0;
  #droppedFrames = 0;
  #latePackets = 0;
  #keyframeRequests = 0;

  constructor(options: RtpDepacketizerOptions) {
    if (options.codec !== 'VP8' && options.codec !== 'H264') {
      throw new TypeError(`unsupported codec ${String(options.codec)}`);
    }
    this.#codec = options.codec;
    this.#requestIntervalMs = options.keyframeRequestIntervalMs ?? 500;
    this.#maxFrameBytes = options.maxFrameBytes ?? 4 * 1024 * 1024;
    this.#clock = options.clock ?? new CaptureClock();
  }

  get waitingForKeyframe(): boolean {
    return this.#waitingForKeyframe;
  }

  /** Forces the next frames to be dropped until a keyframe (e.g. after the decoder was restarted). */
  requireKeyframe(reason: KeyframeReason, nowMs: number): DepacketizerOutput[] {
    this.#waitingForKeyframe = true;
    return this.#request(reason, nowMs);
  }

  processInput(input: DepacketizerInput): DepacketizerOutput[] {
    const { packet, arrivalTimeMs } = input;
    const out: DepacketizerOutput[] = [];
    const { timestamp, marker } = packet.header;
    this.#packets++;
    if (!this.#inSequence(packet.header.sequenceNumber, arrivalTimeMs, out)) return out;

    if (this.#bufferTimestamp !== undefined && timestamp !== this.#bufferTimestamp) {
      // The previous frame never saw its marker packet: it is incomplete.
      this.#dropBuffer();
      this.#waitingForKeyframe = true;
      out.push(...this.#request('loss', arrivalTimeMs));
    }
    this.#bufferTimestamp = timestamp;
    this.#buffer.push(packet);
    this.#bufferBytes += packet.payload.length;
    if (this.#bufferBytes > this.#maxFrameBytes) {
      this.#broken = true;
    }
    if (marker) this.#completeFrame(timestamp, arrivalTimeMs, out);
    return out;
  }

  /**
   * Tracks the sequence number: false for a duplicate or late packet (to be
   * dropped); a gap drops the frame in progress and asks for a keyframe.
   */
  #inSequence(seq: number, arrivalTimeMs: number, out: DepacketizerOutput[]): boolean {
    if (this.#lastSeq !== undefined) {
      const delta = (seq - this.#lastSeq + 0x10000) & 0xffff;
      if (delta === 0 || delta > 0x8000) {
        // Duplicate or older than what we already passed: a retransmission that came too late.
        this.#latePackets++;
        return false;
      }
      if (delta > 1) {
        this.#lostPackets += delta - 1;
        this.#dropBuffer();
        this.#waitingForKeyframe = true;
        out.push(...this.#request('loss', arrivalTimeMs));
      }
    } else {
      out.push(...this.#request('start', arrivalTimeMs));
    }
    this.#lastSeq = seq;
    return true;
  }

  /** The marker packet arrived: depacketize the buffered frame and emit it, or drop it and ask for a keyframe. */
  #completeFrame(timestamp: number, arrivalTimeMs: number, out: DepacketizerOutput[]): void {
    const packets = this.#buffer;
    const broken = this.#broken;
    this.#buffer = [];
    this.#bufferBytes = 0;
    this.#bufferTimestamp = undefined;
    this.#broken = false;
    const parsed = broken ? undefined : this.#depacketize(packets);
    if (parsed === undefined) {
      this.#droppedFrames++;
      this.#waitingForKeyframe = true;
      out.push(...this.#request('loss', arrivalTimeMs));
      return;
    }
    if (parsed.data.length === 0) {
      this.#droppedFrames++;
      return;
    }
    if (parsed.isKeyframe) {
      this.#waitingForKeyframe = false;
    } else if (this.#waitingForKeyframe) {
      this.#droppedFrames++;
      out.push(...this.#request('loss', arrivalTimeMs));
      return;
    }
    this.#frames++;
    if (parsed.isKeyframe) this.#keyframes++;
    out.push({
      kind: 'frame',
      frame: {
        codec: this.#codec,
        data: parsed.data,
        isKeyframe: parsed.isKeyframe,
        rtpTimestamp: timestamp,
        arrivalTimeMs,
        captureTimeMs: this.#clock.captureTimeMs(timestamp, arrivalTimeMs),
      },
    });
  }

  /** werift's depacketizer; undefined for packets it cannot reassemble. */
  #depacketize(packets: RtpPacket[]): { data: Buffer; isKeyframe: boolean } | undefined {
    try {
      return dePacketizeRtpPackets(WERIFT_CODEC[this.#codec], packets);
    } catch {
      return undefined;
    }
  }


  toJSON(): RtpDepacketizerStats {
    return {
      codec: this.#codec,
      packets: this.#packets,
      frames: this.#frames,
      keyframes: this.#keyframes,
      lostPackets: this.#lostPackets,
      droppedFrames: this.#droppedFrames,
      latePackets: this.#latePackets,
      keyframeRequests: this.#keyframeRequests,
      waitingForKeyframe: this.#waitingForKeyframe,
    };
  }

  #dropBuffer(): void {
    if (this.#buffer.length > 0) this.#droppedFrames++;
    this.#buffer = [];
    this.#bufferBytes = 0;
    this.#bufferTimestamp = undefined;
    this.#broken = false;
  }

  #request(reason: KeyframeReason, nowMs: number): DepacketizerOutput[] {
    if (nowMs - this.#lastRequestMs < this.#requestIntervalMs) return [];
    this.#lastRequestMs = nowMs;
    this.#keyframeRequests++;
    return [{ kind: 'keyframe_request', reason }];
  }
}
