// Public types of the live media layer (media/): what the pipeline stages
// exchange and what a session hands to its frame consumer. Consumers (the
// liveness engine, the signaling layer) depend on these types only.
import type { RawFrame } from '../models/types.ts';

/** Video codecs the pipeline depacketizes and decodes. */
export type VideoCodec = 'VP8' | 'H264';

/** One whole encoded video frame rebuilt from RTP packets. */
export interface EncodedFrame {
  readonly codec: VideoCodec;
  /** VP8 frame bytes, or H264 Annex-B access unit (start codes included). */
  readonly data: Buffer;
  readonly isKeyframe: boolean;
  /** RTP timestamp (90 kHz clock) shared by the frame's packets. */
  readonly rtpTimestamp: number;
  /** Wall-clock ms (Date.now()) when the frame's last packet arrived. */
  readonly arrivalTimeMs: number;
  /** Wall-clock ms when the frame was captured, derived from RTP (and RTCP SR when known). */
  readonly captureTimeMs: number;
}

/** A decoded frame as handed to the frame consumer. */
export interface DecodedFrame {
  readonly image: RawFrame;
  /** Monotonic index of decoded frames in this session (before sampling). */
  readonly index: number;
  readonly rtpTimestamp: number;
  readonly captureTimeMs: number;
  readonly arrivalTimeMs: number;
  /** Wall-clock ms when the decoder returned the pixels. */
  readonly decodedAtMs: number;
}

/** Why a keyframe is requested from the publisher. */
export type KeyframeReason = 'start' | 'loss' | 'congestion' | 'decoder_restart';

/** Why a live session ended; stable strings, sent to clients. */
export type SessionEndReason =
  | 'client_left'
  | 'client_gone'
  | 'client_silent'
  | 'media_worker_died'
  | 'decoder_failed'
  | 'transport_failed'
  | 'server_closing'
  /** The service session it ran was cancelled (DELETE, on any node), expired or decided elsewhere. */
  | 'session_ended'
  | 'closed_by_server';
