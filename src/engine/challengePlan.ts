// Random challenge schedules. Kinds, order, start delays, blink counts and
// flash colours are drawn per session from a CSPRNG after media flows, so a
// recording made before the session cannot contain the right responses at the
// right times. The families drawn from are the registered challenges
// (challenges/index.ts). A session's plan (sessionPlan) always includes the
// colour flash where the transport can paint it, and draws more challenges
// where it cannot: scripts/eval/lib/chanceAcceptance.ts derives what each
// design leaves a recording that never sees the prompts.
import { randomInt } from 'node:crypto';
import { CHALLENGES, challengeFor } from './challenges/index.ts';
import { DEFAULT_PLAN_OPTIONS, type PlanOptions, type SessionOptions } from './options.ts';
import type { ChallengeKind } from './types.ts';

export interface PlannedChallenge {
  readonly kind: ChallengeKind;
  /** Wait after the previous step before prompting, ms (jitter defeats scripted timing). */
  readonly delayMs: number;
  /** Time the user has to answer, ms. */
  readonly windowMs: number;
  /** Times it is asked (blink: "Blink twice"); absent: once (recorded schedules). */
  readonly count?: number;
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
  shuffle(drawn, rnd);
  return drawn.slice(0, o.count).map((f) => draw(f, o, rnd));
}

function draw(family: readonly ChallengeKind[], o: PlanOptions, rnd: (max: number) => number): PlannedChallenge {
  const kind = family[rnd(family.length)]!;
  const type = challengeFor(kind);
  const counts = type.counts ?? [];
  return {
    kind,
    delayMs: o.minDelayMs + rnd(Math.max(1, o.maxDelayMs - o.minDelayMs + 1)),
    windowMs: type.windowMs(o),
    ...(counts.length > 1 ? { count: counts[rnd(counts.length)]! } : {}),
  };
}

/**
 * One session's plan. Where the transport paints (o.flash): the colour flash
 * plus `count - 1` of the other families. Where it cannot (REST, a flash
 * opt-out, LIVENESS_FLASH=off): `countWithoutFlash` challenges, every other
 * family at least once and the rest drawn again from them, in random order.
 */
export function sessionPlan(options: Partial<PlanOptions> = {}): PlannedChallenge[] {
  const o: PlanOptions = { ...DEFAULT_PLAN_OPTIONS, ...options };
  const rnd = o.randomInt ?? ((max: number) => randomInt(max));
  const others = families(false);
  if (!o.flash) {
    const picked = [...others];
    while (picked.length < o.countWithoutFlash) picked.push(others[picked.length % others.length]!);
    return shuffle(picked.slice(0, Math.max(1, o.countWithoutFlash)), rnd).map((f) => draw(f, o, rnd));
  }
  const flash = families(true).filter((f) => !others.some((x) => x[0] === f[0]));
  const rest = planChallenges({ ...o, flash: false, count: Math.min(others.length, Math.max(0, o.count - 1)) });
  return shuffle([...flash.map((f) => draw(f, o, rnd)), ...rest], rnd);
}

function shuffle<T>(items: T[], rnd: (max: number) => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * A fresh draw of `kind`'s family (a new direction, new colours) for a retry;
 * undefined when a draw over every family the transport allows missed it.
 */
export function redraw(kind: ChallengeKind, o: PlanOptions): PlannedChallenge | undefined {
  const family = challengeFor(kind);
  return planChallenges({ ...o, count: families(o.flash).length, flash: o.flash || family.needsFlash }).find((p) => challengeFor(p.kind) === family);
}

/**
 * When the next challenge may be prompted after one of kind `previous` was
 * answered at `answeredAt` (seen at `t`): after its delay, and where it is of
 * the same family, no sooner than its quiet period after that answer, so the
 * answer never reads as motion before the new prompt (two turns in a row).
 */
export function nextDueAt(t: number, next: PlannedChallenge, previous: ChallengeKind, answeredAt: number, o: SessionOptions): number {
  const type = challengeFor(next.kind);
  return Math.max(t + next.delayMs, type === challengeFor(previous) ? answeredAt + type.quietMs(o) : t);
}
