// Maps RTP timestamps of one video stream to wall-clock capture times.
// Before the first RTCP Sender Report the mapping is anchored on the first
// packet's arrival (capture ~ arrival); once an SR arrives, its NTP/RTP pair
// gives the sender's own clock, which is what frame-lag measurements need.

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Converts a 64-bit NTP timestamp to Unix milliseconds. */
export function ntpToUnixMs(ntp: bigint): number {
  const seconds = Number(ntp >> 32n);
  const fraction = Number(ntp & 0xffffffffn);
  return (seconds - NTP_UNIX_OFFSET_S) * 1000 + (fraction * 1000) / 2 ** 32;
}

/** Signed difference a - b of two 32-bit RTP timestamps, correct across wrap-around. */
export function rtpDiff(a: number, b: number): number {
  return ((a - b + 2 ** 31) >>> 0) - 2 ** 31;
}

export interface CaptureClockStats {
  readonly anchoredOn: 'none' | 'arrival' | 'sender_report';
  readonly senderReports: number;
}

export class CaptureClock {
  readonly #clockRate: number;
  #anchorRtp: number | undefined;
  #anchorMs = 0;
  #anchoredOn: CaptureClockStats['anchoredOn'] = 'none';
  #senderReports = 0;

  constructor(clockRate = 90_000) {
    if (!(clockRate > 0)) throw new TypeError('clockRate must be > 0');
    this.#clockRate = clockRate;
  }

  /** Feeds an RTCP Sender Report (NTP time in Unix ms, RTP timestamp). */
  onSenderReport(ntpUnixMs: number, rtpTimestamp: number): void {
    if (!Number.isFinite(ntpUnixMs)) return;
    this.#anchorRtp = rtpTimestamp >>> 0;
    this.#anchorMs = ntpUnixMs;
    this.#anchoredOn = 'sender_report';
    this.#senderReports++;
  }

  /** Capture time (Unix ms) of a frame with this RTP timestamp that arrived at arrivalMs. */
  captureTimeMs(rtpTimestamp: number, arrivalMs: number): number {
    if (this.#anchorRtp === undefined) {
      this.#anchorRtp = rtpTimestamp >>> 0;
      this.#anchorMs = arrivalMs;
      this.#anchoredOn = 'arrival';
    }
    return this.#anchorMs + (rtpDiff(rtpTimestamp >>> 0, this.#anchorRtp) * 1000) / this.#clockRate;
  }

  toJSON(): CaptureClockStats {
    return { anchoredOn: this.#anchoredOn, senderReports: this.#senderReports };
  }
}
