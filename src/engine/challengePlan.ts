// Random challenge schedules. Kinds, order, start delays and flash colours are
// drawn per session from a CSPRNG after media flows, so a recording made
// before the session cannot contain the right responses at the right times.
// The families drawn from are the registered challenges (challenges/index.ts).
import { randomInt } from 'node:crypto';
import { CHALLENGES, challengeFor } from './challenges/index.ts';
import { DEFAULT_PLAN_OPTIONS, type PlanOptions } from './options.ts';
import type { ChallengeKind } from './types.ts';

export interface PlannedChallenge {
  readonly kind: ChallengeKind;
  /** Wait after the previous step before prompting, ms (jitter defeats scripted timing). */
  readonly delayMs: number;
  /** Time the user has to answer, ms. */
  readonly windowMs: number;
}

function families(flash: boolean): ChallengeKind[][] {
  return CHALLENGES.filter((c) => c.draws.length > 0 && (flash || !c.needsFlash)).map((c) => [...c.draws]);
}

/** Draws `count` challenges of distinct families (blink, turn, flash) in random order. */
export function planChallenges(options: Partial<PlanOptions> = {}): PlannedChallenge[] {
  const o: PlanOptions = { ...DEFAULT_PLAN_OPTIONS, ...options };
  const rnd = o.randomInt ?? ((max: number) => randomInt(max));
  const drawn = families(o.flash);
  if (!(o.count >= 1 && o.count <= drawn.length)) {
    throw new TypeError(`count must be 1..${drawn.length} for this transport`);
  }
  // Fisher-Yates over families, then one kind from each.
  for (let i = drawn.length - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [drawn[i], drawn[j]] = [drawn[j]!, drawn[i]!];
  }
  return drawn.slice(0, o.count).map((f) => {
    const kind = f[rnd(f.length)]!;
    return { kind, delayMs: o.minDelayMs + rnd(Math.max(1, o.maxDelayMs - o.minDelayMs + 1)), windowMs: challengeFor(kind).windowMs(o) };
  });
}

/**
 * A fresh draw of `kind`'s family (a new direction, new colours) for a retry;
 * undefined when a draw over every family the transport allows missed it.
 */
export function redraw(kind: ChallengeKind, o: PlanOptions): PlannedChallenge | undefined {
  const family = challengeFor(kind);
  return planChallenges({ ...o, count: families(o.flash).length, flash: o.flash || family.needsFlash }).find((p) => challengeFor(p.kind) === family);
}
