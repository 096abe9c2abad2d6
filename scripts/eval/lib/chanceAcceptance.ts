// The chance-acceptance rate the challenge design implies: the probability
// that a source which never sees the prompts (a recording, an injected
// stream) still answers every random challenge of a session, derived from the
// engine's own numbers (challenges per session, the families drawn, their
// options and answer windows, the retry budget) and then bounded by the
// service's lockout. Used by eval:kiosk, which prints it beside what it measured.
//
// Per attempt, for a source that acts on its own schedule:
// - blink: no option to guess (one kind) and no quiet period before the
//   prompt, so any plausible blink after the reaction floor inside the window
//   answers it: 1 - exp(-r * window) for a spontaneous blink rate r. Against
//   a recording, the blink challenge is weak by design; the other families carry the session.
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
// A session fails at its maxAttempts-th failed attempt (a retry redraws the
// same family), so a session with challenges q_1..q_c is accepted with
// P = sum over failure counts f_1 + ... + f_c < maxAttempts of prod q_i (1 - q_i)^f_i.
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from '../../../src/engine/options.ts';
import { FLASH_PALETTE } from '../../../src/engine/signals/colorFlash.ts';

export type Family = 'blink' | 'turn' | 'flash';

/** A typical spontaneous blink rate at rest, blinks per minute (Bentivoglio et al. 1997: 17 +- 13). */
export const TYPICAL_BLINK_RATE_PER_MIN = 17;

export interface ChanceInput {
  /** Challenges per session (LIVENESS_CHALLENGES). */
  readonly challenges: number;
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
  readonly perAttempt: Readonly<Record<Family, number | null>>;
  /** The turn rate (per second) that maximises the head-turn chance. */
  readonly worstTurnRatePerS: number;
  readonly families: readonly Family[];
  /** Per session, averaged over the equally likely family draws. */
  readonly perSession: number;
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

export function chanceAcceptance(input: ChanceInput): ChanceReport {
  const o = input.session ?? DEFAULT_SESSION_OPTIONS;
  const plan = o.plan;
  const blinkRate = input.blinkRatePerMin ?? TYPICAL_BLINK_RATE_PER_MIN;
  const blink = Number.isFinite(blinkRate) ? 1 - Math.exp((-blinkRate / 60) * (plan.blinkWindowMs / 1000)) : 1;
  const onsetS = o.turn.maxOnsetMs / 1000;
  const quietS = o.turn.quietMs / 1000;
  // d/dl of (1 - e^-la) e^-lb = 0  <=>  e^-la = b / (a + b).
  const worstTurnRatePerS = -Math.log(quietS / (onsetS + quietS)) / onsetS;
  const turn = turnChance(worstTurnRatePerS, onsetS, quietS);
  const steps = o.flashSteps;
  const flash = input.flash
    ? flashGuessChance(input.paletteSize ?? FLASH_PALETTE.length, steps, Math.max(2, Math.ceil(steps * o.flash.minMatchedFraction)))
    : null;
  const perAttempt: Record<Family, number | null> = { blink, turn, flash };
  const families: Family[] = input.flash ? ['blink', 'turn', 'flash'] : ['blink', 'turn'];
  const draws = subsets(families, Math.min(input.challenges, families.length));
  const perSession = draws.reduce((s, d) => s + sessionChance(d.map((f) => perAttempt[f] ?? 0), input.maxAttempts), 0) / draws.length;
  const perLockoutWindow = 1 - (1 - perSession) ** input.lockoutFailures;
  const sessionsPerDay = (86_400 / input.lockoutWindowS) * input.lockoutFailures;
  const perDay = 1 - (1 - perSession) ** sessionsPerDay;
  return {
    perAttempt,
    worstTurnRatePerS,
    families,
    perSession,
    perLockoutWindow,
    sessionsPerDay,
    perDay,
    expectedDaysToAccept: perSession > 0 ? 1 / (perSession * sessionsPerDay) : Number.POSITIVE_INFINITY,
  };
}
