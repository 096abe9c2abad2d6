// Liveness evaluation over a folder of recorded clips (DIR/genuine, DIR/attack):
// each clip is decoded at the live cadence, analysed once, and replayed through
// engine sessions with the schedule the clip can answer. Attack clips are run
// under every schedule and count as accepted if any one accepts them; genuine
// clips run under the schedule their MANIFEST.tsv category names (or every
// schedule, accepted if any accepts, when there is none).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FaceAnalyzerLike } from '../../../models/types.ts';
import type { PlannedChallenge } from '../../../src/engine/challengePlan.ts';
import { CLIP_SCHEDULES, runTape, type ClipRunOptions } from './clipRunner.ts';
import { decodeClip } from './decodeClip.ts';
import { ObservationTape } from './ObservationTape.ts';
import type { Decision, ReasonCode } from '../../../src/engine/types.ts';
import { quantile } from '../../../common/vector.ts';

export type ClipLabel = 'genuine' | 'attack';
export type ScheduleName = keyof typeof CLIP_SCHEDULES;

const VIDEO_EXT = /\.(mp4|mov|webm|mkv|avi|m4v)$/i;

export interface ClipFile {
  readonly name: string;
  readonly label: ClipLabel;
  readonly file: string;
  readonly schedules: readonly ScheduleName[];
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
}

export interface EvalReport {
  readonly apcer: number;
  readonly bpcer: number;
  readonly clips: readonly ClipResult[];
}

/** Reads MANIFEST.tsv (in DIR or its parent) for genuine-blink / genuine-headturn categories. */
function manifestSchedules(dir: string): Map<string, ScheduleName> {
  const out = new Map<string, ScheduleName>();
  for (const m of [path.join(dir, 'MANIFEST.tsv'), path.join(dir, '..', 'MANIFEST.tsv')]) {
    if (!existsSync(m)) continue;
    for (const line of readFileSync(m, 'utf8').split('\n').slice(1)) {
      const [file, category] = line.split('\t');
      if (!file || !category) continue;
      const s: ScheduleName | null = category.endsWith('-blink') ? 'blink' : category.endsWith('-headturn') ? 'turn' : null;
      if (s) out.set(path.basename(file), s);
    }
    break;
  }
  return out;
}

export function listClips(dir: string, only?: ScheduleName): ClipFile[] {
  const manifest = manifestSchedules(dir);
  const out: ClipFile[] = [];
  for (const label of ['genuine', 'attack'] as const) {
    const sub = path.join(dir, label);
    if (!existsSync(sub)) continue;
    for (const f of readdirSync(sub).sort()) {
      if (!VIDEO_EXT.test(f)) continue;
      const all: ScheduleName[] = ['blink', 'turn'];
      const known = manifest.get(f);
      const schedules = only ? [only] : label === 'genuine' && known ? [known] : all;
      out.push({ name: path.parse(f).name, label, file: path.join(sub, f), schedules });
    }
  }
  if (out.length === 0) throw new TypeError(`no clips under ${dir}/genuine or ${dir}/attack`);
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
    const runs: { schedule: ScheduleName; decision: Decision }[] = [];
    for (const s of c.schedules) runs.push({ schedule: s, decision: (await runTape(tape, options.schedule ?? CLIP_SCHEDULES[s], options)).decision });
    // Accepted if any schedule accepts (for attacks the strict reading); the
    // reported run is the accepting one, else the first.
    const deciding = runs.find((r) => r.decision.outcome === 'succeeded') ?? runs[0]!;
    return {
      name: c.name,
      label: c.label,
      verdict: deciding.decision.outcome === 'succeeded' ? 'accept' : 'reject',
      reason: deciding.decision.reason ?? null,
      scores: flatten(deciding.decision),
      schedule: deciding.schedule,
      timeToVerdictMs: deciding.decision.timings.firstFrameToVerdictMs,
      runs: runs.map((r) => ({ schedule: r.schedule, outcome: r.decision.outcome, reason: r.decision.reason ?? null })),
    };
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
