// The blink challenge: "Blink", answered by a plausible blink (both eyes closing
// and reopening) that starts after the reaction floor (signals/blink.ts).
import { scoreBlink } from '../signals/blink.ts';
import type { ChallengeType } from './ChallengeType.ts';

export const blinkChallenge: ChallengeType<'blink'> = {
  kinds: ['blink'],
  draws: ['blink'],
  needsFlash: false,
  turnsFace: false,
  timesReaction: true,
  needs: ['eyes'],
  prompt: () => 'Blink',
  windowMs: (o) => o.blinkWindowMs,
  setup: () => ({ minWindowMs: 0 }),
  evaluate({ evidence, notBefore, options }) {
    const s = scoreBlink(evidence.eyes, notBefore, options.blink);
    return {
      reports: {
        blink: {
          evaluated: true,
          score: s.score,
          passed: s.passed,
          values: { count: s.count, plausible: s.plausibleCount, durationMs: s.firstDurationMs, at: s.firstAt },
        },
      },
      ...(s.passed && s.firstAt !== null ? { answer: { answeredAt: s.firstAt, respondedAt: s.firstStart } } : {}),
    };
  },
  // Asked and never seen is a failed blink, not a signal left out.
  report: () => ({ blink: { evaluated: true, score: 0, passed: false, values: {} } }),
};
