// The decode pipeline of one live video track: RTP -> RtpDepacketizer ->
// FfmpegDecoder -> FrameSampler -> consumer. It owns the decoder process and
// the cadence timer; keyframe requests go out through a callback (the owner
// turns them into RTCP PLI). Transport-agnostic: any RTP source can feed it.
import type { RtpPacket } from 'werift';
import { CaptureClock } from './CaptureClock.ts';
import type { MediaError } from './errors.ts';
import { FfmpegDecoder, type FfmpegDecoderStats, type FrameTiming } from './FfmpegDecoder.ts';
import { FrameSampler, type FrameSamplerStats } from './FrameSampler.ts';
import { RtpDepacketizer, type RtpDepacketizerStats } from './RtpDepacketizer.ts';
import type { DecodedFrame, KeyframeReason, VideoCodec } from './types.ts';

export interface VideoPipelineOptions {
  readonly codec: VideoCodec;
  readonly frameRate: number;
  readonly width?: number;
  readonly height?: number;
  readonly ffmpegPath?: string;
  readonly onFrame: (frame: DecodedFrame) => void;
  readonly onKeyframeRequest: (reason: KeyframeReason) => void;
  /** The decoder died; the pipeline is closed. */
  readonly onError: (error: MediaError) => void;
  readonly now?: () => number;
}

export interface VideoPipelineStats {
  readonly depacketizer: RtpDepacketizerStats;
  readonly decoder: FfmpegDecoderStats;
  readonly sampler: FrameSamplerStats;
  readonly clock: ReturnType<CaptureClock['toJSON']>;
}

export class VideoPipeline {
  readonly #clock = new CaptureClock(90_000);
  readonly #depacketizer: RtpDepacketizer;
  readonly #decoder: FfmpegDecoder;
  readonly #sampler: FrameSampler;
  readonly #width: number;
  readonly #height: number;
  readonly #onFrame: VideoPipelineOptions['onFrame'];
  readonly #onKeyframeRequest: VideoPipelineOptions['onKeyframeRequest'];
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #decodedIndex = 0;
  #closed = false;

  constructor(options: VideoPipelineOptions) {
    this.#width = options.width ?? 640;
    this.#height = options.height ?? 480;
    this.#onFrame = options.onFrame;
    this.#onKeyframeRequest = options.onKeyframeRequest;
    this.#now = options.now ?? Date.now;
    this.#depacketizer = new RtpDepacketizer({ codec: options.codec, clock: this.#clock });
    this.#sampler = new FrameSampler({ frameRate: options.frameRate });
    this.#decoder = new FfmpegDecoder({
      codec: options.codec,
      width: this.#width,
      height: this.#height,
      ...(options.ffmpegPath !== undefined ? { ffmpegPath: options.ffmpegPath } : {}),
      onPicture: (pixels, timing) => this.#onPicture(pixels, timing),
      onError: (error) => {
        if (this.#closed) return;
        void this.close();
        options.onError(error);
      },
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Feeds one RTP packet of the track. */
  pushRtp(packet: RtpPacket, arrivalTimeMs: number = this.#now()): void {
    if (this.#closed) return;
    for (const out of this.#depacketizer.processInput({ packet, arrivalTimeMs })) {
      if (out.kind === 'keyframe_request') {
        this.#onKeyframeRequest(out.reason);
      } else if (this.#decoder.decode(out.frame) === 'dropped') {
        for (const r of this.#depacketizer.requireKeyframe('congestion', arrivalTimeMs)) {
          if (r.kind === 'keyframe_request') this.#onKeyframeRequest(r.reason);
        }
      }
    }
  }

  /** Feeds an RTCP Sender Report of the track (NTP time already in Unix ms). */
  pushSenderReport(ntpUnixMs: number, rtpTimestamp: number): void {
    if (!this.#closed) this.#clock.onSenderReport(ntpUnixMs, rtpTimestamp);
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    await this.#decoder.close();
  }

  toJSON(): VideoPipelineStats {
    return {
      depacketizer: this.#depacketizer.toJSON(),
      decoder: this.#decoder.toJSON(),
      sampler: this.#sampler.toJSON(),
      clock: this.#clock.toJSON(),
    };
  }

  #onPicture(pixels: Buffer, timing: FrameTiming): void {
    if (this.#closed) return;
    const now = this.#now();
    const frame: DecodedFrame = {
      image: { data: pixels, width: this.#width, height: this.#height, stride: this.#width * 3, format: 'rgb24' },
      index: this.#decodedIndex++,
      rtpTimestamp: timing.rtpTimestamp,
      captureTimeMs: timing.captureTimeMs,
      arrivalTimeMs: timing.arrivalTimeMs,
      decodedAtMs: now,
    };
    this.#emit(this.#sampler.processInput({ frame, nowMs: now }));
  }

  #emit(frames: DecodedFrame[]): void {
    for (const f of frames) this.#onFrame(f);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const due = this.#sampler.nextDueInMs(this.#now());
    if (due === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#emit(this.#sampler.tick(this.#now()));
    }, Math.ceil(due));
  }
}
