// One live session's facts for the injection signals (common/injection.ts):
// the SDK's capture report, the regularity and clock drift of the RTP frames
// and of the decoded frames, the encoder fingerprint of the producer and the
// DTLS fingerprint the session is bound to. LiveSession owns one and feeds
// it; it only measures and remembers, the engine scores and decides.
//
// DTLS binding: the first transport connected binds the session to the
// fingerprint(s) its client presented (mediasoup's DTLS handshake then checks
// the client's certificate against them); every later transport of the
// session must present one of them, or is refused with peer_mismatch. The SDK
// uses one certificate for its send and receive transports for this.
import { createHash } from 'node:crypto';
import type * as ms from 'mediasoup/types';
import type { EncoderFingerprint, TransportFacts } from '../common/injection.ts';
import type { CaptureReport } from '../common/protocol/capture.ts';
import { rtpDiff } from './CaptureClock.ts';
import { MediaError } from './errors.ts';
import { TimingRegularity } from './TimingRegularity.ts';
import type { DecodedFrame } from './types.ts';

/** RTP video clock, Hz. */
const VIDEO_CLOCK_HZ = 90_000;

/** The canonical form of a DTLS fingerprint: algorithm, a space, the hex digits upper-case. */
export function fingerprintKey(f: { readonly algorithm: string; readonly value: string }): string {
  return `${f.algorithm.toLowerCase()} ${f.value.toUpperCase()}`;
}

export class InjectionProbe {
  readonly #rtp = new TimingRegularity();
  readonly #decoded = new TimingRegularity();
  readonly #userAgent: string | null;
  #lastRtpTs: number | undefined;
  #rtpUnwrapped = 0;
  #capture: CaptureReport | null = null;
  #encoder: EncoderFingerprint | null = null;
  #bound: ReadonlySet<string> | undefined;
  #connected = 0;
  #refused = 0;
  /** The binding came from an earlier session: a failed connect never drops it. */
  #inherited = false;

  /** `bound`: fingerprints (fingerprintKey form) an earlier session with this id was bound to. */
  constructor(userAgent?: string, bound?: readonly string[]) {
    this.#userAgent = userAgent === undefined || userAgent === '' ? null : userAgent.slice(0, 512);
    if (bound !== undefined && bound.length > 0) {
      this.#bound = new Set(bound);
      this.#inherited = true;
    }
  }

  /** One RTP packet of the video stream; a packet with a new timestamp starts a frame. */
  onRtp(rtpTimestamp: number, arrivalMs: number): void {
    const last = this.#lastRtpTs;
    if (last === rtpTimestamp) return;
    if (last !== undefined) {
      const d = rtpDiff(rtpTimestamp, last);
      // A retransmission of an older frame: not a new frame, and the clock does not run back.
      if (d <= 0) return;
      this.#rtpUnwrapped += d;
    }
    this.#lastRtpTs = rtpTimestamp;
    this.#rtp.processInput((this.#rtpUnwrapped * 1000) / VIDEO_CLOCK_HZ, arrivalMs);
  }

  onDecodedFrame(frame: DecodedFrame): void {
    this.#decoded.processInput(frame.captureTimeMs, frame.decodedAtMs);
  }

  /**
   * The SDK's report: a session takes one complete report, optionally
   * preceded by one partial one (same camera label, no timing yet) that the
   * complete one replaces.
   */
  reportCapture(report: CaptureReport): void {
    const prev = this.#capture;
    if (prev !== null && prev.partial !== true) throw new MediaError('conflict', 'this session already reported its capture');
    if (prev !== null && report.partial === true) throw new MediaError('conflict', 'this session already sent its partial capture report');
    if (prev !== null && (report.label !== prev.label || report.settings.deviceId !== prev.settings.deviceId)) {
      throw new MediaError('conflict', 'the complete capture report names another camera than the partial one');
    }
    this.#capture = report;
  }

  /** The publisher's RTP parameters at produce(). */
  onProduce(rtpParameters: ms.RtpParameters): void {
    const codec = rtpParameters.codecs[0];
    if (codec === undefined) return;
    const fmtp = Object.entries(codec.parameters ?? {})
      .map(([k, v]) => `${k}=${String(v)}`)
      .sort()
      .join(';');
    const headerExtensions = (rtpParameters.headerExtensions ?? []).map((h) => h.uri).sort();
    const rtcpFeedback = (codec.rtcpFeedback ?? []).map((f) => (f.parameter ? `${f.type} ${f.parameter}` : f.type)).sort();
    const hash = createHash('sha256')
      .update(JSON.stringify([codec.mimeType.toLowerCase(), fmtp, headerExtensions, rtcpFeedback, this.#userAgent]))
      .digest('hex')
      .slice(0, 16);
    this.#encoder = { mimeType: codec.mimeType, fmtp, headerExtensions, rtcpFeedback, userAgent: this.#userAgent, hash };
  }

  /**
   * A transport is about to connect with these DTLS parameters: binds the
   * session to them on the first connect; a later one presenting none of the
   * bound fingerprints is refused (MediaError peer_mismatch). Returns the
   * undo for a connect that then failed (a binding made by it is dropped).
   */
  bindPeer(dtlsParameters: ms.DtlsParameters): () => void {
    const keys = new Set(dtlsParameters.fingerprints.map(fingerprintKey));
    const bound = this.#bound;
    if (bound !== undefined && ![...keys].some((k) => bound.has(k))) {
      this.#refused++;
      throw new MediaError('peer_mismatch', 'this session is bound to the DTLS fingerprint of the peer that started it');
    }
    if (bound === undefined) this.#bound = keys;
    this.#connected++;
    return () => {
      this.#connected--;
      if (bound === undefined && !this.#inherited && this.#connected === 0) this.#bound = undefined;
    };
  }

  /** The fingerprints the session is bound to (empty before the first connect). */
  get boundFingerprints(): readonly string[] {
    return [...(this.#bound ?? [])];
  }

  toJSON(): TransportFacts {
    const bound = this.#bound;
    return {
      capture: this.#capture,
      rtp: this.#rtp.toJSON(),
      decoded: this.#decoded.toJSON(),
      encoder: this.#encoder,
      peer: {
        fingerprint: bound === undefined ? null : ([...bound].find((k) => k.startsWith('sha-256 ')) ?? [...bound][0] ?? null),
        transportsConnected: this.#connected,
        refused: this.#refused,
      },
    };
  }
}
