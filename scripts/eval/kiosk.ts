// The live-path liveness evaluation: recordings from ../shared/video played
// as the Chromium fake camera through the real kiosk page against a real node
// (port 0, embedded store, the production liveness engine with the server's
// random challenges: nothing is scheduled for the clip), N trials per clip,
// counting accepts. Each trial is a fresh enrollment session (a new user, so
// no trial is cut short by another's lockout; liveness is the only gate a
// recording has to pass there). --rest instead uploads the clip's frames to
// process-frame at the rate the session advertises, answering nothing.
// Prints a table (clip, species, trials, accepts, median time to verdict,
// reasons) and the chance-acceptance rate the challenge design implies, with
// how the 1:1 lockout bounds it (lib/chanceAcceptance.ts).
//
//   node --import tsx scripts/eval/kiosk.ts [--trials N] [--flash on|off|optout] [--rest]
//        [--clips GLOB] [--trial-timeout-s S] [--json] [DIR]
//
// --flash optout: the node draws the flash (LIVENESS_FLASH=on) but the page
// opts out of it (?flash=off), as a user who cannot look at a flash would.
// DIR defaults to ../shared/video; GLOB matches "label/name" (e.g.
// 'injection/*', 'genuine/liveportrait_d0'); default: genuine/ and injection/.
// Every trial is bounded by --trial-timeout-s (a trial that runs out counts as
// not accepted, reason "timeout", and its session is cancelled); the browser,
// the node and the temp data dir are closed and removed at the end.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext } from 'playwright-core';
import { pino } from 'pino';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../src/engine/options.ts';
import { FacegateNode } from '../../src/FacegateNode.ts';
import { chromiumMissing, launchWithFakeCamera, videoToY4m } from '../../test/support/fakeCamera.ts';
import { loopbackNodeEnv } from '../../test/support/nodeEnv.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { formatTable, median } from '../lib/stats.ts';
import { chanceAcceptance, TYPICAL_BLINK_RATE_PER_MIN, type ChanceReport } from './lib/chanceAcceptance.ts';
import { listClips, type ClipFile } from './lib/clipEval.ts';
import { clipDataUrls, type ClipFrame } from './lib/clipJpegs.ts';

const { values, positionals, fail } = parseScriptArgs({
  name: 'eval:kiosk',
  usage:
    'usage: node --import tsx scripts/eval/kiosk.ts [--trials N>=1] [--flash on|off|optout] [--rest] [--clips GLOB] [--trial-timeout-s S] [--json] [DIR]',
  options: {
    trials: { type: 'number', default: 20, valid: (n) => Number.isInteger(n) && n >= 1 && n <= 1000, invalid: '--trials needs a whole number 1..1000' },
    flash: { type: 'string', default: 'on', choices: ['on', 'off', 'optout'] },
    rest: { type: 'boolean' },
    clips: { type: 'string', default: '{genuine,injection}/*' },
    'trial-timeout-s': { type: 'number', default: 60, valid: (n) => Number.isFinite(n) && n >= 5 && n <= 300, invalid: '--trial-timeout-s needs 5..300' },
    json: { type: 'boolean' },
  },
});
if (positionals.length > 1) fail('one DIR only');
const DIR = positionals[0] ?? new URL('../../../shared/video/', import.meta.url).pathname;
const TRIALS = values.trials;
const FLASH = values.flash;
const REST = values.rest;
const TRIAL_TIMEOUT_MS = values['trial-timeout-s'] * 1000;
/** Seconds of each clip the camera loops (or the upload loops): longer than any session needs before it decides. */
const CLIP_SECONDS = 20;
const Y4M_CACHE = path.join(os.tmpdir(), 'facegate-eval-kiosk-y4m');

interface Trial {
  readonly accepted: boolean;
  readonly reason: string;
  readonly timeToVerdictMs: number | null;
  /** The challenges the session issued, in order, each with + (answered) or - (failed). */
  readonly challenges: string;
}

interface ClipRow {
  readonly clip: string;
  readonly label: ClipFile['label'];
  readonly species: ClipFile['species'];
  readonly trials: number;
  readonly accepts: number;
  readonly medianTimeToVerdictMs: number | null;
  readonly reasons: Readonly<Record<string, number>>;
  /** The challenges of each accepted trial: what a recording got through. */
  readonly acceptedWith: readonly string[];
}

interface SessionView {
  status: string;
  decision: { outcome: string; reason: string | null; timings_ms?: { challenges?: { kind: string; passed: boolean }[] } } | null;
}

const TERMINAL = new Set(['succeeded', 'failed', 'expired', 'cancelled']);

/**
 * The API as one client: bearer from its API key (fetched again when it
 * expires: a series runs longer than a token lives), JSON calls that throw on
 * a non-2xx answer.
 */
async function apiClient(node: FacegateNode): Promise<(method: string, route: string, body?: unknown) => Promise<Record<string, unknown>>> {
  let bearer: string | null = null;
  const once = async (method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${node.url}${route}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const { apiKey } = await node.service.tenants.createClient('eval:kiosk');
  const signIn = async (): Promise<void> => {
    bearer = null;
    const r = await once('POST', '/api/auth/client', { api_key: apiKey });
    if (r.status >= 300) throw new Error(`POST /api/auth/client: ${r.status} ${JSON.stringify(r.json)}`);
    bearer = String(r.json.access_token);
  };
  await signIn();
  return async (method, route, body) => {
    let r = await once(method, route, body);
    const expired = r.status === 401 && (r.json.details as { reason?: unknown } | undefined)?.reason === 'token_expired';
    if (expired) {
      await signIn();
      r = await once(method, route, body);
    }
    if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
}

type Call = Awaited<ReturnType<typeof apiClient>>;

function matchesClips(c: ClipFile, glob: string): boolean {
  return path.matchesGlob(`${c.label}/${c.name}`, glob) || path.matchesGlob(c.name, glob);
}

async function cachedY4m(file: string): Promise<string> {
  mkdirSync(Y4M_CACHE, { recursive: true });
  const st = statSync(file);
  const out = path.join(Y4M_CACHE, `${path.parse(file).name}-${st.size}-${Math.round(st.mtimeMs)}-${CLIP_SECONDS}s.y4m`);
  if (!existsSync(out)) {
    const part = `${out}.part-${process.pid}`;
    await videoToY4m(file, part, CLIP_SECONDS);
    renameSync(part, out);
  }
  return out;
}

/** Polls the session's status until it is decided or `deadline` (ms epoch); null on timeout. */
async function waitDecided(call: Call, token: string, deadline: number, stop?: () => boolean): Promise<SessionView | null> {
  while (Date.now() < deadline) {
    const v = (await call('GET', `/api/auth/session/${encodeURIComponent(token)}/status`)) as unknown as SessionView;
    if (TERMINAL.has(v.status)) return v;
    if (stop?.() === true) return null;
    await sleep(250);
  }
  return null;
}

async function finishTrial(call: Call, token: string, view: SessionView | null, startedAt: number): Promise<Trial> {
  if (view === null) {
    await call('DELETE', `/api/auth/session/${encodeURIComponent(token)}`).catch(() => undefined);
    return { accepted: false, reason: 'timeout', timeToVerdictMs: null, challenges: '' };
  }
  const challenges = (view.decision?.timings_ms?.challenges ?? []).map((c) => `${c.kind}${c.passed ? '+' : '-'}`).join(' ');
  return { accepted: view.status === 'succeeded', reason: view.decision?.reason ?? view.status, timeToVerdictMs: Date.now() - startedAt, challenges };
}

/** One session through the kiosk page in Chromium, the clip as its camera. */
async function browserTrial(context: BrowserContext, node: FacegateNode, call: Call, user: string): Promise<Trial> {
  const token = String((await call('POST', '/api/auth/enrollment', { external_user_id: user })).session_token);
  const page = await context.newPage();
  try {
    const startedAt = Date.now();
    await page.goto(`${node.url}/?token=${encodeURIComponent(token)}&autostart=1&speak=0${FLASH === 'optout' ? '&flash=off' : ''}`, { timeout: 20_000 });
    return await finishTrial(call, token, await waitDecided(call, token, startedAt + TRIAL_TIMEOUT_MS), startedAt);
  } finally {
    await page.close().catch(() => undefined);
  }
}

/** One session over REST: the clip's frames uploaded at the advertised rate, looping, until the session decides. */
async function restTrial(node: FacegateNode, call: Call, user: string, frames: readonly ClipFrame[]): Promise<Trial> {
  const created = await call('POST', '/api/auth/enrollment', { external_user_id: user });
  const token = String(created.session_token);
  const cfg = created.config as { frame_rate: number; process_frame_url: string };
  const url = new URL(cfg.process_frame_url, node.url).toString();
  const intervalMs = 1000 / cfg.frame_rate;
  const startedAt = Date.now();
  const deadline = startedAt + TRIAL_TIMEOUT_MS;
  for (let i = 0; Date.now() < deadline; i++) {
    const due = startedAt + i * intervalMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_token: token, image: frames[i % frames.length]!.dataUrl }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json()) as SessionView & { error?: { code: string } };
    // A 409 is the session decided meanwhile; any other refusal ends the trial on what the status says.
    if (res.ok && !TERMINAL.has(body.status)) continue;
    return finishTrial(call, token, await waitDecided(call, token, deadline), startedAt);
  }
  return finishTrial(call, token, null, startedAt);
}

function row(c: ClipFile, trials: readonly Trial[]): ClipRow {
  const reasons: Record<string, number> = {};
  for (const t of trials) reasons[t.reason] = (reasons[t.reason] ?? 0) + 1;
  const times = trials.map((t) => t.timeToVerdictMs).filter((x): x is number => x !== null);
  return {
    clip: c.name,
    label: c.label,
    species: c.species,
    trials: trials.length,
    accepts: trials.filter((t) => t.accepted).length,
    medianTimeToVerdictMs: times.length > 0 ? median(times) : null,
    reasons,
    acceptedWith: trials.filter((t) => t.accepted).map((t) => t.challenges),
  };
}

function chanceLines(config: Config, r: ChanceReport, worst: ChanceReport): string[] {
  const pct = (x: number): string => `${(100 * x).toPrecision(3)} %`;
  const a = r.perAttempt;
  const o = DEFAULT_SESSION_OPTIONS;
  const b = o.blink;
  return [
    `Chance acceptance the challenge design implies (a source that never sees the prompts; scripts/eval/lib/chanceAcceptance.ts):`,
    `  a session draws ${r.draws.map((d) => d.join(' + ')).join(' or ')} (src/engine/challengePlan.ts sessionPlan), ` +
      `${config.liveness.maxAttempts - 1} retry per session (LIVENESS_MAX_ATTEMPTS=${config.liveness.maxAttempts}, a retry redraws the family)`,
    `  per attempt: blink ${pct(a.blink ?? 0)} at ${TYPICAL_BLINK_RATE_PER_MIN} blinks/min (1-3 blinks drawn; prompted after ${b.quietMs / 1000} s with the eyes open, ` +
      `the first within ${b.maxOnsetMs / 1000} s of the floor, each next within ${b.maxGapMs / 1000} s), ` +
      `${pct(r.worstBlink)} at the worst rate (${(60 * r.worstBlinkRatePerS).toFixed(0)}/min, waiting ${b.maxQuietWaitMs / 1000} s for the quiet period included);` +
      ` head turn ${pct(a.turn ?? 0)} (1 of 2 sides, onset within ${o.turn.maxOnsetMs / 1000} s of the floor, none in the ${o.turn.quietMs / 1000} s before; worst case over the recording's turn rate, at ${r.worstTurnRatePerS.toFixed(2)} turns/s)` +
      (a.flash !== null ? `; colour flash ${pct(a.flash)} (a random sequence of distinct colours matching the asked one in enough steps)` : ''),
    `  per session (= per trial): ${pct(r.perSession)} at the typical blink rate, ${pct(r.perSessionWorst)} at the worst; ` +
      `if every blink prompt were answered (no blink rule): ${pct(worst.perSession)}`,
    `Lockout (1:1 verification, LOCKOUT_FAILURES=${config.service.lockoutFailures} in LOCKOUT_WINDOW_S=${config.service.lockoutWindowS}):` +
      ` at most ${config.service.lockoutFailures} failed sessions per user per window, so P(an accept within one window) <= ${pct(r.perLockoutWindow)};` +
      ` ${r.sessionsPerDay} sessions per user per day -> P(an accept within a day) ${pct(r.perDay)}, expected ${(r.expectedDaysToAccept * 24 * 60).toFixed(1)} min to a first accept.` +
      ` Enrollment and 1:N identification are not lockout-bounded (only the client's rate limits).`,
  ];
}

async function main(): Promise<void> {
  const clips = listClips(DIR).filter((c) => matchesClips(c, values.clips));
  if (clips.length === 0) fail(`no clip under ${DIR} matches ${values.clips}`);
  if (!REST && chromiumMissing) fail(chromiumMissing);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegate-eval-kiosk-'));
  const config = loadConfig({
    ...process.env,
    ...loopbackNodeEnv(tmp),
    FACEGATE_DEMO: 'off',
    LIVENESS_FLASH: FLASH === 'off' ? 'off' : 'on',
  });
  const analyzer = await FaceAnalyzer.create();
  let node: FacegateNode | undefined;
  const rows: ClipRow[] = [];
  try {
    node = await FacegateNode.start(config, { log: pino({ level: 'silent' }), analyzer, testing: { sdkBundles: 'build' } });
    const call = await apiClient(node);
    for (const c of clips) {
      const trials: Trial[] = [];
      if (REST) {
        const frames = await clipDataUrls(c.file, config.media.frameRate, 85, CLIP_SECONDS);
        for (let i = 0; i < TRIALS; i++) trials.push(await restTrial(node, call, `eval-${c.name}-${i}`, frames));
      } else {
        const context = await launchWithFakeCamera(tmp, await cachedY4m(c.file));
        try {
          for (let i = 0; i < TRIALS; i++) trials.push(await browserTrial(context, node, call, `eval-${c.name}-${i}`));
        } finally {
          await context.close();
        }
      }
      const r = row(c, trials);
      rows.push(r);
      // Also with --json: a long series that stops half way keeps the clips it finished.
      process.stderr.write(`${c.label}/${c.name}: ${r.accepts}/${r.trials} accepted ${JSON.stringify(r.reasons)} median ${r.medianTimeToVerdictMs ?? '-'} ms\n`);
    }
  } finally {
    await node?.close();
    await analyzer.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  report(config, rows);
}

/** Prints (or writes as JSON) the per-clip table and the chance-acceptance figures. */
function report(config: Config, rows: readonly ClipRow[]): void {
  const input = {
    challenges: config.liveness.challenges,
    challengesWithoutFlash: DEFAULT_SESSION_OPTIONS.plan.countWithoutFlash,
    maxAttempts: config.liveness.maxAttempts,
    // REST uploads never get the flash.
    flash: FLASH === 'on' && !REST,
    lockoutFailures: config.service.lockoutFailures,
    lockoutWindowS: config.service.lockoutWindowS,
  };
  const chance = chanceAcceptance(input);
  const worst = chanceAcceptance({ ...input, blinkRatePerMin: Number.POSITIVE_INFINITY });
  const path_ = REST ? 'rest' : 'chromium';
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ path: path_, flash: REST ? 'n/a' : FLASH, trialsPerClip: TRIALS, clips: rows, chance, chanceAlwaysBlinking: worst }, null, 2)}\n`);
    return;
  }
  const lines = [
    `eval:kiosk: ${path_}${REST ? ' (process-frame at the advertised rate, no flash)' : `, flash ${FLASH}`}, ${TRIALS} trial(s) per clip, random challenges`,
    ...formatTable(
      [
        { header: 'clip', width: 52, align: 'left' },
        { header: 'species', width: 15, align: 'left' },
        { header: 'trials', width: 7, align: 'right' },
        { header: 'accepts', width: 8, align: 'right' },
        { header: 'median s to verdict ', width: 21, align: 'right' },
        { header: 'reasons', width: 1, align: 'left' },
      ],
      rows.map((r) => [
        `${r.label}/${r.clip}`,
        r.species,
        String(r.trials),
        String(r.accepts),
        r.medianTimeToVerdictMs !== null ? (r.medianTimeToVerdictMs / 1000).toFixed(1) : '-',
        `  ${Object.entries(r.reasons).map(([k, n]) => `${k} ${n}`).join(', ')}`,
      ]),
    ),
    ...rows.flatMap((r) => r.acceptedWith.map((c) => `  accepted ${r.label}/${r.clip}: challenges ${c || '(none recorded)'}`)),
    '',
    ...chanceLines(config, chance, worst),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
