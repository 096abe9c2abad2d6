// Spontaneous blink timing on the genuine clips, for the live blink rules
// (src/engine/signals/blink.ts): how long people keep their eyes open between
// blinks decides the quiet period the engine waits for before a blink prompt
// (blink.quietMs) and how often a spontaneous blink follows another within
// blink.maxGapMs (which a live prompt reads as one blink too many). The clips
// were never prompted, so reaction onsets are not measured here (maxOnsetMs
// comes from the reaction-time literature); what they show is the eyes at rest.
//
// The split: every clip under DIR/genuine (../shared/video: 16 clips of 16
// people). Rule BLINK_QUIET_RULE: quietMs = the longest quiet period (500 ..
// 2000 ms in 100 ms steps) for which, on every training clip, the wait it adds
// from a due time (one every 500 ms of the clip; added: beyond the wait for
// eyes that read closed, which any quiet period has) is at most 1 s in nine
// cases of ten: longer is more evidence that the blinks after the prompt are
// new, but a genuine user must not wait long for the prompt. Leave-one-out:
// the rule on the other clips, then on the held-out clip its wait p50/p90 and
// how often the wait runs out (maxQuietWaitMs; the prompt then goes out and a
// blink in the quiet period fails it). Also the share of blinks followed by
// another within maxGapMs (why a live prompt sets no upper bound on the count).
// Eye series are cached under the OS temp dir (the clips' size and mtime in the key).
//
//   node --import tsx scripts/eval/blinkTiming.ts [DIR] [--max-seconds S] [--json]
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../src/engine/options.ts';
import { blinkQuiet, detectBlinks, type BlinkOptions, type EyeSample } from '../../src/engine/signals/blink.ts';
import { observeFrame } from '../../src/engine/observe.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { quantile } from '../lib/stats.ts';
import { listClips } from './lib/clipEval.ts';
import { decodeClip } from './lib/decodeClip.ts';

export const BLINK_QUIET_RULE = Object.freeze({ quantile: 0.9, maxWaitMs: 1000, stepMs: 100, minMs: 500, maxMs: 2000, dueEveryMs: 500 });

const { values, positionals, fail } = parseScriptArgs({
  name: 'eval:blinks',
  usage: 'usage: node --import tsx scripts/eval/blinkTiming.ts [DIR] [--max-seconds S] [--json]',
  options: {
    'max-seconds': { type: 'number', default: 30, valid: (n) => Number.isFinite(n) && n >= 5 && n <= 120, invalid: '--max-seconds needs 5..120' },
    json: { type: 'boolean' },
  },
});
if (positionals.length > 1) fail('one DIR only');
const DIR = positionals[0] ?? new URL('../../../shared/video/', import.meta.url).pathname;

interface ClipBlinks {
  readonly name: string;
  readonly seconds: number;
  readonly series: readonly EyeSample[];
  readonly blinks: number;
  /** Reopening to the next closure, ms. */
  readonly gaps: readonly number[];
}

async function eyeSeries(analyzer: FaceAnalyzer, file: string, maxSeconds: number): Promise<{ series: EyeSample[]; last: number }> {
  const st = statSync(file);
  const cache = path.join(os.tmpdir(), 'facegate-eval-blinks', `${path.parse(file).name}-${st.size}-${Math.round(st.mtimeMs)}-${maxSeconds}s.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as { series: EyeSample[]; last: number };
  const series: EyeSample[] = [];
  let last = 0;
  for await (const { frame, t } of decodeClip(file, { fps: 10, maxSeconds })) {
    const { observation } = await observeFrame(analyzer, frame, t, ['landmarks', 'eyes']);
    const e = observation.face?.eyes;
    if (e) series.push({ t, leftClosed: e.leftClosed, rightClosed: e.rightClosed });
    last = t;
  }
  mkdirSync(path.dirname(cache), { recursive: true });
  writeFileSync(cache, JSON.stringify({ series, last }));
  return { series, last };
}

async function measure(analyzer: FaceAnalyzer, file: string, maxSeconds: number): Promise<Omit<ClipBlinks, 'name'>> {
  const { series, last } = await eyeSeries(analyzer, file, maxSeconds);
  const events = detectBlinks(series).filter((e) => e.plausible);
  const gaps = events.slice(1).map((e, i) => e.closedFrom - events[i]!.reopenedAt);
  return { seconds: last / 1000, series, blinks: events.length, gaps };
}

/** The rule: the longest quietMs whose wait stays short on every training clip. */
export function quietFromClips(training: readonly ClipBlinks[], base: BlinkOptions, rule = BLINK_QUIET_RULE): number {
  let best = rule.minMs;
  for (let q = rule.minMs; q <= rule.maxMs; q += rule.stepMs) {
    if (training.every((c) => waits(c.series, { ...base, quietMs: q }).q <= rule.maxWaitMs)) best = q;
  }
  return best;
}

/** The wait for a quiet period from `due` (blinkQuiet looks only at samples up to the time asked about, as the engine does). */
function waitFrom(series: readonly EyeSample[], due: number, options: BlinkOptions): number {
  const at = series.find((s) => s.t >= due && blinkQuiet(series, s.t, options));
  return at === undefined || at.t - due > options.maxQuietWaitMs ? options.maxQuietWaitMs : at.t - due;
}

/**
 * Waits for a quiet period from due times every dueEveryMs of the clip (bounded by maxQuietWaitMs): p50, p90,
 * the rule's quantile of the wait added beyond quietMs 0 (eyes that read closed), and the share that ran out.
 */
function waits(series: readonly EyeSample[], options: BlinkOptions, rule = BLINK_QUIET_RULE): { p50: number; p90: number; q: number; ranOut: number; n: number } {
  const end = series[series.length - 1]?.t ?? 0;
  const out: number[] = [];
  const added: number[] = [];
  let ranOut = 0;
  for (let due = 1000; due + options.maxQuietWaitMs <= end; due += rule.dueEveryMs) {
    const wait = waitFrom(series, due, options);
    if (wait >= options.maxQuietWaitMs) ranOut++;
    out.push(wait);
    added.push(wait - waitFrom(series, due, { ...options, quietMs: 0 }));
  }
  added.sort((a, b) => a - b);
  out.sort((a, b) => a - b);
  const at = (p: number): number => (out.length ? quantile(out, p) : 0);
  return { p50: at(0.5), p90: at(0.9), q: added.length ? quantile(added, rule.quantile) : 0, ranOut: out.length ? ranOut / out.length : 0, n: out.length };
}

async function main(): Promise<void> {
  const clips = listClips(DIR).filter((c) => c.label === 'genuine');
  const analyzer = await FaceAnalyzer.create();
  const measured: ClipBlinks[] = [];
  try {
    for (const c of clips) measured.push({ name: c.name, ...(await measure(analyzer, c.file, values['max-seconds'])) });
  } finally {
    await analyzer.close();
  }
  const base = DEFAULT_SESSION_OPTIONS.blink;
  const rows = measured.map((m) => {
    const quietMs = quietFromClips(measured.filter((x) => x !== m), base);
    const w = waits(m.series, { ...base, quietMs });
    const soon = m.gaps.filter((g) => g < base.maxGapMs).length;
    return {
      clip: m.name,
      seconds: m.seconds,
      blinks: m.blinks,
      perMin: m.seconds > 0 ? (60 * m.blinks) / m.seconds : 0,
      gapMinMs: m.gaps.length ? Math.min(...m.gaps) : null,
      looQuietMs: quietMs,
      waitP50Ms: w.p50,
      waitP90Ms: w.p90,
      waitRanOut: w.ranOut,
      followedWithinGap: m.gaps.length ? soon / m.gaps.length : 0,
    };
  });
  const all = quietFromClips(measured, base);
  const report = { dir: DIR, rule: BLINK_QUIET_RULE, quietMsAllClips: all, engineQuietMs: base.quietMs, maxGapMs: base.maxGapMs, maxQuietWaitMs: base.maxQuietWaitMs, clips: rows };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const f = (x: number | null, d = 0): string => (x === null ? '-' : x.toFixed(d));
  const lines = [
    `eval:blinks: ${rows.length} genuine clips under ${path.join(DIR, 'genuine')} (10 fps, first ${values['max-seconds']} s)`,
    'clip                            s  blinks  /min  min gap ms  LOO quietMs  wait p50/p90 ms  ran out  next blink < maxGap',
    ...rows.map((r) =>
      `${r.clip.padEnd(28)} ${f(r.seconds).padStart(4)} ${String(r.blinks).padStart(7)} ${f(r.perMin, 1).padStart(5)} ${f(r.gapMinMs).padStart(11)} ${String(r.looQuietMs).padStart(12)} ` +
      `${`${f(r.waitP50Ms)}/${f(r.waitP90Ms)}`.padStart(16)} ${f(100 * r.waitRanOut).padStart(7)}% ${f(100 * r.followedWithinGap).padStart(10)}%`,
    ),
    `rule on all clips: quietMs ${all} (engine default ${base.quietMs}); maxGapMs ${base.maxGapMs}, maxQuietWaitMs ${base.maxQuietWaitMs}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
