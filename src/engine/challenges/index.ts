// The one list of liveness challenges. A new challenge is one file implementing
// ChallengeType plus one line here (and its kind names in types.ts's
// ChallengeKind; the check below fails to compile until every kind has a challenge).
// Order matters: a random plan shuffles the families in this order first.
import type { ChallengeKind } from '../types.ts';
import { blinkChallenge } from './blink.ts';
import type { ChallengeType } from './ChallengeType.ts';
import { colorFlashChallenge } from './colorFlash.ts';
import { headTurnChallenge } from './headTurn.ts';

export const CHALLENGES = [blinkChallenge, headTurnChallenge, colorFlashChallenge] as const;

type Registered = (typeof CHALLENGES)[number]['kinds'][number];
const everyKindRegistered: [Exclude<ChallengeKind, Registered>] extends [never] ? true : never = true;
void everyKindRegistered;

const BY_KIND: ReadonlyMap<ChallengeKind, ChallengeType> = new Map(CHALLENGES.flatMap((c: ChallengeType) => c.kinds.map((k) => [k, c] as const)));

/** The challenge that answers `kind`. */
export function challengeFor(kind: ChallengeKind): ChallengeType {
  const c = BY_KIND.get(kind);
  if (c === undefined) throw new TypeError(`no challenge answers kind ${String(kind)}`);
  return c;
}

export type { ChallengeContext, ChallengeEvaluation, ChallengeSetup, ChallengeType, SignalReports } from './ChallengeType.ts';
