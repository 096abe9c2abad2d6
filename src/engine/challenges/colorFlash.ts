// The colour-flash challenge (live path only): the page paints a random colour
// sequence full-screen and the face must reflect it in step, at a lag the
// round trip plus display and camera latency explain (signals/colorFlash.ts).
// Scored once, when every alignment searched has its frames; not a reaction:
// the lag is optics, reported in the signal. Gentle by default: the palette is
// desaturated and dimmed (options.flash.palette, from LIVENESS_FLASH_*), the
// colours change at most MAX_FLASH_CHANGES_PER_S times a second, and the
// first colour comes options.flash.noticeMs after the prompt, which tells the
// user the screen is about to change colour.
import { median } from '../../../common/vector.ts';
import type { FrameEvidence } from '../FrameEvidence.ts';
import type { SessionOptions } from '../options.ts';
import { flashRtt, flashSettleMs, generateFlashSequence, minFlashStepMs, scoreFlash } from '../signals/colorFlash.ts';
import type { ChallengeType } from './ChallengeType.ts';

/** Photosensitivity: the general flash threshold (WCAG 2.3.1) is three flashes in any one second. */
export const MAX_FLASH_CHANGES_PER_S = 3;

/** The prompt: it comes noticeMs before the first colour, so it is the notice. */
export const FLASH_PROMPT = 'The screen will change colour for a few seconds. Keep looking at the screen';

/**
 * Flash step length for the cadence frames are analysed at: a step needs
 * about 2.5 frames to be decoded, and a loaded engine drops frames (one in
 * flight per session), so the steps stretch when the recent frames are sparse.
 */
function flashStepMs(evidence: FrameEvidence, o: SessionOptions): number {
  const ts = evidence.skin.slice(-11).map((x) => x.t);
  const gaps = ts.slice(1).map((x, i) => x - ts[i]!);
  const dt = gaps.length >= 3 ? median(gaps) : 0;
  const floor = Math.max(o.flashStepMs, minFlashStepMs(o.flash), Math.ceil(1000 / MAX_FLASH_CHANGES_PER_S));
  return Math.max(floor, Math.min(o.flashMaxStepMs, Math.ceil((2.5 * dt) / 50) * 50));
}

export const colorFlashChallenge: ChallengeType<'color_flash'> = {
  kinds: ['color_flash'],
  draws: ['color_flash'],
  needsFlash: true,
  turnsFace: false,
  timesReaction: false,
  needs: [],
  prompt: () => FLASH_PROMPT,
  windowMs: (o) => o.flashWindowMs,
  // Not a motion: the reflection is scored against the painted sequence only.
  quietMs: () => 0,
  setup(evidence, options) {
    const colors = generateFlashSequence({
      steps: options.flashSteps,
      stepMs: flashStepMs(evidence, options),
      palette: options.flash.palette,
      leadMs: options.flash.noticeMs,
    });
    // A flash is judged after its last step plus the latency window: its deadline must not come first.
    return { colors, minWindowMs: flashSettleMs(colors, options.flash) + 1000 };
  },
  evaluate({ t, challenge, sentAt, rttMs, rttMinMs, evidence, options }) {
    const seq = challenge.colors ?? [];
    // The page paints on receipt, rtt/2 after the send; display and camera
    // latency come on top. The fastest RTT of the session sets the window:
    // a slow sample is queueing (or a client holding its pongs back to buy
    // a late response time), not the path the prompt took.
    const rtt = flashRtt(rttMinMs ?? rttMs, options.flash);
    // Scored once the latest alignment searched (the window plus its reach beyond) has all its frames.
    const end = sentAt + rtt / 2 + flashSettleMs(seq, options.flash);
    if (t < end) return { reports: {} };
    const s = scoreFlash(evidence.skin, seq, sentAt, rtt, options.flash);
    const values = {
      correlation: s.correlation,
      amplitude: s.amplitude,
      lagMs: s.lagMs,
      latencyMs: s.lagMs - rtt / 2,
      inWindow: s.inWindow,
      stepsMatched: s.stepsMatched,
      stepsCovered: s.stepsCovered,
      steps: seq.length,
      samples: s.samples,
      rttMs: rtt,
      rttLastMs: rttMs,
    };
    const reports = { color_flash: { evaluated: true, score: s.score, passed: s.passed, values } };
    return s.passed ? { reports, answer: { answeredAt: t, respondedAt: null } } : { reports, failed: true };
  },
  report: () => ({}),
};
