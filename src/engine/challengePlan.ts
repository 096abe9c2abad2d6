// Random challenge schedules. Kinds, order, start delays and flash colours are
// drawn per session from a CSPRNG after media flows, so a recording made
// before the session cannot contain the right responses at the right times.
import { randomInt } from 'node:crypto';
import type { ChallengeKind } from './types.ts';

export interface PlannedChallenge {
  readonly kind: ChallengeKind;
  /** Wait after the previous step before prompting, ms (jitter defeats scripted timing). */
  readonly delayMs: number;
  /** Time the user has to answer, ms. */
  readonly windowMs: number;
}

export interface PlanOptions {
  /** Number of challenges per session. */
  readonly count: number;
  /** Whether the transport can paint a colour sequence (live path yes, REST no). */
  readonly flash: boolean;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly blinkWindowMs: number;
  readonly turnWindowMs: number;
  readonly flashWindowMs: number;
  readonly randomInt?: (max: number) => number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = Object.freeze({
  count: 2,
  flash: false,
  minDelayMs: 200,
  maxDelayMs: 800,
  blinkWindowMs: 5000,
  turnWindowMs: 6000,
  flashWindowMs: 4000,
});

export function windowFor(kind: ChallengeKind, o: PlanOptions): number {
  switch (kind) {
    case 'blink':
      return o.blinkWindowMs;
    case 'turn_left':
    case 'turn_right':
    case 'turn_any':
      return o.turnWindowMs;
    case 'color_flash':
      return o.flashWindowMs;
  }
}

/** Draws `count` challenges of distinct families (blink, turn, flash) in random order. */
export function planChallenges(options: Partial<PlanOptions> = {}): PlannedChallenge[] {
  const o: PlanOptions = { ...DEFAULT_PLAN_OPTIONS, ...options };
  const rnd = o.randomInt ?? ((max: number) => randomInt(max));
  const families: ChallengeKind[][] = [['blink'], ['turn_left', 'turn_right']];
  if (o.flash) families.push(['color_flash']);
  if (!(o.count >= 1 && o.count <= families.length)) {
    throw new TypeError(`count must be 1..${families.length} for this transport`);
  }
  // Fisher-Yates over families, then one kind from each.
  for (let i = families.length - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [families[i], families[j]] = [families[j]!, families[i]!];
  }
  return families.slice(0, o.count).map((f) => {
    const kind = f[rnd(f.length)]!;
    return { kind, delayMs: o.minDelayMs + rnd(Math.max(1, o.maxDelayMs - o.minDelayMs + 1)), windowMs: windowFor(kind, o) };
  });
}
