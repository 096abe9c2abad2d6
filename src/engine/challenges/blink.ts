// The blink challenge: "Blink", "Blink twice" or "Blink three times". A fixed
// (recorded) schedule is answered by any plausible blink after the floor. A
// live prompt goes out only once the eyes have stayed open for quietMs (or the
// engine has waited maxQuietWaitMs), and only blinks it caused answer it: the
// first closure within maxOnsetMs of the reaction floor (plus the uplink half
// of the RTT), each further one within maxGapMs of the previous reopening
// (signals/blink.ts scoreLiveBlinks).
import { blinkQuiet, scoreBlink, scoreLiveBlinks } from '../signals/blink.ts';
import type { ChallengeType } from './ChallengeType.ts';

const TIMES = ['', ' twice', ' three times'] as const;

export const blinkChallenge: ChallengeType<'blink'> = {
  kinds: ['blink'],
  draws: ['blink'],
  counts: [1, 2, 3],
  needsFlash: false,
  turnsFace: false,
  timesReaction: true,
  needs: ['eyes'],
  prompt: (_kind, count = 1) => `Blink${TIMES[count - 1] ?? ` ${count} times`}`,
  windowMs: (o) => o.blinkWindowMs,
  setup: () => ({ minWindowMs: 0 }),
  quietMs: (o) => o.blink.quietMs,
  canIssue: (evidence, t, dueAt, o) => t - dueAt >= o.blink.maxQuietWaitMs || blinkQuiet(evidence.eyes, t, o.blink),
  evaluate({ challenge, evidence, notBefore, prompted, count, rttMs, options }) {
    const onsetEnd = notBefore + rttMs / 2 + options.blink.maxOnsetMs;
    const s = prompted
      ? scoreLiveBlinks(evidence.eyes, { issuedAt: challenge.issuedAt, notBefore, onsetEnd, count }, options.blink)
      : { ...scoreBlink(evidence.eyes, notBefore, options.blink), cause: null, chained: null };
    return {
      reports: {
        blink: {
          evaluated: true,
          score: s.score,
          passed: s.passed,
          values: {
            count: s.count,
            plausible: s.plausibleCount,
            durationMs: s.firstDurationMs,
            at: s.firstAt,
            asked: count,
            chained: s.chained,
            // 1 where a closure in the quiet period before the prompt shows it could not have caused the blinks.
            prePromptMotion: s.cause === 'pre_prompt_motion' ? 1 : 0,
          },
        },
      },
      ...(s.cause !== null ? { failed: true } : s.passed && s.firstAt !== null ? { answer: { answeredAt: s.firstAt, respondedAt: s.firstStart } } : {}),
    };
  },
  // Asked and never seen is a failed blink, not a signal left out.
  report: () => ({ blink: { evaluated: true, score: 0, passed: false, values: {} } }),
};
