// Blink signal: finds closed-then-open transitions of plausible duration in
// the eye closed-probability time series. Both eyes must close together: the
// eye model misreads one open eye as closed about 4% of the time, but was
// never seen to misread both (models/README.md), and a wink is no blink.
// A live "Blink" prompt is answered only by blinks it caused (scoreLiveBlinks):
// the prompt goes out after a quiet period (blinkQuiet), the first closure
// starts after the reaction floor and within a human reaction of it, and each
// further blink asked for follows the previous one within maxGapMs. Only
// plausible blinks count there: eyes that read closed for longer (a look
// down, glasses glare) neither delay the prompt nor fail it.

export interface EyeSample {
  readonly t: number;
  readonly leftClosed: number;
  readonly rightClosed: number;
}

export interface BlinkOptions {
  /** Both eyes at or above this closed-probability count as closed. */
  readonly closedThreshold: number;
  /** Both eyes below this count as open (hysteresis against flicker). */
  readonly openThreshold: number;
  /** Plausible blink duration bounds, ms (human blinks last ~100-400 ms). */
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  /** Live prompts: the first closure starts within this long after the reaction floor (plus the uplink half RTT). */
  readonly maxOnsetMs: number;
  /** Live prompts asking for more than one blink: each next one starts within this long after the previous reopening. */
  readonly maxGapMs: number;
  /** Live prompts: no blink starts in this long before the prompt (the engine waits for it before prompting). */
  readonly quietMs: number;
  /** The longest the engine waits for that quiet period; then it prompts and a blink in it fails the challenge. */
  readonly maxQuietWaitMs: number;
}

export const DEFAULT_BLINK_OPTIONS: BlinkOptions = Object.freeze({
  closedThreshold: 0.5,
  openThreshold: 0.3,
  minDurationMs: 60,
  maxDurationMs: 500,
  // A choice reaction to a short visual prompt is ~0.4-0.7 s (Hick-Hyman; voluntary
  // blinks to a visual cue start ~0.3-0.5 s after it): 1.5 s after the floor is twice
  // the slow end, plus a closure frame at 10 fps. scripts/eval/blinkTiming.ts
  // checks it against the clips' own closure-to-reopen timing.
  maxOnsetMs: 1500,
  // A deliberate double blink reopens and closes again within ~0.2-0.4 s; 1 s is 2.5x that.
  maxGapMs: 1000,
  // About one spontaneous blink interval (17/min: 3.5 s) plus a margin.
  // scripts/eval/blinkTiming.ts BLINK_QUIET_RULE on the 16 genuine clips: 900 ms on all of
  // them and on each leave-one-out fold (the longest quiet period whose added wait stays
  // <= 1 s in 9 of 10 due times on every training clip; held-out p90 waits 0..1.9 s, beyond
  // eyes that read closed).
  quietMs: 900,
  maxQuietWaitMs: 4000,
});

export interface BlinkEvent {
  /** Last open sample before the closure, first closed, last closed, first reopened. */
  readonly openBefore: number;
  readonly closedFrom: number;
  readonly closedTo: number;
  readonly reopenedAt: number;
  /** Duration bounds from sampling: the true closure lies between them. */
  readonly minMs: number;
  readonly maxMs: number;
  readonly peak: number;
  readonly plausible: boolean;
}

/**
 * Scans a time-ordered series for blinks. Duration is bracketed by the
 * sampling: at least closedTo - closedFrom, at most reopenedAt - openBefore.
 * A blink is plausible when that bracket overlaps [minDurationMs, maxDurationMs].
 */
export function detectBlinks(series: readonly EyeSample[], options: BlinkOptions = DEFAULT_BLINK_OPTIONS): BlinkEvent[] {
  const events: BlinkEvent[] = [];
  let lastOpen: number | null = null;
  let closedFrom: number | null = null;
  let closedTo = 0;
  let peak = 0;
  for (const s of series) {
    const both = Math.min(s.leftClosed, s.rightClosed);
    const open = Math.max(s.leftClosed, s.rightClosed) < options.openThreshold;
    if (both >= options.closedThreshold) {
      if (closedFrom === null) {
        if (lastOpen === null) continue; // closed from the start: no open baseline, not a transition
        closedFrom = s.t;
        peak = both;
      }
      closedTo = s.t;
      peak = Math.max(peak, both);
    } else if (open) {
      if (closedFrom !== null && lastOpen !== null) {
        const minMs = closedTo - closedFrom;
        const maxMs = s.t - lastOpen;
        events.push({
          openBefore: lastOpen,
          closedFrom,
          closedTo,
          reopenedAt: s.t,
          minMs,
          maxMs,
          peak,
          plausible: minMs <= options.maxDurationMs && maxMs >= options.minDurationMs,
        });
        closedFrom = null;
      }
      lastOpen = s.t;
    }
    // Samples between the thresholds neither open nor close: hysteresis.
  }
  return events;
}

export interface BlinkScore {
  readonly passed: boolean;
  /** Strength of the best plausible blink: peak closed-probability (0 when none). */
  readonly score: number;
  readonly count: number;
  readonly plausibleCount: number;
  /** Reopening time of the first plausible blink, or null. */
  readonly firstAt: number | null;
  /** First closed sample of that blink (the start of the response), or null. */
  readonly firstStart: number | null;
  readonly firstDurationMs: number | null;
}

/** Scores a series: passes with at least one plausible blink reopening at or after `notBefore`. */
export function scoreBlink(
  series: readonly EyeSample[],
  notBefore = Number.NEGATIVE_INFINITY,
  options: BlinkOptions = DEFAULT_BLINK_OPTIONS,
): BlinkScore {
  const events = detectBlinks(series, options);
  const ok = events.filter((e) => e.plausible && e.closedFrom >= notBefore);
  const first = ok[0];
  return {
    passed: ok.length > 0,
    score: ok.reduce((m, e) => Math.max(m, e.peak), 0),
    count: events.length,
    plausibleCount: ok.length,
    firstAt: first ? first.reopenedAt : null,
    firstStart: first ? first.closedFrom : null,
    firstDurationMs: first ? Math.min(first.maxMs, Math.max(first.minMs, (first.minMs + first.maxMs) / 2)) : null,
  };
}

/** Why live blinks were not caused by their prompt (null: they may have been). */
export type BlinkCause = 'pre_prompt_motion' | null;

/** Whether a plausible blink of `series` starts in [from, to). */
function blinkIn(series: readonly EyeSample[], from: number, to: number, options: BlinkOptions): boolean {
  return detectBlinks(series, options).some((e) => e.plausible && e.closedFrom >= from && e.closedFrom < to);
}

/**
 * Whether the series shows a quiet period ending at `t`: no plausible blink
 * started in the last `quietMs` (of what the session has seen, up to `t`) and
 * the eyes are not closing now. The engine issues a live blink prompt only
 * then (or once it has waited maxQuietWaitMs).
 */
export function blinkQuiet(series: readonly EyeSample[], t: number, options: BlinkOptions = DEFAULT_BLINK_OPTIONS): boolean {
  const seen = series.filter((s) => s.t <= t);
  const last = seen[seen.length - 1];
  if (last !== undefined && Math.min(last.leftClosed, last.rightClosed) >= options.closedThreshold) return false;
  return !blinkIn(seen, t - options.quietMs, t + 1, options);
}

export interface LiveBlinkInput {
  /** Engine time the prompt was issued, the reaction floor, and the last onset allowed for the first blink. */
  readonly issuedAt: number;
  readonly notBefore: number;
  readonly onsetEnd: number;
  /** Blinks asked for (1: "Blink", 2: "Blink twice", ...). */
  readonly count: number;
}

export interface LiveBlinkScore extends BlinkScore {
  readonly cause: BlinkCause;
  /** Blinks of the answer chain found so far (answered when it reaches count). */
  readonly chained: number;
}

/**
 * Scores a live blink prompt: a blink starting in the quietMs before the
 * prompt fails it (pre_prompt_motion); blinks before the floor are ignored (too
 * soon to be a reaction); the first plausible blink must start by onsetEnd and
 * each next one within maxGapMs after the previous reopened. Blinks outside
 * that chain do not count, so a late answer runs into the challenge's deadline.
 * No upper bound on the count: on the genuine clips a second blink (or one
 * blink read as two) follows within a second often (scripts/eval/blinkTiming.ts).
 */
export function scoreLiveBlinks(series: readonly EyeSample[], input: LiveBlinkInput, options: BlinkOptions = DEFAULT_BLINK_OPTIONS): LiveBlinkScore {
  const base = scoreBlink(series, input.notBefore, options);
  const cause: BlinkCause = blinkIn(series, input.issuedAt - options.quietMs, input.issuedAt, options) ? 'pre_prompt_motion' : null;
  const chain: BlinkEvent[] = [];
  for (const e of detectBlinks(series, options)) {
    if (!e.plausible || e.closedFrom < input.notBefore || chain.length >= input.count) continue;
    const last = chain[chain.length - 1];
    const limit = last === undefined ? input.onsetEnd : last.reopenedAt + options.maxGapMs;
    if (e.closedFrom > limit) break;
    chain.push(e);
  }
  const first = chain[0];
  const last = chain[chain.length - 1];
  const done = cause === null && chain.length >= input.count;
  return {
    ...base,
    passed: done,
    cause,
    chained: chain.length,
    firstAt: done && last ? last.reopenedAt : null,
    firstStart: first ? first.closedFrom : null,
  };
}
