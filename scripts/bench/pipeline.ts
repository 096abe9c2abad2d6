// bench:pipeline — per-stage p50/p95 of FaceAnalyzer on one 640x480 one-face
// frame, 1 and 2 intra-op threads, full pipeline and without the embedding,
// sequential (everything on one thread), parallel (liveness + pose on the
// StageWorker thread) and auto (the analyzer's default: whichever is faster),
// side by side with the Python peer (../shared/bench/peer_pipeline.py, same
// models, onnxruntime + OpenCV) run in the same process tree on the same frame,
// so the printed ratios compare like with like.
//
//   npm run bench:pipeline [-- --json] [--runs N] [--blocks N] [--image FILE] [--threads 1,2] [--no-peer] [--setup-peer]
//
// The runs are split into --blocks (default 4) interleaved blocks, peer then
// ours, and each p50/p95 printed is the median of the block values. Within a
// block our modes take turns frame by frame.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { defaultModelDir } from '../../models/ModelRegistry.ts';
import type { FaceStage, RawFrame } from '../../models/types.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { formatTable, percentile, type TableColumn } from '../lib/stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = path.resolve(ROOT, '..', 'shared');
const DEFAULT_IMAGE = path.join(SHARED, 'faces', 'Matt_Damon', 'img31.jpg');
const PEER_SCRIPT = path.join(SHARED, 'bench', 'peer_pipeline.py');
const FRAME_W = 640;
const FRAME_H = 480;

interface Args {
  readonly json: boolean;
  readonly runs: number;
  readonly warmup: number;
  readonly blocks: number;
  readonly image: string;
  readonly threads: readonly number[];
  readonly peer: boolean;
  readonly setupPeer: boolean;
}

const THREAD_LIST = /^\d+(,\d+)*$/;

function readArgs(argv: readonly string[]): Args {
  const { values: v, fail } = parseScriptArgs(
    {
      name: 'bench:pipeline',
      usage: 'usage: npm run bench:pipeline -- [--json] [--runs N] [--warmup N] [--blocks N] [--image FILE] [--threads 1,2] [--no-peer] [--setup-peer]',
      options: {
        json: { type: 'boolean' },
        runs: { type: 'number', default: 200, valid: (n) => Number.isInteger(n) && n >= 1, invalid: '--runs must be a positive integer' },
        warmup: { type: 'number', default: 10, valid: (n) => Number.isInteger(n) && n >= 0, invalid: '--warmup must be a non-negative integer' },
        blocks: { type: 'number', default: 4, valid: (n) => Number.isInteger(n) && n >= 1, invalid: '--blocks must be an integer 1..runs' },
        image: { type: 'string', default: DEFAULT_IMAGE },
        threads: {
          type: 'string',
          default: '1,2',
          valid: (t) => THREAD_LIST.test(t) && t.split(',').every((x) => Number(x) >= 1 && Number(x) <= 64),
          invalid: '--threads must list integers 1..64',
        },
        'no-peer': { type: 'boolean' },
        'setup-peer': { type: 'boolean' },
      },
      allowPositionals: false,
    },
    argv,
  );
  if (v.blocks > v.runs) fail('--blocks must be an integer 1..runs');
  return {
    json: v.json,
    runs: v.runs,
    warmup: v.warmup,
    blocks: v.blocks,
    image: path.resolve(v.image),
    threads: v.threads.split(',').map(Number),
    peer: !v['no-peer'],
    setupPeer: v['setup-peer'],
  };
}

/** The image scaled to fit 640x480 and centred on black, as the peer's fit_frame() does. */
async function makeFrame(image: string): Promise<{ frame: RawFrame; png: Buffer }> {
  const { data, info } = await sharp(image)
    .rotate()
    .removeAlpha()
    .resize(FRAME_W, FRAME_H, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const frame: RawFrame = {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    stride: info.width * 3,
    format: 'rgb24',
  };
  const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toBuffer();
  return { frame, png };
}

interface StageStats {
  p50_ms: number;
  p95_ms: number;
}

interface RunResult {
  total_p50_ms: number;
  total_p95_ms: number;
  stages: Record<string, StageStats>;
}

function summarise(samples: Record<string, number[]>, totals: number[]): RunResult {
  const stages: Record<string, StageStats> = {};
  for (const [k, v] of Object.entries(samples)) {
    stages[k] = { p50_ms: round(percentile(v, 50), 3), p95_ms: round(percentile(v, 95), 3) };
  }
  return { total_p50_ms: round(percentile(totals, 50), 2), total_p95_ms: round(percentile(totals, 95), 2), stages };
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

/** sequential: one thread; parallel: liveness + pose always on the worker; auto: whichever measures faster. */
type Mode = 'sequential' | 'parallel' | 'auto';

interface Ours {
  readonly analyzer: FaceAnalyzer;
  readonly stages: FaceStage[];
}

async function openOurs(frame: RawFrame, threads: number, mode: Mode, embed: boolean, warmup: number): Promise<Ours> {
  const analyzer = await FaceAnalyzer.create({
    intraOpThreads: threads,
    parallel: mode === 'sequential' ? false : mode === 'parallel' ? true : 'auto',
    models: embed
      ? ['detect', 'landmark', 'feature', 'liveness', 'eye', 'pose']
      : ['detect', 'landmark', 'liveness', 'eye', 'pose'],
  });
  const stages: FaceStage[] = embed
    ? ['landmarks', 'embedding', 'liveness', 'eyes', 'pose']
    : ['landmarks', 'liveness', 'eyes', 'pose'];
  const first = await analyzer.analyze(frame, { stages, maxFaces: 1 });
  if (first.faces.length !== 1) {
    await analyzer.close();
    throw new Error(`the bench frame must hold one face, found ${first.faces.length}`);
  }
  for (let i = 0; i < warmup; i++) await analyzer.analyze(frame, { stages, maxFaces: 1 });
  return { analyzer, stages };
}

/** Runs each of ours `runs` times, taking turns frame by frame, so every mode sees the same moments. */
async function runOurs(list: readonly Ours[], frame: RawFrame, runs: number): Promise<RunResult[]> {
  const samples = list.map(() => ({} as Record<string, number[]>));
  const totals = list.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < list.length; j++) {
      const o = list[j]!;
      const t0 = performance.now();
      const r = await o.analyzer.analyze(frame, { stages: o.stages, maxFaces: 1 });
      totals[j]!.push(performance.now() - t0);
      for (const [k, v] of Object.entries(r.timings)) {
        if (k === 'total') continue;
        (samples[j]![k] ??= []).push(v);
      }
    }
  }
  return list.map((_, j) => summarise(samples[j]!, totals[j]!));
}

/** Median over blocks of each block's p50 and p95 (the same reduction for ours and the peer). */
function mergeBlocks(blocks: readonly RunResult[]): RunResult {
  const med = (v: number[]): number => percentile(v, 50);
  const stages: Record<string, StageStats> = {};
  const names = new Set(blocks.flatMap((b) => Object.keys(b.stages)));
  for (const n of names) {
    const have = blocks.map((b) => b.stages[n]).filter((x): x is StageStats => x !== undefined);
    stages[n] = { p50_ms: round(med(have.map((x) => x.p50_ms)), 3), p95_ms: round(med(have.map((x) => x.p95_ms)), 3) };
  }
  return {
    total_p50_ms: round(med(blocks.map((b) => b.total_p50_ms)), 2),
    total_p95_ms: round(med(blocks.map((b) => b.total_p95_ms)), 2),
    stages,
  };
}

function peerVenv(): string {
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(cache, 'facegate', 'peer-venv');
}

function peerPython(): { python?: string; reason?: string } {
  if (!existsSync(PEER_SCRIPT)) return { reason: `${PEER_SCRIPT} not found` };
  const venvPy = path.join(peerVenv(), 'bin', 'python');
  const candidates = existsSync(venvPy) ? [venvPy, 'python3'] : ['python3'];
  const reasons: string[] = [];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import numpy, cv2, onnxruntime'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: py };
    reasons.push(`${py}: ${(r.error?.message ?? r.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 160)}`);
  }
  return { reason: `${reasons.join('; ')} (run with --setup-peer to create ${peerVenv()})` };
}

function setupPeer(): void {
  const venv = peerVenv();
  process.stderr.write(`creating ${venv} ...\n`);
  let r = spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('python3 -m venv failed');
  r = spawnSync(
    path.join(venv, 'bin', 'pip'),
    ['install', '--retries', '0', '--timeout', '10', 'numpy', 'opencv-python-headless', 'onnxruntime'],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('pip install numpy opencv-python-headless onnxruntime failed');
}

interface PeerResult extends RunResult {
  onnxruntime?: string;
  opencv?: string;
}

function benchPeer(python: string, framePath: string, threads: number, embed: boolean, runs: number, warmup: number): Promise<PeerResult> {
  const argv = [
    PEER_SCRIPT,
    '--models', defaultModelDir(),
    '--image', framePath,
    '--runs', String(runs),
    '--warmup', String(warmup),
    '--threads', String(threads),
    '--json',
  ];
  if (!embed) argv.push('--no-embed');
  return new Promise((resolve, reject) => {
    execFile(python, argv, { maxBuffer: 16 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`peer failed: ${err.message} ${stderr.slice(-400)}`));
        return;
      }
      try {
        const j = JSON.parse(stdout) as {
          total_p50_ms: number;
          total_p95_ms: number;
          stages: Record<string, StageStats>;
          onnxruntime: string;
          opencv: string;
        };
        const { decode: _decode, ...stages } = j.stages;
        resolve({ total_p50_ms: j.total_p50_ms, total_p95_ms: j.total_p95_ms, stages, onnxruntime: j.onnxruntime, opencv: j.opencv });
      } catch (e) {
        reject(new Error(`peer printed no JSON: ${String(e)}`));
      }
    });
  });
}

interface Row {
  threads: number;
  mode: Mode;
  embed: boolean;
  ours: RunResult;
  peer?: PeerResult;
  ratio_p50?: number;
  ratio_p95?: number;
}

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  if (args.setupPeer) setupPeer();
  const log = (s: string): void => {
    if (!args.json) process.stdout.write(`${s}\n`);
  };
  const { frame, png } = await makeFrame(args.image);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegate-bench-'));
  const framePath = path.join(tmp, 'frame-640x480.png');
  writeFileSync(framePath, png);
  let peer: { python?: string; reason?: string } = { reason: 'disabled (--no-peer)' };
  if (args.peer) peer = peerPython();
  const load0 = os.loadavg()[0]!;
  log(`bench:pipeline  frame ${FRAME_W}x${FRAME_H} from ${path.relative(process.cwd(), args.image)}, ${args.runs} runs in ${args.blocks} interleaved blocks after ${args.warmup} warm-up, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${load0.toFixed(2)}`);
  log(peer.python ? `peer: ${peer.python} ${PEER_SCRIPT}` : `peer: skipped (${peer.reason})`);
  if (load0 > 1.5) {
    // Linux autogroup gives each busy terminal session an equal CPU share: with
    // another session running, this process gets about one core however many
    // threads it has, and the worker thread cannot overlap anything.
    log(`note: load average ${load0.toFixed(2)} — other work on this machine takes CPU; parallel/auto gain only when a core is idle`);
  }
  const rows: Row[] = [];
  try {
    for (const threads of args.threads) {
      for (const embed of [true, false]) {
        // Sequential is the like-for-like comparison with the (sequential) peer.
        const modes: Mode[] = threads === 1 ? ['sequential', 'parallel', 'auto'] : ['auto'];
        const ours = new Map<Mode, Ours>();
        const oursBlocks = new Map<Mode, RunResult[]>(modes.map((m) => [m, []]));
        const peerBlocks: PeerResult[] = [];
        try {
          for (const m of modes) ours.set(m, await openOurs(frame, threads, m, embed, args.warmup));
          // Interleave short blocks of the peer and of ours, so load from other
          // processes on the machine falls on both sides alike.
          for (let b = 0; b < args.blocks; b++) {
            const runs = Math.max(1, Math.round(args.runs / args.blocks));
            if (peer.python) peerBlocks.push(await benchPeer(peer.python, framePath, threads, embed, runs, args.warmup));
            const results = await runOurs(modes.map((m) => ours.get(m)!), frame, runs);
            modes.forEach((m, j) => oursBlocks.get(m)!.push(results[j]!));
          }
        } finally {
          for (const o of ours.values()) await o.analyzer.close();
        }
        const p = peerBlocks.length > 0 ? { ...mergeBlocks(peerBlocks), onnxruntime: peerBlocks[0]!.onnxruntime } : undefined;
        for (const mode of modes) {
          const o = mergeBlocks(oursBlocks.get(mode)!);
          const row: Row = { threads, mode, embed, ours: o };
          if (p) {
            row.peer = p;
            row.ratio_p50 = round(o.total_p50_ms / p.total_p50_ms, 3);
            row.ratio_p95 = round(o.total_p95_ms / p.total_p95_ms, 3);
          }
          rows.push(row);
          printRow(row, log);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`\nload average at the end ${os.loadavg()[0]!.toFixed(2)} (the machine is shared: compare ratios, not absolute times)`);
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          frame: [FRAME_W, FRAME_H],
          image: args.image,
          runs: args.runs,
          warmup: args.warmup,
          cpus: os.cpus().length,
          blocks: args.blocks,
          load_average: [load0, os.loadavg()[0]],
          peer: peer.python ? { python: peer.python } : { skipped: peer.reason },
          results: rows,
        },
        null,
        1,
      )}\n`,
    );
  }
}

const STAGE_ALIASES: Record<string, string> = { landmark: 'landmarks', embed: 'embedding' };

function printRow(r: Row, log: (s: string) => void): void {
  log('');
  const how = { sequential: ' (one thread)', parallel: ' (liveness+pose on a worker thread)', auto: ' (worker or inline, whichever measures faster)' }[r.mode];
  log(`threads=${r.threads} ${r.embed ? 'full pipeline' : 'without embedding'}, ours ${r.mode}${how}`);
  const right = (header: string, width: number): TableColumn => ({ header, width, align: 'right' });
  const columns = [{ header: 'stage', width: 11, align: 'left' } as const, right('ours p50', 10), right('p95', 9), ...(r.peer ? [right('peer p50', 11), right('p95', 9)] : [])];
  const peerStages: Record<string, StageStats> = {};
  for (const [k, v] of Object.entries(r.peer?.stages ?? {})) peerStages[STAGE_ALIASES[k] ?? k] = v;
  const cells = (s: StageStats | undefined): string[] => (s ? [s.p50_ms.toFixed(2), s.p95_ms.toFixed(2)] : ['-', '-']);
  const names = [...new Set([...Object.keys(r.ours.stages), ...Object.keys(peerStages)])];
  const rows = names.map((n) => [n, ...cells(r.ours.stages[n]), ...(r.peer ? cells(peerStages[n]) : [])]);
  const total = (x: RunResult): string[] => [x.total_p50_ms.toFixed(2), x.total_p95_ms.toFixed(2)];
  rows.push(['total', ...total(r.ours), ...(r.peer ? total(r.peer) : [])]);
  for (const l of formatTable(columns, rows, '  ')) log(l);
  if (r.ratio_p50 !== undefined) log(`  ratio ours/peer: p50 ${r.ratio_p50.toFixed(3)}  p95 ${r.ratio_p95!.toFixed(3)}`);
  if (r.mode !== 'sequential') log('  (liveness/pose stage times may overlap the others; total is wall time)');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:pipeline: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
