// The facts a live session gathers about the stream it receives, for the
// injection signals (issue 11): what the SDK reported about its camera,
// the timing of the RTP frames and of the decoded frames, the encoder's
// fingerprint and the peer's DTLS fingerprint. The media layer fills them
// (media/InjectionProbe.ts), the engine scores them
// (src/engine/signals/injection.ts); this is their one vocabulary.
import type { CaptureReport } from './protocol/capture.ts';

/** The injection signals, each scored by one file of src/engine/injection/. */
export const INJECTION_SIGNALS = ['capture_facts', 'rtp_timing', 'frame_timing', 'encoder', 'peer_binding'] as const;
export type InjectionSignal = (typeof INJECTION_SIGNALS)[number];

export const INJECTION_POLICIES = ['flag', 'step_up', 'block'] as const;
/** What a fired signal does: report it only, ask for one more challenge, or fail the session with injection_suspected. */
export type InjectionPolicy = (typeof INJECTION_POLICIES)[number];

/** Regularity of one stream of frames: each frame's media-clock time against its arrival time. */
export interface FrameTimingFacts {
  /** Frames measured (the last ones, bounded). */
  readonly frames: number;
  /** Span of arrival times measured, ms. */
  readonly spanMs: number;
  readonly meanIntervalMs: number;
  /** Standard deviation of the arrival intervals, ms (network and sender pacing). */
  readonly arrivalJitterMs: number;
  /** Standard deviation / mean of the media-clock intervals (0: a perfectly periodic clock). */
  readonly mediaIntervalCv: number;
  /** Distinct media-clock intervals (rounded to 0.1 ms): 1 for a synthetic periodic clock. */
  readonly distinctMediaIntervals: number;
  /** Rate of the media clock against the arrival clock, minus 1, in parts per million (from the lower envelope of transit). */
  readonly driftPpm: number;
  /** RMS of the arrival times around that fit, ms. */
  readonly residualMs: number;
}

/** What the publisher's RTP parameters and user agent say about the encoder. */
export interface EncoderFingerprint {
  /** e.g. video/VP8 */
  readonly mimeType: string;
  /** The codec's fmtp parameters, key=value sorted and joined with ';'. */
  readonly fmtp: string;
  readonly headerExtensions: readonly string[];
  readonly rtcpFeedback: readonly string[];
  /** The signaling connection's User-Agent header, when it sent one. */
  readonly userAgent: string | null;
  /** Short stable summary of all of the above (for grouping sessions by client stack). */
  readonly hash: string;
}

/** The DTLS fingerprint the session is bound to, and the connects it refused for presenting another. */
export interface PeerBindingFacts {
  readonly fingerprint: string | null;
  readonly transportsConnected: number;
  readonly refused: number;
}

export interface TransportFacts {
  /** What the SDK reported (null until it does; clients without the SDK never do). */
  readonly capture: CaptureReport | null;
  /** RTP frames: RTP timestamp clock against packet arrival. */
  readonly rtp: FrameTimingFacts | null;
  /** Decoded frames: capture time against decode time. */
  readonly decoded: FrameTimingFacts | null;
  readonly encoder: EncoderFingerprint | null;
  readonly peer: PeerBindingFacts;
}
