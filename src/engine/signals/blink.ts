// Blink signal: finds closed-then-open transitions of plausible duration in
// the eye closed-probability time series. Both eyes must close together: the
// eye model misreads one open eye as closed about 4% of the time, but was
// never seen to misread both (models/README.md), and a wink is no blink.

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
}

export const DEFAULT_BLINK_OPTIONS: BlinkOptions = Object.freeze({
  closedThreshold: 0.5,
  openThreshold: 0.3,
  minDurationMs: 60,
  maxDurationMs: 500,
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
