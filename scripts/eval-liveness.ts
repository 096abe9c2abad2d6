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
//   npm run eval:liveness -- DIR [--json] [--fps N] [--schedule blink|turn] [--ablation] [--photos PDIR]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../models/decodeImage.ts';
import { measureArtefacts } from '../src/liveness/signals/artefacts.ts';
import { quantile } from '../src/liveness/vector.ts';
import { FaceAnalyzer } from '../models/FaceAnalyzer.ts';
import { ClipEvaluator, listClips, verdictTimes, type ClipResult, type ScheduleName } from '../src/liveness/clipEval.ts';
import { DEFAULT_FUSION_OPTIONS, type FusionOptions } from '../src/liveness/fusion.ts';
import type { SessionOptions } from '../src/liveness/LivenessSession.ts';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`eval:liveness: ${msg}\n`);
  process.stderr.write('usage: npm run eval:liveness -- DIR [--json] [--fps N] [--schedule blink|turn] [--ablation] [--photos PDIR]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
let dir: string | undefined;
let json = false;
let fps = 10;
let only: ScheduleName | undefined;
let ablation = false;
let photos: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--json') json = true;
  else if (a === '--ablation') ablation = true;
  else if (a === '--photos') {
    photos = args[++i];
    if (!photos || !existsSync(photos)) usage('--photos needs an existing folder');
  }
  else if (a === '--fps') {
    fps = Number(args[++i]);
    if (!(fps > 0 && fps <= 30)) usage('--fps needs a number in (0, 30]');
  } else if (a === '--schedule') {
    const s = args[++i];
    if (s !== 'blink' && s !== 'turn') usage('--schedule is blink or turn');
    only = s;
  } else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else if (dir === undefined) dir = a;
  else usage('one DIR only');
}
if (!dir) usage();
if (!existsSync(dir)) usage(`${dir} does not exist`);
try {
  listClips(dir);
} catch (e) {
  usage((e as Error).message);
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
    `motion=${fmt(s['motion.temporalDiff'], 1)}`,
    `id=${fmt(s['identity.minSimilarity'])}`,
  ].join(' ');
}

const analyzer = await FaceAnalyzer.create({});
const evaluator = new ClipEvaluator(analyzer, { fps });
try {
  const t0 = performance.now();
  const report = await evaluator.directory(dir, { ...(only ? { only } : {}), onClip: (r) => !json && console.log(line(r)) });
  const times = verdictTimes(report.clips);
  if (json) {
    process.stdout.write(`${JSON.stringify({ apcer: report.apcer, bpcer: report.bpcer, clips: report.clips }, null, 2)}\n`);
  } else {
    const a = report.clips.filter((c) => c.label === 'attack');
    const g = report.clips.filter((c) => c.label === 'genuine');
    console.log(`\nAPCER ${fmt(report.apcer)} (${a.filter((c) => c.verdict === 'accept').length}/${a.length} attacks accepted)`);
    console.log(`BPCER ${fmt(report.bpcer)} (${g.filter((c) => c.verdict === 'reject').length}/${g.length} genuine rejected)`);
    console.log(`first frame -> verdict, accepted genuine clips: p50 ${fmt(times.p50, 0)} ms, p95 ${fmt(times.p95, 0)} ms (n=${times.n})`);
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
    const variants: [string, Partial<SessionOptions>][] = [
      ['without edgeFrame', off('edgeFrame')],
      ['without glare', off('glare')],
      ['without blueCast', off('blueCast')],
      ['without any artefact cue', noArtefacts],
      ['without the multiple-faces rule', { multiFaceFrames: Number.MAX_SAFE_INTEGER }],
      ['without the multiple-faces rule and blueCast', { ...off('blueCast'), multiFaceFrames: Number.MAX_SAFE_INTEGER }],
      ['challenge + passive only (no artefacts, no multi-face rule)', { ...noArtefacts, multiFaceFrames: Number.MAX_SAFE_INTEGER }],
    ];
    const rows: Record<string, unknown>[] = [];
    for (const [name, session] of variants) {
      const r = await evaluator.directory(dir, { ...(only ? { only } : {}), session });
      const accepted = r.clips.filter((c) => c.label === 'attack' && c.verdict === 'accept').map((c) => c.name);
      rows.push({ variant: name, apcer: r.apcer, bpcer: r.bpcer, attacksAccepted: accepted });
      if (!json) console.log(`ablation ${name.padEnd(60)} APCER ${fmt(r.apcer)} BPCER ${fmt(r.bpcer)} ${accepted.length ? `accepts ${accepted.join(', ')}` : ''}`);
    }
    if (json) process.stderr.write(`${JSON.stringify({ ablation: rows })}\n`);
  }
  if (photos) {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const f of readdirSync(d).sort()) {
        const p = path.join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(jpe?g|png|webp)$/i.test(f)) files.push(p);
      }
    };
    walk(photos);
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
    if (json) process.stderr.write(`${JSON.stringify({ photos: rows, skipped })}\n`);
    else {
      console.log(`\nartefact cues on ${files.length - skipped} photos under ${photos} (${skipped} without a face or undecodable), one frame each:`);
      for (const r of rows) {
        console.log(`  ${r.cue.padEnd(9)} weight ${r.weight} midpoint ${fmt(r.midpoint)}  p50 ${fmt(r.p50)} p90 ${fmt(r.p90)} max ${fmt(r.max)}  at/over midpoint ${r.overMidpoint}/${r.n} (${fmt((100 * r.overMidpoint) / Math.max(1, r.n), 1)}%)`);
      }
    }
  }
} finally {
  await evaluator.close();
  await analyzer.close();
}
