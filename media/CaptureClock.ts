// Maps RTP timestamps of one video stream to wall-clock capture times.
// The mapping is anchored on the fastest transit seen so far: each frame's
// arrival minus its RTP time (in ms) is an upper bound of the sender/receiver
// clock offset plus network delay, and the smallest such value is the best
// estimate; capture time = RTP time + that offset. RTCP Sender Reports are
// counted but not used for the mapping: the ones mediasoup regenerates for
// a consumer wandered by hundreds of ms between reports on loopback, which
// made frames look older (or newer) than they were.

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
  readonly anchored: boolean;
  /** Current estimate of arrival - RTP time for the fastest frame, ms. */
  readonly offsetMs: number | undefined;
  readonly senderReports: number;
}

export class CaptureClock {
  readonly #clockRate: number;
  #lastRtp: number | undefined;
  /** RTP time of the last frame, extended past 32-bit wrap-around, in ms since the first frame. */
  #lastExtMs = 0;
  #offsetMs: number | undefined;
  #senderReports = 0;

  constructor(clockRate = 90_000) {
    if (!(clockRate > 0)) throw new TypeError('clockRate must be > 0');
    this.#clockRate = clockRate;
  }

  /** Counts an RTCP Sender Report (kept for stats; see the module header). */
  onSenderReport(_ntpUnixMs: number, _rtpTimestamp: number): void {
    this.#senderReports++;
  }

  /** Capture time (Unix ms) of a frame with this RTP timestamp that arrived at arrivalMs. */
  captureTimeMs(rtpTimestamp: number, arrivalMs: number): number {
    const ts = rtpTimestamp >>> 0;
    const extMs = this.#lastRtp === undefined ? 0 : this.#lastExtMs + (rtpDiff(ts, this.#lastRtp) * 1000) / this.#clockRate;
    this.#lastRtp = ts;
    this.#lastExtMs = extMs;
    const offset = arrivalMs - extMs;
    if (this.#offsetMs === undefined || offset < this.#offsetMs) this.#offsetMs = offset;
    return extMs + this.#offsetMs;
  }

  toJSON(): CaptureClockStats {
    return { anchored: this.#offsetMs !== undefined, offsetMs: this.#offsetMs, senderReports: this.#senderReports };
  }
}
