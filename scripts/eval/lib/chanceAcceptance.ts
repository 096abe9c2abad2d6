// The chance-acceptance rate the challenge design implies: the probability
// that a source which never sees the prompts (a recording, an injected
// stream) still answers every random challenge of a session, derived from the
// engine's own numbers (the session plan per transport, the families drawn,
// their options and answer windows, the retry budget) and then bounded by the
// service's lockout. Used by eval:kiosk, which prints it beside what it measured.
//
// Per attempt, for a source that acts on its own schedule:
// - blink: the prompt goes out after the eyes stayed open for blink.quietMs
//   (or after blink.maxQuietWaitMs, when a closure in that period then fails
//   it); the first of the k blinks asked (k drawn from 1..3) must start within
//   W = blink.maxOnsetMs (+ half the RTT) after the reaction floor, each next
//   one within G = blink.maxGapMs after the previous reopened. For blinks at
//   rate r (Poisson): (1 - e^(-r W)) (1 - e^(-r G))^(k-1), averaged over k.
//   Waiting for the quiet period changes nothing for a memoryless source, so
//   this (perAttempt.blink) is an upper bound at a given rate; at the worst
//   rate (worst.blink) it is weighted by the chance that the source shows a
//   quiet period within the wait at all (a source that blinks all the time never does).
// - head turn: 2 directions; the turn must start within maxOnsetMs after the
//   floor with none in the quietMs before the prompt. For turns at rate l
//   (Poisson), (1/2) (1 - e^(-l onset)) e^(-l quiet); its maximum over l is
//   the worst case for any recording, whatever its motion.
// - colour flash: the sequence is `steps` distinct colours of the palette and
//   at least ceil(steps * minMatchedFraction) of them must match in place;
//   a source that lights the face with some other sequence of distinct colours
//   matches that many by chance with the probability counted here. (A client
//   that paints its own frames reads the colours from the prompt: this bound
//   is for recordings, not for a controlled browser.)
// A session's challenges are what src/engine/challengePlan.ts sessionPlan
// draws: with the flash, the flash plus (challenges - 1) of the other families
// (averaged over the equally likely draws); without it, challengesWithoutFlash
// challenges, each other family at least once and then again in turn. A
// session fails at its maxAttempts-th failed attempt (a retry redraws the same
// family), so a session with challenges q_1..q_c is accepted with
// P = sum over failure counts f_1 + ... + f_c < maxAttempts of prod q_i (1 - q_i)^f_i.
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from '../../../src/engine/options.ts';
import { challengeFor } from '../../../src/engine/challenges/index.ts';
import { FLASH_PALETTE } from '../../../src/engine/signals/colorFlash.ts';

export type Family = 'blink' | 'turn' | 'flash';

/** A typical spontaneous blink rate at rest, blinks per minute (Bentivoglio et al. 1997: 17 +- 13). */
export const TYPICAL_BLINK_RATE_PER_MIN = 17;

export interface ChanceInput {
  /** Challenges per session where the flash is drawn, the flash among them (LIVENESS_CHALLENGES). */
  readonly challenges: number;
  /** Challenges per session without the flash (PlanOptions.countWithoutFlash); default: `challenges`. */
  readonly challengesWithoutFlash?: number;
  /** Round trip of the prompts' path, ms: half of it widens the blink onset window (default 0, loopback). */
  readonly rttMs?: number;
  /** Failed attempts that fail the session (LIVENESS_MAX_ATTEMPTS). */
  readonly maxAttempts: number;
  /** Whether the colour flash is among the families (live path with LIVENESS_FLASH=on). */
  readonly flash: boolean;
  /** Failed 1:1 sessions before a user is locked out, and the window they are counted in (LOCKOUT_FAILURES, LOCKOUT_WINDOW_S). */
  readonly lockoutFailures: number;
  readonly lockoutWindowS: number;
  /** Blinks per minute the source shows; Infinity for a source that blinks all the time. */
  readonly blinkRatePerMin?: number;
  readonly session?: SessionOptions;
  /** Palette size (the flash colours configured). */
  readonly paletteSize?: number;
}

export interface ChanceReport {
  /** At the given blink rate (an upper bound there: the quiet-period wait is not counted) and the worst turn rate. */
  readonly perAttempt: Readonly<Record<Family, number | null>>;
  /** The turn rate (per second) that maximises the head-turn chance. */
  readonly worstTurnRatePerS: number;
  /** The blink rate (per second) that maximises the blink chance, quiet-period wait included, and that chance. */
  readonly worstBlinkRatePerS: number;
  readonly worstBlink: number;
  readonly families: readonly Family[];
  /** The family draws a session makes (each equally likely). */
  readonly draws: readonly (readonly Family[])[];
  /** Per session, averaged over the equally likely family draws. */
  readonly perSession: number;
  /** Per session at the worst blink and turn rates. */
  readonly perSessionWorst: number;
  /** At least one accept within one lockout window (lockoutFailures sessions against one user). */
  readonly perLockoutWindow: number;
  /** Sessions against one user per day the lockout lets through when none is accepted, and the chance of an accept in a day. */
  readonly sessionsPerDay: number;
  readonly perDay: number;
  /** Expected days to a first accept against one user. */
  readonly expectedDaysToAccept: number;
}

/** n choose k. */
function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Probability that a uniformly random arrangement of `steps` distinct colours from `palette` matches a given one in at least `need` places. */
export function flashGuessChance(palette: number, steps: number, need: number): number {
  // Matches in exactly m places: choose them, then the other steps - m places
  // are filled from the palette - m unused colours with no further match
  // (inclusion-exclusion over the places that would match again).
  const perms = (n: number, k: number): number => (k === 0 ? 1 : n * perms(n - 1, k - 1));
  const total = perms(palette, steps);
  let hits = 0;
  for (let m = need; m <= steps; m++) {
    const rest = steps - m;
    let noFixed = 0;
    for (let j = 0; j <= rest; j++) noFixed += (j % 2 === 0 ? 1 : -1) * choose(rest, j) * perms(palette - m - j, rest - j);
    hits += choose(steps, m) * noFixed;
  }
  return hits / total;
}

/** The head-turn chance per attempt at turn rate `l` (per second). */
function turnChance(l: number, onsetS: number, quietS: number): number {
  return 0.5 * (1 - Math.exp(-l * onsetS)) * Math.exp(-l * quietS);
}

/** P(all challenges answered with fewer than maxAttempts failures in all). */
export function sessionChance(q: readonly number[], maxAttempts: number): number {
  // dist[f]: probability of having passed the challenges so far with f failures.
  let dist = [1];
  for (const p of q) {
    const next = new Array<number>(maxAttempts).fill(0);
    dist.forEach((w, f) => {
      for (let extra = 0; f + extra < maxAttempts; extra++) next[f + extra]! += w * p * (1 - p) ** extra;
    });
    dist = next;
  }
  return dist.reduce((a, b) => a + b, 0);
}

/** Every `count`-subset of `items`. */
function subsets<T>(items: readonly T[], count: number): T[][] {
  if (count === 0) return [[]];
  if (items.length < count) return [];
  const [head, ...tail] = items as [T, ...T[]];
  return [...subsets(tail, count - 1).map((s) => [head, ...s]), ...subsets(tail, count)];
}

/** Chance per attempt that closures at `rate` (per s) answer an issued blink prompt: averaged over the counts drawn. */
function blinkChance(rate: number, counts: readonly number[], onsetS: number, gapS: number): number {
  // Infinity stands for "every issued blink prompt is answered": the bound with no blink rule at all.
  if (!Number.isFinite(rate)) return 1;
  const first = 1 - Math.exp(-rate * onsetS);
  const next = 1 - Math.exp(-rate * gapS);
  return counts.reduce((s, k) => s + first * next ** (k - 1), 0) / counts.length;
}

/**
 * Chance that closures at `rate` (Poisson, observed from a stationary start)
 * leave a gap of `quietS` ending within `waitS`: the blink prompt goes out on
 * a quiet period only then. A time-step walk over "time since the last closure".
 */
export function quietSeenChance(rate: number, quietS: number, waitS: number, stepS = 0.01): number {
  const n = Math.max(1, Math.round(quietS / stepS));
  const p = 1 - Math.exp(-rate * stepS);
  let seen = Math.exp(-rate * quietS);
  let dist = Array.from({ length: n }, (_, j) => Math.exp(-rate * j * stepS) - Math.exp(-rate * (j + 1) * stepS));
  for (let i = 0; i < Math.round(waitS / stepS); i++) {
    const next = new Array<number>(n).fill(0);
    dist.forEach((w, j) => {
      next[0]! += w * p;
      if (j + 1 >= n) seen += w * (1 - p);
      else next[j + 1]! += w * (1 - p);
    });
    dist = next;
  }
  return Math.min(1, seen);
}

/** The family draws of sessionPlan (src/engine/challengePlan.ts), each equally likely. */
function planDraws(input: ChanceInput): Family[][] {
  const others: Family[] = ['blink', 'turn'];
  if (input.flash) return subsets(others, Math.min(others.length, Math.max(0, input.challenges - 1))).map((d) => ['flash', ...d]);
  const n = Math.max(1, input.challengesWithoutFlash ?? input.challenges);
  return [Array.from({ length: n }, (_, i) => others[i % others.length]!)];
}

export function chanceAcceptance(input: ChanceInput): ChanceReport {
  const o = input.session ?? DEFAULT_SESSION_OPTIONS;
  const b = o.blink;
  const counts = challengeFor('blink').counts ?? [1];
  const onsetS = (b.maxOnsetMs + (input.rttMs ?? 0) / 2) / 1000;
  const blinkRate = (input.blinkRatePerMin ?? TYPICAL_BLINK_RATE_PER_MIN) / 60;
  const blink = blinkChance(blinkRate, counts, onsetS, b.maxGapMs / 1000);
  // The worst closure rate, on a grid up to 10 per second (beyond, no quiet second is ever seen).
  let worstBlinkRatePerS = 0;
  let worstBlink = 0;
  for (let r = 0.02; r <= 10; r += 0.02) {
    const q = quietSeenChance(r, b.quietMs / 1000, b.maxQuietWaitMs / 1000) * blinkChance(r, counts, onsetS, b.maxGapMs / 1000);
    if (q > worstBlink) [worstBlink, worstBlinkRatePerS] = [q, r];
  }
  const turnOnsetS = o.turn.maxOnsetMs / 1000;
  const quietS = o.turn.quietMs / 1000;
  // d/dl of (1 - e^-la) e^-lb = 0  <=>  e^-la = b / (a + b).
  const worstTurnRatePerS = -Math.log(quietS / (turnOnsetS + quietS)) / turnOnsetS;
  const turn = turnChance(worstTurnRatePerS, turnOnsetS, quietS);
  const steps = o.flashSteps;
  const flash = input.flash
    ? flashGuessChance(input.paletteSize ?? FLASH_PALETTE.length, steps, Math.max(2, Math.ceil(steps * o.flash.minMatchedFraction)))
    : null;
  const perAttempt: Record<Family, number | null> = { blink, turn, flash };
  const families: Family[] = input.flash ? ['blink', 'turn', 'flash'] : ['blink', 'turn'];
  const draws = planDraws(input);
  const over = (q: Record<Family, number | null>): number => draws.reduce((s, d) => s + sessionChance(d.map((f) => q[f] ?? 0), input.maxAttempts), 0) / draws.length;
  const perSession = over(perAttempt);
  const perSessionWorst = over({ ...perAttempt, blink: worstBlink });
  const perLockoutWindow = 1 - (1 - perSession) ** input.lockoutFailures;
  const sessionsPerDay = (86_400 / input.lockoutWindowS) * input.lockoutFailures;
  const perDay = 1 - (1 - perSession) ** sessionsPerDay;
  return {
    perAttempt,
    worstTurnRatePerS,
    worstBlinkRatePerS,
    worstBlink,
    families,
    draws,
    perSession,
    perSessionWorst,
    perLockoutWindow,
    sessionsPerDay,
    perDay,
    expectedDaysToAccept: perSession > 0 ? 1 / (perSession * sessionsPerDay) : Number.POSITIVE_INFINITY,
  };
}
