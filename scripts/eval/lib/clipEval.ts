// Liveness evaluation over a folder of recorded clips (DIR/genuine, DIR/attack,
// DIR/injection): each clip is decoded at the live cadence, analysed once, and
// replayed through engine sessions with the schedule the clip can answer.
// Attack clips are run under every schedule and count as accepted if any one
// accepts them; genuine clips run under the schedule their MANIFEST.tsv
// category names (or every schedule, accepted if any accepts, when there is
// none). Injection clips (deepfakes, streams meant for a virtual camera) run
// like attacks and are reported per species, outside APCER: a recording played
// under a fixed schedule is not what the live path would see (eval:kiosk is).
//
// Every presentation attack also gets a liveness verdict: when a quality gate
// (no face, a second face, too small) ended its session, the same schedules run
// again on the frames that gate let through, so "rejected by a liveness signal"
// is measured on every attack, not only on those the gate left alone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FaceAnalyzerLike } from '../../../models/types.ts';
import type { PlannedChallenge } from '../../../src/engine/challengePlan.ts';
import { CLIP_SCHEDULES, runTape, type ClipRunOptions } from './clipRunner.ts';
import { decodeClip } from './decodeClip.ts';
import { ObservationTape } from './ObservationTape.ts';
import type { Decision, ReasonCode } from '../../../src/engine/types.ts';
import { quantile } from '../../../common/vector.ts';
import { DEFAULT_GATE_OPTIONS, gateFrame } from '../../../src/engine/frameGate.ts';

export type ClipLabel = 'genuine' | 'attack' | 'injection';
export type ScheduleName = keyof typeof CLIP_SCHEDULES;

/** Attack species as ISO/IEC 30107-3 reports them (the list); genuine clips have 'bona-fide'. */
export const SPECIES = ['replay-screen', 'replay-phone', 'print', 'photo-still', 'photo-moving', 'deepfake', 'injection'] as const;
export type Species = (typeof SPECIES)[number] | 'bona-fide';

/** Reasons that come from a liveness signal (a challenge, the still check, the spoof cues), not from a quality gate. */
export const LIVENESS_REASONS: readonly ReasonCode[] = Object.freeze(['spoof_suspected', 'liveness_failed', 'challenge_failed', 'challenge_timeout', 'identity_changed']);
const GATE_REASONS: readonly ReasonCode[] = Object.freeze(['no_face', 'multiple_faces', 'face_too_small', 'poor_quality', 'occluded']);

const VIDEO_EXT = /\.(mp4|mov|webm|mkv|avi|m4v)$/i;

export interface ClipFile {
  readonly name: string;
  readonly label: ClipLabel;
  readonly file: string;
  readonly schedules: readonly ScheduleName[];
  readonly species: Species;
}

export interface ClipResult {
  readonly name: string;
  readonly label: ClipLabel;
  readonly verdict: 'accept' | 'reject';
  readonly reason: ReasonCode | null;
  /** Per-signal scores and measured values of the deciding run, flattened ("signal" and "signal.value"). */
  readonly scores: Record<string, number | null>;
  readonly schedule: ScheduleName;
  readonly timeToVerdictMs: number | null;
  readonly runs: readonly { readonly schedule: ScheduleName; readonly outcome: Decision['outcome']; readonly reason: ReasonCode | null }[];
  readonly species: Species;
  /**
   * Attacks: the verdict of the liveness signals alone. The session's own when
   * it ended on a liveness reason; else the schedules rerun on the frames the
   * quality gate let through (`gateFiltered`), `null` when none were left.
   */
  readonly liveness?: { readonly verdict: 'accept' | 'reject'; readonly reason: ReasonCode | null; readonly gateFiltered: boolean; readonly frames: number } | null;
}

export interface EvalReport {
  readonly apcer: number;
  readonly bpcer: number;
  readonly clips: readonly ClipResult[];
}

interface ManifestRow {
  readonly category: string;
  readonly description: string;
}

/** Reads MANIFEST.tsv (in DIR or its parent): category and description per file name. */
function readManifest(dir: string): Map<string, ManifestRow> {
  const out = new Map<string, ManifestRow>();
  for (const m of [path.join(dir, 'MANIFEST.tsv'), path.join(dir, '..', 'MANIFEST.tsv')]) {
    if (!existsSync(m)) continue;
    const [head, ...lines] = readFileSync(m, 'utf8').split('\n');
    const cols = (head ?? '').split('\t');
    const descAt = cols.indexOf('description');
    for (const line of lines) {
      const row = line.split('\t');
      const [file, category] = row;
      if (!file || !category) continue;
      out.set(path.basename(file), { category, description: descAt >= 0 ? (row[descAt] ?? '') : '' });
    }
    break;
  }
  return out;
}

function scheduleOf(category: string | undefined): ScheduleName | null {
  if (!category) return null;
  return category.endsWith('-blink') ? 'blink' : category.endsWith('-headturn') ? 'turn' : null;
}

const isSpecies = (s: string): s is (typeof SPECIES)[number] => (SPECIES as readonly string[]).includes(s);

/**
 * An attack clip's species: the MANIFEST category when it names one
 * (attack-replay-phone), else the clip's folder when it is named after one,
 * else the coarse category refined by what the description says was shown:
 * a monitor, a photo on a screen (photo-still), a phone screen.
 */
export function speciesOf(label: ClipLabel, folder: string, row: ManifestRow | undefined): Species {
  if (label === 'genuine') return 'bona-fide';
  const named = row?.category.replace(/^attack-/, '') ?? '';
  if (isSpecies(named)) return named;
  if (isSpecies(folder)) return folder;
  const d = row?.description ?? '';
  if (named === 'deepfake') return 'deepfake';
  if (named === 'print') return /\bmov(ed|ing)\b/i.test(d) && !/cut-?out/i.test(d) ? 'photo-moving' : 'print';
  if (named === 'replay') {
    if (/monitor/i.test(d)) return 'replay-screen';
    if (/\bphoto\b/i.test(d)) return 'photo-still';
    if (/phone/i.test(d)) return 'replay-phone';
    return 'replay-screen';
  }
  return label === 'injection' ? 'injection' : 'replay-screen';
}

const LABEL_DIRS: readonly ClipLabel[] = ['genuine', 'attack', 'injection'];

export function listClips(dir: string, only?: ScheduleName): ClipFile[] {
  const manifest = readManifest(dir);
  const out: ClipFile[] = [];
  for (const label of LABEL_DIRS) {
    const sub = path.join(dir, label);
    if (!existsSync(sub)) continue;
    for (const f of readdirSync(sub).sort()) {
      if (!VIDEO_EXT.test(f)) continue;
      const all: ScheduleName[] = ['blink', 'turn'];
      const row = manifest.get(f);
      const known = scheduleOf(row?.category);
      const schedules = only ? [only] : label === 'genuine' && known ? [known] : all;
      out.push({ name: path.parse(f).name, label, file: path.join(sub, f), schedules, species: speciesOf(label, label, row) });
    }
  }
  if (!out.some((c) => c.label !== 'injection')) throw new TypeError(`no clips under ${dir}/genuine or ${dir}/attack`);
  return out;
}

function flatten(d: Decision): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, s] of Object.entries(d.signals)) {
    if (!s.evaluated) continue;
    out[name] = s.score;
    for (const [k, v] of Object.entries(s.values)) {
      if (typeof v === 'number') out[`${name}.${k}`] = Number.isFinite(v) ? v : null;
    }
  }
  return out;
}

export interface EvalOptions extends ClipRunOptions {
  readonly fps?: number;
  readonly maxSide?: number;
  readonly only?: ScheduleName;
  /** Ablation: every clip runs this schedule instead of its own (e.g. [] = no challenge at all). */
  readonly schedule?: readonly PlannedChallenge[];
  readonly onClip?: (r: ClipResult) => void;
}

/** Tapes are kept per file so several evaluations (ablations) share one analysis. */
export class ClipEvaluator {
  readonly #analyzer: FaceAnalyzerLike;
  readonly #tapes = new Map<string, ObservationTape>();
  readonly #fps: number;
  readonly #maxSide: number;

  constructor(analyzer: FaceAnalyzerLike, options: { fps?: number; maxSide?: number } = {}) {
    this.#analyzer = analyzer;
    this.#fps = options.fps ?? 10;
    this.#maxSide = options.maxSide ?? 640;
  }

  tape(file: string): ObservationTape {
    let t = this.#tapes.get(file);
    if (!t) {
      t = ObservationTape.fromFrames(this.#analyzer, decodeClip(file, { fps: this.#fps, maxSide: this.#maxSide }));
      this.#tapes.set(file, t);
    }
    return t;
  }

  async clip(c: ClipFile, options: ClipRunOptions & { readonly schedule?: readonly PlannedChallenge[] } = {}): Promise<ClipResult> {
    const tape = this.tape(c.file);
    const runs = await runSchedules(tape, c, options);
    const deciding = decidingRun(runs);
    return {
      name: c.name,
      label: c.label,
      verdict: deciding.decision.outcome === 'succeeded' ? 'accept' : 'reject',
      reason: deciding.decision.reason ?? null,
      scores: flatten(deciding.decision),
      schedule: deciding.schedule,
      timeToVerdictMs: deciding.decision.timings.firstFrameToVerdictMs,
      runs: runs.map((r) => ({ schedule: r.schedule, outcome: r.decision.outcome, reason: r.decision.reason ?? null })),
      species: c.species,
      ...(c.label === 'genuine' ? {} : { liveness: await this.#livenessVerdict(tape, c, deciding.decision, options) }),
    };
  }

  /** What the liveness signals say of an attack the quality gate may have stopped first. */
  async #livenessVerdict(tape: ObservationTape, c: ClipFile, d: Decision, options: ClipRunOptions & { readonly schedule?: readonly PlannedChallenge[] }): Promise<ClipResult['liveness']> {
    const reason = d.reason ?? null;
    if (reason === null || !GATE_REASONS.includes(reason)) return { verdict: d.outcome === 'succeeded' ? 'accept' : 'reject', reason, gateFiltered: false, frames: tape.length };
    for await (const _ of tape.replay()); // the whole recording, not only what the gated session read
    const gate = options.session?.gate ?? DEFAULT_GATE_OPTIONS;
    const passed = tape.items.filter((o) => gateFrame(o, false, gate) === 'ok');
    if (passed.length === 0) return null;
    const filtered = ObservationTape.fromArray(passed);
    try {
      const r = decidingRun(await runSchedules(filtered, c, options)).decision;
      return { verdict: r.outcome === 'succeeded' ? 'accept' : 'reject', reason: r.reason ?? null, gateFiltered: true, frames: passed.length };
    } finally {
      await filtered.close();
    }
  }

  async directory(dir: string, options: EvalOptions = {}): Promise<EvalReport> {
    const clips = listClips(dir, options.only);
    const results: ClipResult[] = [];
    for (const c of clips) {
      const r = await this.clip(c, options);
      results.push(r);
      options.onClip?.(r);
    }
    return summarize(results);
  }

  async close(): Promise<void> {
    for (const t of this.#tapes.values()) await t.close();
    this.#tapes.clear();
  }
}

async function runSchedules(
  tape: ObservationTape,
  c: ClipFile,
  options: ClipRunOptions & { readonly schedule?: readonly PlannedChallenge[] },
): Promise<{ schedule: ScheduleName; decision: Decision }[]> {
  const runs: { schedule: ScheduleName; decision: Decision }[] = [];
  for (const s of c.schedules) runs.push({ schedule: s, decision: (await runTape(tape, options.schedule ?? CLIP_SCHEDULES[s], options)).decision });
  return runs;
}

/** Accepted if any schedule accepts (for attacks the strict reading); the reported run is the accepting one, else the first. */
function decidingRun<T extends { decision: Decision }>(runs: readonly T[]): T {
  return runs.find((r) => r.decision.outcome === 'succeeded') ?? runs[0]!;
}

export interface SpeciesRow {
  readonly species: Species;
  readonly attacks: number;
  readonly accepted: number;
  readonly apcer: number;
  /** Rejected by a liveness signal (the session's own reason, or its liveness rerun on the gate's frames). */
  readonly rejectedByLiveness: number;
  /** Counted in APCER (attack/); injection/ clips are reported only. */
  readonly scored: boolean;
}

/** APCER per attack species (ISO/IEC 30107-3), the worst species, and how many attacks a liveness signal rejected. */
export function bySpecies(clips: readonly ClipResult[]): { rows: SpeciesRow[]; apcerBySpecies: Record<string, number>; worstSpecies: Species | null } {
  const rows: SpeciesRow[] = [];
  for (const sp of SPECIES) {
    const of = clips.filter((c) => c.label !== 'genuine' && c.species === sp);
    if (of.length === 0) continue;
    const accepted = of.filter((c) => c.verdict === 'accept').length;
    const byLiveness = of.filter((c) => c.verdict === 'reject' && c.liveness?.verdict === 'reject' && c.liveness.reason !== null && LIVENESS_REASONS.includes(c.liveness.reason)).length;
    rows.push({ species: sp, attacks: of.length, accepted, apcer: accepted / of.length, rejectedByLiveness: byLiveness, scored: of.some((c) => c.label === 'attack') });
  }
  const apcerBySpecies = Object.fromEntries(rows.map((r) => [r.species, r.apcer]));
  const worst = [...rows].sort((a, b) => b.apcer - a.apcer || Number(b.scored) - Number(a.scored))[0];
  return { rows, apcerBySpecies, worstSpecies: worst?.species ?? null };
}

export function summarize(clips: readonly ClipResult[]): EvalReport {
  const attacks = clips.filter((c) => c.label === 'attack');
  const genuine = clips.filter((c) => c.label === 'genuine');
  return {
    apcer: attacks.length ? attacks.filter((c) => c.verdict === 'accept').length / attacks.length : 0,
    bpcer: genuine.length ? genuine.filter((c) => c.verdict === 'reject').length / genuine.length : 0,
    clips,
  };
}

/** Median and p95 time from first frame to verdict over accepted genuine clips. */
export function verdictTimes(clips: readonly ClipResult[]): { p50: number; p95: number; n: number } {
  const t = clips.filter((c) => c.label === 'genuine' && c.verdict === 'accept' && c.timeToVerdictMs !== null).map((c) => c.timeToVerdictMs!);
  return { p50: quantile(t, 0.5), p95: quantile(t, 0.95), n: t.length };
}
