// The head-turn challenge: turn to one side (or either, in recorded schedules)
// and back. Scored on the nose's parallax across the face outline against the
// frontal baselines (signals/headTurn.ts); the same parallax is the depth signal.
// A live prompt is only answered by a turn it caused: none in the seconds
// before it, the asked side first, within a human reaction after it, then back.
import { scoreTurn, turnCause, type TurnDirection } from '../signals/headTurn.ts';
import type { ChallengeType } from './ChallengeType.ts';

type TurnKind = 'turn_left' | 'turn_right' | 'turn_any';

const DIRECTION: Readonly<Record<TurnKind, TurnDirection>> = { turn_left: 'left', turn_right: 'right', turn_any: 'any' };
const TEXT: Readonly<Record<TurnKind, string>> = {
  turn_left: 'Turn your head to your left, then back',
  turn_right: 'Turn your head to your right, then back',
  turn_any: 'Turn your head to one side, then back',
};

export const headTurnChallenge: ChallengeType<TurnKind> = {
  kinds: ['turn_left', 'turn_right', 'turn_any'],
  draws: ['turn_left', 'turn_right'],
  needsFlash: false,
  turnsFace: true,
  timesReaction: true,
  // Scored on the landmarks; the session records the pose model's yaw beside it at the sparse interval.
  needs: [],
  prompt: (kind) => TEXT[kind],
  windowMs: (o) => o.turnWindowMs,
  setup: () => ({ minWindowMs: 0 }),
  quietMs: (o) => o.turn.quietMs,
  evaluate({ t, kind, evidence, notBefore, prompted, options }) {
    const s = scoreTurn(evidence.poses, DIRECTION[kind], evidence.baselineRatio(), evidence.baselineYaw(), notBefore, options.turn);
    const cause = prompted ? turnCause(evidence.poses, DIRECTION[kind], evidence.baselineRatio(), notBefore, t, options.turn) : null;
    // The parallax of the nose across the outline is the depth evidence of the turn.
    const minParallax = options.turn.minParallax;
    return {
      reports: {
        head_turn: {
          evaluated: true,
          score: s.score,
          passed: s.passed && cause === null,
          values: {
            baselineRatio: s.baselineRatio,
            poseYawPeak: s.poseYawPeak,
            turnedAt: s.turnedAt,
            returnedAt: s.returnedAt,
            side: s.imageSide,
            // 1 where the turn could not have been caused by the prompt.
            prePromptMotion: cause === 'pre_prompt_motion' ? 1 : 0,
            wrongDirection: cause === 'wrong_direction' ? 1 : 0,
            lateOnset: cause === 'late_onset' ? 1 : 0,
          },
        },
        depth: {
          evaluated: true,
          score: Math.min(1, s.parallax / (2 * minParallax)),
          passed: s.parallax >= minParallax,
          values: { parallax: s.parallax, poseYawPeak: s.poseYawPeak },
        },
      },
      ...(cause !== null ? { failed: true } : s.passed && s.returnedAt !== null ? { answer: { answeredAt: s.returnedAt, respondedAt: s.turnedAt } } : {}),
    };
  },
  report: () => ({}),
};
