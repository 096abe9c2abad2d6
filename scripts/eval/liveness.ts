// eval:liveness — runs recorded clips through the liveness engine and reports
// per-clip signals and verdicts, APCER (attacks accepted / attacks) and BPCER
// (genuine rejected / genuine), and the time from first frame to verdict.
// DIR holds genuine/ and attack/ clips; a MANIFEST.tsv (in DIR or its parent)
// names which challenge each genuine clip contains (category *-blink or
// *-headturn). A recording cannot answer random prompts, so each clip runs
// with a fixed schedule (passive + blink, or passive + head turn); attack clips
// run under every schedule and count as accepted if any accepts them.
//
// --photos PDIR measures the artefact cues on every still photo under PDIR (one
// frame each, biggest face) and prints how often each cue alone would reach
// spoof evidence: a held-out check of the thresholds on scenes they were not
// chosen on (../shared/faces: real faces, no screens).
//
// Held-out evidence (thresholds are derived from genuine clips by the rules in
// scripts/eval/lib/thresholdRules.ts; attack clips only check them):
//   --loo          leave-one-out: each clip judged with thresholds derived without it
//   --ablation     APCER/BPCER with each check or signal removed
//   --no-gesture   every clip through the no-gesture path (no flash, no gesture; its best outcome is
//                  step_up_required): how many genuine clips reach the step-up, how many attacks it gets
//   --robust       the clips transformed (low bitrate, 320 wide, gamma up/down,
//                  15 and 6 fps cadence) and judged as held-out variants
//   --margins      each threshold's distance to the nearest genuine and attack value
//   --stills SDIR  every still image repeated as frames (a photo held still)
//   --occlusion PDIR  eye-crop occlusion cue: false occlusions on PDIR's photos and
//                  the genuine clips, hit rate on synthetic occlusions of the photos
//
//   npm run eval:liveness -- DIR [--json] [--fps N] [--schedule blink|turn] [--ablation] [--photos PDIR]
//                              [--loo] [--robust] [--margins] [--stills SDIR] [--occlusion PDIR]
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeImage } from '../../models/decodeImage.ts';
import { measureArtefacts } from '../../src/engine/signals/artefacts.ts';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { bySpecies, ClipEvaluator, listClips, summarize, verdictTimes, type ClipFile, type ClipResult, type ScheduleName } from './lib/clipEval.ts';
import { CLIP_SCHEDULES, runTape } from './lib/clipRunner.ts';
import { ffmpegPath, type TimedFrame } from './lib/decodeClip.ts';
import { EyeCoverTracker } from '../../src/engine/EyeCoverTracker.ts';
import { DEFAULT_GATE_OPTIONS, eyesOccluded, gateFrame } from '../../src/engine/frameGate.ts';
import { DEFAULT_FUSION_OPTIONS, VOUCHABLE_CUES, type FusionOptions } from '../../src/engine/fusion.ts';
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from '../../src/engine/options.ts';
import { ObservationTape } from './lib/ObservationTape.ts';
import { evaluateOcclusion } from './lib/occlusionEval.ts';
import { DEFAULT_IDENTITY_OPTIONS } from '../../src/engine/signals/identity.ts';
import {
  clipCueStats,
  cueDecisionPoint,
  fusionFromGenuine,
  staticDiffFromGenuine,
  WEIGHTED_CUES,
  type ClipCueStats,
} from './lib/thresholdRules.ts';
import type { RawFrame } from '../../models/types.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { median, quantile } from '../lib/stats.ts';

const existingFolder = (v: string): boolean => existsSync(v);
const args = parseScriptArgs({
  name: 'eval:liveness',
  usage:
    'usage: npm run eval:liveness -- DIR [--json] [--fps N] [--schedule blink|turn] [--ablation] [--no-gesture] [--photos PDIR] [--loo] [--robust] [--margins] [--stills SDIR] [--occlusion PDIR]',
  options: {
    json: { type: 'boolean' },
    fps: { type: 'number', default: 10, valid: (n) => n > 0 && n <= 30, invalid: '--fps needs a number in (0, 30]' },
    schedule: { type: 'string', choices: ['blink', 'turn'], invalid: '--schedule is blink or turn' },
    ablation: { type: 'boolean' },
    'no-gesture': { type: 'boolean' },
    photos: { type: 'string', valid: existingFolder, invalid: '--photos needs an existing folder' },
    loo: { type: 'boolean' },
    robust: { type: 'boolean' },
    margins: { type: 'boolean' },
    stills: { type: 'string', valid: existingFolder, invalid: '--stills needs an existing folder' },
    occlusion: { type: 'string', valid: existingFolder, invalid: '--occlusion needs an existing folder' },
  },
});
const { json, fps, ablation, photos, loo, robust, margins, stills, occlusion } = args.values;
const only: ScheduleName | undefined = args.values.schedule;
if (args.positionals.length > 1) args.fail('one DIR only');
const dir = args.positionals[0] ?? args.fail('DIR is required (--help for usage)');
if (!existsSync(dir)) args.fail(`${dir} does not exist`);
try {
  listClips(dir);
} catch (e) {
  args.fail((e as Error).message);
}

const fmt = (v: number | null | undefined, d = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

function line(r: ClipResult): string {
  const s = r.scores;
  return [
    r.label.padEnd(7),
    r.name.padEnd(24),
    r.schedule.padEnd(5),
    r.verdict.padEnd(6),
    (r.reason ?? '').padEnd(16),
    r.species.padEnd(13),
    (r.liveness === undefined ? '' : r.liveness === null ? 'live:-' : `live:${r.liveness.verdict}/${r.liveness.reason ?? '-'}${r.liveness.gateFiltered ? '*' : ''}`).padEnd(30),
    `t=${r.timeToVerdictMs ?? '-'}ms`.padEnd(10),
    `spoof=${fmt(s['artefacts'], 2)}`,
    `edge=${fmt(s['artefacts.edgeFrame'])}`,
    `glare=${fmt(s['artefacts.glare'])}`,
    `blue=${fmt(s['artefacts.blueCast'])}`,
    `hf=${fmt(s['artefacts.hfRatio'])}`,
    `live=${fmt(s['passive.median'])}`,
    `blink=${fmt(s['blink'], 2)}`,
    `turn=${fmt(s['head_turn'], 2)}`,
    `parallax=${fmt(s['depth.parallax'])}`,
    `still=${fmt(s['motion.cellDiff'], 2)}`,
    `id=${fmt(s['identity.minSimilarity'])}`,
  ].join(' ');
}

const analyzer = await FaceAnalyzer.create({});
const evaluator = new ClipEvaluator(analyzer, { fps });

const pct = (n: number, d: number): string => `${n}/${d} (${fmt((100 * n) / Math.max(1, d), 1)}%)`;
const rates = (r: readonly ClipResult[]): { apcer: number; bpcer: number; attacks: number; genuine: number } => {
  const s = summarize(r);
  return { apcer: s.apcer, bpcer: s.bpcer, attacks: r.filter((c) => c.label === 'attack').length, genuine: r.filter((c) => c.label === 'genuine').length };
};
const brief = (r: ClipResult): Record<string, unknown> => ({ name: r.name, label: r.label, verdict: r.verdict, reason: r.reason });
const say = (line: string): void => {
  if (!json) console.log(line);
};

/** A photo repeated as frames at the eval cadence (a picture held perfectly still). */
async function* repeated(frame: RawFrame, n: number): AsyncGenerator<TimedFrame> {
  for (let i = 0; i < n; i++) yield { frame, t: Math.round((i * 1000) / fps) };
}

/** The clips transformed into held-out variants (ffmpeg), each variant a DIR of genuine/ and attack/. */
async function transformed(clips: readonly ClipFile[], root: string): Promise<[string, string][]> {
  const variants: [string, string[]][] = [
    ['bitrate 150 kbit/s', ['-c:v', 'libx264', '-b:v', '150k', '-maxrate', '150k', '-bufsize', '300k']],
    ['downscaled to 320 wide', ['-vf', 'scale=320:-2', '-c:v', 'libx264', '-crf', '20']],
    ['gamma 1.5 (brighter)', ['-vf', 'eq=gamma=1.5', '-c:v', 'libx264', '-crf', '18']],
    ['gamma 0.7, brightness -0.06 (darker)', ['-vf', 'eq=gamma=0.7:brightness=-0.06', '-c:v', 'libx264', '-crf', '18']],
  ];
  const out: [string, string][] = [];
  for (const [i, [name, codec]] of variants.entries()) {
    const vdir = path.join(root, `v${i}`);
    for (const c of clips) {
      const sub = path.join(vdir, c.label);
      mkdirSync(sub, { recursive: true });
      // The first 12 s hold every verdict of the originals (the slowest comes at 5.9 s).
      const args = ['-hide_banner', '-loglevel', 'error', '-y', '-i', c.file, '-t', '12', '-an', ...codec, '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
      await promisify(execFile)(ffmpegPath(), [...args, path.join(sub, path.basename(c.file))]);
    }
    // The same challenge categories as the originals.
    const manifest = [path.join(dir, 'MANIFEST.tsv'), path.join(dir, '..', 'MANIFEST.tsv')].find((m) => existsSync(m));
    if (manifest) copyFileSync(manifest, path.join(vdir, 'MANIFEST.tsv'));
    out.push([name, vdir]);
  }
  return out;
}

/** --margins: each threshold's distance to the nearest genuine and attack value. */
function printMargins(
  st: Map<string, ClipCueStats>,
  clips: readonly ClipFile[],
  genuineFiles: readonly ClipFile[],
  stillRows: readonly { cellDiff: number | null }[] | undefined,
  out: Record<string, unknown>,
): void {
  const rows: Record<string, unknown>[] = [];
  say('\nthreshold margins (product defaults; genuine = highest running median of any genuine clip, attack = lowest running median of each attack clip):');
  const vouch = DEFAULT_FUSION_OPTIONS.passiveVouch;
  for (const k of WEIGHTED_CUES) {
    const point = cueDecisionPoint(DEFAULT_FUSION_OPTIONS, k);
    // A vouchable cue judges only the genuine clips the passive model does not vouch for.
    const judged = genuineFiles.filter((c) => !(VOUCHABLE_CUES.includes(k) && st.get(c.name)!.passiveMin >= vouch));
    const g = judged.map((c) => ({ name: c.name, v: st.get(c.name)!.runningMax[k] })).sort((a, b) => b.v - a.v)[0]!;
    const attacks = clips.filter((c) => c.label === 'attack').map((c) => ({ name: c.name, v: st.get(c.name)!.runningMin[k] }));
    const caught = attacks.filter((a) => a.v >= point).sort((a, b) => a.v - b.v)[0];
    const row = {
      threshold: k,
      value: point,
      nearestGenuine: g,
      genuineMargin: point - g.v,
      nearestAttackCaught: caught ?? null,
      attackMargin: caught ? caught.v - point : null,
      attacksCaughtByThisCue: attacks.filter((a) => a.v >= point).map((a) => a.name),
    };
    rows.push(row);
    say(
      `  ${k.padEnd(10)} at ${fmt(point)}: genuine max ${fmt(g.v)} (${g.name}) margin ${fmt(point - g.v)}; ` +
        (caught ? `nearest attack ${fmt(caught.v)} (${caught.name}) margin ${fmt(caught.v - point)}` : 'no attack clip above it') +
        `; attacks over it from the first evidence: ${row.attacksCaughtByThisCue.join(', ') || 'none'}`,
    );
  }
  {
    const edgePoint = cueDecisionPoint(DEFAULT_FUSION_OPTIONS, 'edgeFrame');
    const edged = genuineFiles.filter((c) => st.get(c.name)!.runningMax.edgeFrame >= edgePoint).map((c) => ({ name: c.name, v: st.get(c.name)!.passiveMin }));
    const lowest = edged.sort((a, b) => a.v - b.v)[0] ?? null;
    const attacks = clips.filter((c) => c.label === 'attack').map((c) => ({ name: c.name, v: st.get(c.name)!.passiveMin })).filter((a) => Number.isFinite(a.v));
    const highest = attacks.sort((a, b) => b.v - a.v)[0] ?? null;
    rows.push({ threshold: 'passiveVouch', value: vouch, lowestVouchedGenuine: lowest, vouchedGenuine: edged.map((e) => e.name), highestAttack: highest });
    say(
      `  passiveVouch at ${fmt(vouch)}: genuine clips over the edgeFrame point ${edged.map((e) => `${e.name} ${fmt(e.v)}`).join(', ') || 'none'}` +
        (lowest ? ` (lowest ${fmt(lowest.v / vouch, 2)}x the vouch)` : '') +
        (highest ? `; highest attack passive running median ${fmt(highest.v)} (${highest.name}) margin ${fmt(vouch - highest.v)}` : ''),
    );
  }
  const g = genuineFiles.map((c) => ({ name: c.name, v: st.get(c.name)!.stillWindowMin })).sort((a, b) => a.v - b.v)[0]!;
  const stillMax = stillRows?.length ? Math.max(...stillRows.map((r) => r.cellDiff ?? 0)) : null;
  rows.push({ threshold: 'staticDiff', value: DEFAULT_SESSION_OPTIONS.staticDiff, nearestGenuine: g, genuineMargin: g.v - DEFAULT_SESSION_OPTIONS.staticDiff, stillsMax: stillMax });
  say(
    `  staticDiff at ${fmt(DEFAULT_SESSION_OPTIONS.staticDiff)}: lowest genuine window median ${fmt(g.v)} (${g.name}) margin ${fmt(g.v - DEFAULT_SESSION_OPTIONS.staticDiff)} (${fmt(g.v / DEFAULT_SESSION_OPTIONS.staticDiff, 2)}x)` +
      (stillMax !== null ? `; stills repeated as frames ${fmt(stillMax)}` : ''),
  );
  out['margins'] = rows;
}

async function heldOut(main: readonly ClipResult[], out: Record<string, unknown>): Promise<void> {
  const clips = listClips(dir, only);
  const genuineFiles = clips.filter((c) => c.label === 'genuine');
  let stats: Map<string, ClipCueStats> | undefined;
  const cueStats = async (): Promise<Map<string, ClipCueStats>> => {
    if (!stats) {
      stats = new Map();
      for (const c of clips) stats.set(c.name, await clipCueStats(evaluator.tape(c.file), DEFAULT_SESSION_OPTIONS.minEvidenceFrames, DEFAULT_SESSION_OPTIONS.staticFrames));
    }
    return stats;
  };

  let stillRows: { file: string; verdict: 'accept' | 'reject'; reasons: (string | null)[]; cellDiff: number | null }[] | undefined;
  if (stills) {
    stillRows = [];
    for (const f of readdirSync(stills).sort().filter((x) => /\.(jpe?g|png|webp)$/i.test(x))) {
      const frame = await decodeImage(new Uint8Array(readFileSync(path.join(stills, f))));
      const tape = ObservationTape.fromFrames(analyzer, repeated(frame, 6 * fps));
      const runs = [];
      for (const s of ['blink', 'turn'] as const) runs.push((await runTape(tape, CLIP_SCHEDULES[s])).decision);
      await tape.close();
      const accepted = runs.some((d) => d.outcome === 'succeeded');
      const cd = runs[0]!.signals.motion.values['cellDiff'];
      stillRows.push({ file: f, verdict: accepted ? 'accept' : 'reject', reasons: runs.map((d) => d.reason ?? null), cellDiff: typeof cd === 'number' ? cd : null });
    }
    say(`\nstills under ${stills}, each repeated as ${6 * fps} frames (blink and turn schedules):`);
    for (const r of stillRows) say(`  ${r.file.padEnd(28)} ${r.verdict.padEnd(6)} ${r.reasons.join(', ')}  still cellDiff ${fmt(r.cellDiff, 3)}`);
    out['stills'] = stillRows;
  }

  if (loo) {
    const st = await cueStats();
    const results: ClipResult[] = [];
    const rows: Record<string, unknown>[] = [];
    say('\nleave-one-out: thresholds derived (thresholdRules.ts) from the genuine clips other than the held-out one');
    for (const c of clips) {
      const others = genuineFiles.filter((g) => g.name !== c.name).map((g) => st.get(g.name)!);
      const fusion = fusionFromGenuine(others);
      const staticDiff = staticDiffFromGenuine(others);
      const r = await evaluator.clip(c, { session: { fusion, staticDiff } });
      results.push(r);
      const thresholds = { ...Object.fromEntries(WEIGHTED_CUES.map((k) => [k, cueDecisionPoint(fusion, k)])), passiveVouch: fusion.passiveVouch, staticDiff };
      rows.push({ ...brief(r), thresholds });
      say(`  ${c.label.padEnd(7)} ${c.name.padEnd(24)} ${r.verdict.padEnd(6)} ${(r.reason ?? '').padEnd(16)} ${Object.entries(thresholds).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
    }
    const all = fusionFromGenuine(genuineFiles.map((g) => st.get(g.name)!));
    const allStatic = staticDiffFromGenuine(genuineFiles.map((g) => st.get(g.name)!));
    const rule = { ...Object.fromEntries(WEIGHTED_CUES.map((k) => [k, cueDecisionPoint(all, k)])), passiveVouch: all.passiveVouch, staticDiff: allStatic };
    const product = {
      ...Object.fromEntries(WEIGHTED_CUES.map((k) => [k, cueDecisionPoint(DEFAULT_FUSION_OPTIONS, k)])),
      passiveVouch: DEFAULT_FUSION_OPTIONS.passiveVouch,
      staticDiff: DEFAULT_SESSION_OPTIONS.staticDiff,
    };
    const r = rates(results);
    say(`LOO APCER ${fmt(r.apcer)} (${pct(results.filter((x) => x.label === 'attack' && x.verdict === 'accept').length, r.attacks)} accepted)  LOO BPCER ${fmt(r.bpcer)} (${pct(results.filter((x) => x.label === 'genuine' && x.verdict === 'reject').length, r.genuine)} rejected)`);
    say(`rule on all genuine clips: ${Object.entries(rule).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}; product defaults: ${Object.entries(product).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
    out['loo'] = { apcer: r.apcer, bpcer: r.bpcer, clips: rows, ruleOnAll: rule, product };
  }

  if (margins) printMargins(await cueStats(), clips, genuineFiles, stillRows, out);

  if (robust) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'facegate-eval-robust-'));
    try {
      const rows: Record<string, unknown>[] = [];
      const pooled: ClipResult[] = [];
      const run = async (name: string, vdir: string, vfps: number): Promise<void> => {
        const ev = new ClipEvaluator(analyzer, { fps: vfps });
        try {
          const r = await ev.directory(vdir, only ? { only } : {});
          pooled.push(...r.clips);
          rows.push({ variant: name, apcer: r.apcer, bpcer: r.bpcer, clips: r.clips.map(brief) });
          const bad = r.clips.filter((c) => (c.label === 'attack') === (c.verdict === 'accept')).map((c) => `${c.name}:${c.verdict}${c.reason ? `(${c.reason})` : ''}`);
          say(`  ${name.padEnd(40)} APCER ${fmt(r.apcer)} BPCER ${fmt(r.bpcer)} ${bad.length ? `errors: ${bad.join(', ')}` : ''}`);
        } finally {
          await ev.close();
        }
      };
      say('\nrobustness: transformed clips as held-out variants (same thresholds)');
      for (const [name, vdir] of await transformed(clips, root)) await run(name, vdir, fps);
      await run('cadence 15 fps', dir, 15);
      await run('cadence 6 fps', dir, 6);
      const p = rates(pooled);
      say(`robustness pooled over ${rows.length} variants: APCER ${fmt(p.apcer)} (${p.attacks} attack runs) BPCER ${fmt(p.bpcer)} (${p.genuine} genuine runs)`);
      out['robustness'] = { apcer: p.apcer, bpcer: p.bpcer, variants: rows };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  if (occlusion) {
    const files = imageFiles(occlusion);
    async function* frames(): AsyncGenerator<RawFrame> {
      for (const f of files) {
        try {
          yield await decodeImage(new Uint8Array(readFileSync(f)));
        } catch {
          // undecodable: not a photo for this measurement
        }
      }
    }
    const photoRows = await evaluateOcclusion(analyzer, frames());
    say(`\neye-crop occlusion on ${occlusion} (gate bounds eyeLuma < ${DEFAULT_GATE_OPTIONS.minEyeLuma} or eyeContrast < ${DEFAULT_GATE_OPTIONS.minEyeContrast}, one frame each):`);
    for (const r of photoRows) {
      const lo = (k: 'eyeLuma' | 'eyeContrast'): number => Math.min(...r.values.map((v) => v[k]));
      say(
        `  ${r.kind.padEnd(12)} photos ${r.photos}: gated occluded ${pct(r.occluded, r.photos)}, eye cue ${pct(r.eyeCue, r.photos)}, face lost ${r.noFace}; ` +
          `eyeLuma median ${fmt(r.eyeLuma)} min ${fmt(lo('eyeLuma'))}, eyeContrast median ${fmt(r.eyeContrast)} min ${fmt(lo('eyeContrast'))}`,
      );
    }
    // Genuine clips, every frame (frontal ones are gated), with the session's 500 ms persistence.
    const clipRows: Record<string, unknown>[] = [];
    for (const c of genuineFiles) {
      const tracker = new EyeCoverTracker();
      let frontal = 0;
      let cue = 0;
      let gated = 0;
      let minLuma = Number.POSITIVE_INFINITY;
      let minContrast = Number.POSITIVE_INFINITY;
      for await (const o of evaluator.tape(c.file).replay()) {
        const covered = tracker.update(o);
        if (!o.face || o.faceCount !== 1 || (o.face.quality?.frontalness ?? 1) < DEFAULT_GATE_OPTIONS.minFrontalness) continue;
        frontal++;
        if (o.eyeCrop) {
          minLuma = Math.min(minLuma, o.eyeCrop.eyeLuma);
          minContrast = Math.min(minContrast, o.eyeCrop.eyeContrast);
          if (eyesOccluded(o.eyeCrop)) cue++;
        }
        if (covered && gateFrame(o, true, DEFAULT_GATE_OPTIONS, true) === 'occluded') gated++;
      }
      clipRows.push({ name: c.name, frontalFrames: frontal, eyeCueFrames: cue, gatedOccluded: gated, minEyeLuma: minLuma, minEyeContrast: minContrast });
      say(`  genuine ${c.name.padEnd(24)} frontal frames ${frontal}: gated occluded ${gated}, eye cue alone (blinks included) ${cue}; min eyeLuma ${fmt(minLuma)} eyeContrast ${fmt(minContrast)}`);
    }
    out['occlusion'] = { photos: photoRows.map(({ values: _v, ...r }) => r), genuineClips: clipRows };
  }
  void main;
}

/** Verdict time minus the clip's own answer (blink reopening, turn return) over accepted genuine clips: p50 and max, ms. */
function answerToVerdict(clips: readonly ClipResult[]): { p50: number | null; max: number | null; n: number } {
  const d = clips
    .filter((c) => c.label === 'genuine' && c.verdict === 'accept' && c.timeToVerdictMs !== null)
    .map((c) => {
      const at = c.scores['blink.at'] ?? c.scores['head_turn.returnedAt'];
      return typeof at === 'number' ? c.timeToVerdictMs! - at : null;
    })
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  return { p50: d.length ? d[Math.floor((d.length - 1) / 2)]! : null, max: d.length ? d[d.length - 1]! : null, n: d.length };
}

try {
  const t0 = performance.now();
  const report = await evaluator.directory(dir, { ...(only ? { only } : {}), onClip: (r) => !json && console.log(line(r)) });
  const times = verdictTimes(report.clips);
  // New sections add keys; apcer, bpcer and clips keep their shape.
  const species = bySpecies(report.clips);
  const out: Record<string, unknown> = {
    apcer: report.apcer,
    bpcer: report.bpcer,
    apcer_by_species: species.apcerBySpecies,
    worst_species: species.worstSpecies,
    species: species.rows,
    // First frame -> verdict over the accepted genuine clips, and how much of it follows the clip's own answer
    // (its blink reopening or its turn's return): the rest is when the person in the clip happens to blink or turn.
    time_to_verdict_p50_ms: times.p50,
    time_to_verdict_p95_ms: times.p95,
    time_to_verdict_n: times.n,
    answer_to_verdict_ms: answerToVerdict(report.clips),
    clips: report.clips,
  };
  if (!json) {
    const a = report.clips.filter((c) => c.label === 'attack');
    const g = report.clips.filter((c) => c.label === 'genuine');
    console.log(`\nAPCER ${fmt(report.apcer)} (${a.filter((c) => c.verdict === 'accept').length}/${a.length} attacks accepted)`);
    console.log(`BPCER ${fmt(report.bpcer)} (${g.filter((c) => c.verdict === 'reject').length}/${g.length} genuine rejected)`);
    console.log('\nspecies        attacks accepted APCER  rejected by a liveness signal  (injection/ reported, outside APCER)');
    for (const s of species.rows) {
      console.log(`  ${s.species.padEnd(13)} ${String(s.attacks).padStart(7)} ${String(s.accepted).padStart(8)} ${fmt(s.apcer).padStart(6)}  ${String(s.rejectedByLiveness).padStart(3)}/${s.attacks}${s.scored ? '' : '  (reported only)'}`);
    }
    console.log(`worst species: ${species.worstSpecies ?? '-'}`);
    console.log(`first frame -> verdict, accepted genuine clips: p50 ${fmt(times.p50, 0)} ms, p95 ${fmt(times.p95, 0)} ms (n=${times.n})`);
    const av = answerToVerdict(report.clips);
    console.log(`  of it after the clip's own blink or turn: p50 ${av.p50 ?? '-'} ms, max ${av.max ?? '-'} ms (n=${av.n})`);
    console.log(`wall ${((performance.now() - t0) / 1000).toFixed(1)} s at ${fps} fps`);
  }
  if (ablation) {
    // What each check contributes: the same clips (analysis reused) with one check removed.
    const off = (cue: keyof FusionOptions['cues']): Partial<SessionOptions> => ({
      fusion: { ...DEFAULT_FUSION_OPTIONS, cues: { ...DEFAULT_FUSION_OPTIONS.cues, [cue]: { ...DEFAULT_FUSION_OPTIONS.cues[cue], weight: 0 } } },
    });
    const noArtefacts: Partial<SessionOptions> = {
      fusion: {
        ...DEFAULT_FUSION_OPTIONS,
        cues: Object.fromEntries(Object.entries(DEFAULT_FUSION_OPTIONS.cues).map(([k, v]) => [k, { ...v, weight: 0 }])) as FusionOptions['cues'],
      },
    };
    const noChallenge: { schedule: readonly [] } = { schedule: [] };
    const variants: [string, Partial<SessionOptions>, { schedule?: readonly [] }?][] = [
      ['without edgeFrame', off('edgeFrame')],
      ['without glare', off('glare')],
      ['without blueCast', off('blueCast')],
      ['without any artefact cue', noArtefacts],
      ['without the multiple-faces rule', { multiFaceFrames: Number.MAX_SAFE_INTEGER }],
      ['without the multiple-faces rule and blueCast', { ...off('blueCast'), multiFaceFrames: Number.MAX_SAFE_INTEGER }],
      ['challenge + passive only (no artefacts, no multi-face rule)', { ...noArtefacts, multiFaceFrames: Number.MAX_SAFE_INTEGER }],
      // Signals (passive is reported, never decisive: removing it changes nothing by construction).
      ['without the still check (motion)', { staticDiff: Number.NEGATIVE_INFINITY }],
      ['without identity continuity', { identity: { ...DEFAULT_IDENTITY_OPTIONS, threshold: -2 } }],
      ['without the challenge (blink / head turn)', {}, noChallenge],
      ['without the challenge, artefacts and multi-face rule (still check + identity only)', { ...noArtefacts, multiFaceFrames: Number.MAX_SAFE_INTEGER }, noChallenge],
    ];
    const rows: Record<string, unknown>[] = [];
    for (const [name, session, extra] of variants) {
      const r = await evaluator.directory(dir, { ...(only ? { only } : {}), session, ...(extra ?? {}) });
      const accepted = r.clips.filter((c) => c.label === 'attack' && c.verdict === 'accept').map((c) => c.name);
      rows.push({ variant: name, apcer: r.apcer, bpcer: r.bpcer, attacksAccepted: accepted });
      if (!json) console.log(`ablation ${name.padEnd(60)} APCER ${fmt(r.apcer)} BPCER ${fmt(r.bpcer)} ${accepted.length ? `accepts ${accepted.join(', ')}` : ''}`);
    }
    if (json) process.stderr.write(`${JSON.stringify({ ablation: rows })}\n`);
    out['ablation'] = rows;
  }
  if (args.values['no-gesture']) {
    // The no-gesture path: no challenge at all, decided on the passive checks after noGestureObserveMs.
    const r = await evaluator.directory(dir, { schedule: [], noGesture: true });
    const stepUp = (cs: readonly ClipResult[]): ClipResult[] => cs.filter((c) => c.reason === 'step_up_required');
    const of = (label: ClipResult['label']): ClipResult[] => r.clips.filter((c) => c.label === label);
    const species = [...new Set(of('attack').map((c) => c.species))].sort();
    const noGesture = {
      genuine_step_up: stepUp(of('genuine')).length,
      genuine: of('genuine').length,
      attacks_step_up: stepUp(of('attack')).length,
      attacks: of('attack').length,
      attacks_step_up_by_species: Object.fromEntries(species.map((sp) => [sp, stepUp(of('attack').filter((c) => c.species === sp)).length / of('attack').filter((c) => c.species === sp).length])),
      time_to_verdict_ms_p50: median(stepUp(of('genuine')).map((c) => c.timeToVerdictMs ?? Number.NaN).filter(Number.isFinite)),
      clips: r.clips.map((c) => ({ name: c.name, label: c.label, species: c.species, reason: c.reason, timeToVerdictMs: c.timeToVerdictMs })),
    };
    if (!json) {
      console.log('\nno-gesture path (no challenge; best outcome step_up_required):');
      for (const c of r.clips) console.log(`  ${c.label.padEnd(7)} ${c.name.padEnd(34)} ${(c.reason ?? '-').padEnd(18)} t=${c.timeToVerdictMs ?? '-'}ms`);
      console.log(`  genuine reaching the step-up ${pct(noGesture.genuine_step_up, noGesture.genuine)}; attacks reaching it ${pct(noGesture.attacks_step_up, noGesture.attacks)} (the rest rejected outright)`);
    }
    out['no_gesture'] = noGesture;
  }
  await heldOut(report.clips, out);
  if (photos) {
    const files = imageFiles(photos);
    const cues = Object.keys(DEFAULT_FUSION_OPTIONS.cues) as (keyof FusionOptions['cues'])[];
    const values: Record<string, number[]> = Object.fromEntries(cues.map((c) => [c, []]));
    let skipped = 0;
    for (const f of files) {
      try {
        const frame = await decodeImage(new Uint8Array(readFileSync(f)));
        const face = (await analyzer.analyze(frame, { stages: [], maxFaces: 1 })).faces[0];
        if (!face) {
          skipped++;
          continue;
        }
        const m = measureArtefacts(frame, face.box).sample;
        for (const c of cues) values[c]!.push(m[c]);
      } catch {
        skipped++;
      }
    }
    const rows = cues.map((c) => {
      const cue = DEFAULT_FUSION_OPTIONS.cues[c];
      const mid = (cue.clean + cue.spoof) / 2;
      const v = values[c]!;
      return { cue: c, weight: cue.weight, midpoint: mid, n: v.length, p50: quantile(v, 0.5), p90: quantile(v, 0.9), max: Math.max(...v), overMidpoint: v.filter((x) => x >= mid).length };
    });
    out['photos'] = { rows, skipped };
    if (json) process.stderr.write(`${JSON.stringify({ photos: rows, skipped })}\n`);
    else {
      console.log(`\nartefact cues on ${files.length - skipped} photos under ${photos} (${skipped} without a face or undecodable), one frame each:`);
      for (const r of rows) {
        console.log(`  ${r.cue.padEnd(9)} weight ${r.weight} midpoint ${fmt(r.midpoint)}  p50 ${fmt(r.p50)} p90 ${fmt(r.p90)} max ${fmt(r.max)}  at/over midpoint ${r.overMidpoint}/${r.n} (${fmt((100 * r.overMidpoint) / Math.max(1, r.n), 1)}%)`);
      }
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  await evaluator.close();
  await analyzer.close();
}

/** Image files below `dir`, recursively, in sorted order. */
function imageFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(jpe?g|png|webp)$/i.test(f)) files.push(p);
    }
  };
  walk(dir);
  return files;
}
