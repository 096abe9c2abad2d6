// bench:capacity — how many live sessions one node sustains, and our CPU per
// analysed frame against the Python peer's full pipeline in the same run.
//
// --path node (default): one full node in this process and N werift publishers
// in a child process sending real genuine clips from ../shared/video at 15 fps
// through signaling, WebRTC, the ffmpeg decoders at the frame rate (config
// FRAME_RATE, default 10), the real models and the liveness engines with the
// default config (capacityNode.ts says what each figure measures).
// --path analysis: the analysis path alone, in this process: FaceAnalyzer (its
// StageWorker thread included) -> each session's stage schedule
// (LivenessSession.wantedStages) -> LivenessEngine, fed decoded frames at the
// frame rate (no WebRTC, RTP or ffmpeg; bench:media measures those alone).
// On both, as on the live path, a frame that is due while the session's
// previous frame is still being analysed is dropped, so an overloaded node
// lowers each session's analysed fps instead of queueing, and a session that
// decides (a recording cannot answer random prompts, so most end in a
// challenge timeout) is replaced by a fresh one on the next clip.
//
// Per step (N sessions for --window seconds): analysed fps per session (p50,
// min), capture -> analysis-done latency p50/p95, first-prompt latency,
// event-loop delay p99, CPU (the node's processes) and RSS, CPU ms per
// analysed frame. `sessions_sustained`: the largest N whose every session keeps
// >= --min-fps analysed fps (8: the blink and turn signals are tuned at 10 fps
// and hold at 6-8, eval:liveness --robust) with latency p95 <= --max-p95 ms (250).
// `ours_cpu_ms_per_frame` is the analysis path with one session (the scope of
// the peer's pipeline: models, pre-processing, and here the engines too);
// `node_cpu_ms_per_frame` is the full node's with one session (media path and
// decoder included). The Python peer (../shared/bench/peer_pipeline.py, every
// model on every frame) runs over frames of the same clips: its CPU per frame
// is (CPU of a long run - CPU of a short run) / extra frames, from the child's
// own getrusage, so model loading and warm-up cancel out.
//
// The machine is shared: CPU ms per frame is robust to other load,
// sessions_sustained is not; os.loadavg() is printed before and after each step.
//
//   npm run bench:capacity [-- --json] [--max N] [--window S] [--steps 1,2,4] [--path node|analysis] [--no-peer] [--seed N]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { defaultModelDir } from '../../models/ModelRegistry.ts';
import type { RawFrame } from '../../models/types.ts';
import { sessionOptionsFromConfig } from '../../src/bridge/sessionOptions.ts';
import { loadConfig } from '../../src/config.ts';
import { InMemoryGallery } from '../../src/engine/InMemoryGallery.ts';
import { LivenessEngine } from '../../src/engine/LivenessEngine.ts';
import type { EngineMessage } from '../../src/engine/types.ts';
import { decodeClip } from '../eval/lib/decodeClip.ts';
import { listClips } from '../eval/lib/clipEval.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { runNodeSteps, type NodeStep } from './capacityNode.ts';
import { formatTable, median, min, percentile } from '../lib/stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = path.resolve(ROOT, '..', 'shared');
const PEER_SCRIPT = path.join(SHARED, 'bench', 'peer_pipeline.py');
const PEER_PYTHON = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'facegate', 'peer-venv', 'bin', 'python');
const STEP_LIST = /^\d+(,\d+)*$/;

interface Args {
  readonly json: boolean;
  readonly max: number;
  readonly window: number;
  readonly steps: readonly number[];
  readonly clips: string;
  readonly minFps: number;
  readonly maxP95: number;
  readonly peer: boolean;
  /** Seeds the challenge draws: two runs (two builds) then draw the same plans in the same order. */
  readonly seed: number | undefined;
  /** 'node': one full node with werift publishers in a child process (capacityNode.ts); 'analysis': the analysis path alone. */
  readonly path: 'node' | 'analysis';
}

function readArgs(argv: readonly string[]): Args {
  const { values: v } = parseScriptArgs(
    {
      name: 'bench:capacity',
      usage: 'usage: npm run bench:capacity -- [--json] [--max N] [--window S] [--steps 1,2,4,...] [--path node|analysis] [--clips DIR] [--min-fps F] [--max-p95 MS] [--no-peer] [--seed N]',
      options: {
        json: { type: 'boolean' },
        max: { type: 'number', default: 24, valid: (n) => Number.isInteger(n) && n >= 1 && n <= 64, invalid: '--max must be an integer 1..64' },
        window: { type: 'number', default: 8, valid: (n) => n >= 2 && n <= 120, invalid: '--window must be 2..120 seconds' },
        steps: { type: 'string', default: '1,2,4,6,8,12,16,20,24', valid: (s) => STEP_LIST.test(s), invalid: '--steps must list integers' },
        clips: { type: 'string', default: path.join(SHARED, 'video') },
        'min-fps': { type: 'number', default: 8, valid: (n) => n > 0 && n <= 30, invalid: '--min-fps must be in (0, 30]' },
        'max-p95': { type: 'number', default: 250, valid: (n) => n > 0, invalid: '--max-p95 must be positive' },
        'no-peer': { type: 'boolean' },
        path: { type: 'string', default: 'node', valid: (s) => s === 'node' || s === 'analysis', invalid: '--path must be node or analysis' },
        seed: { type: 'number', valid: (n) => Number.isInteger(n) && n >= 0, invalid: '--seed must be a non-negative integer' },
      },
      allowPositionals: false,
    },
    argv,
  );
  const steps = v.steps.split(',').map(Number).filter((n) => n >= 1 && n <= v.max);
  return { json: v.json, max: v.max, window: v.window, steps, clips: path.resolve(v.clips), minFps: v['min-fps'], maxP95: v['max-p95'], peer: !v['no-peer'], seed: v.seed, path: v.path === 'analysis' ? 'analysis' : 'node' };
}

/** A small deterministic generator (LCG) for the plan draws of a seeded run. */
function seededInt(seed: number): (max: number) => number {
  let x = seed >>> 0;
  return (max) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.floor((x / 2 ** 32) * max);
  };
}

/** The genuine clips both paths replay (the first four). */
function clipFiles(dir: string): string[] {
  const files = listClips(dir)
    .filter((c) => c.label === 'genuine')
    .slice(0, 4)
    .map((c) => c.file);
  if (files.length === 0) throw new Error(`no genuine clips under ${dir}`);
  return files;
}

/** Decoded frames of the clips (each capped), replayed in a loop by the analysis path's sessions. */
async function loadClips(files: readonly string[], fps: number): Promise<RawFrame[][]> {
  const clips: RawFrame[][] = [];
  for (const f of files) {
    const frames: RawFrame[] = [];
    for await (const { frame } of decodeClip(f, { fps, maxSide: 640, maxSeconds: 6 })) frames.push(frame);
    if (frames.length > 0) clips.push(frames);
  }
  return clips;
}

interface SessionStats {
  analysed: number;
  dropped: number;
  readonly latencies: number[];
  readonly firstPrompt: number[];
}

/** One session slot: a timer at the frame rate pushes the clip's next frame unless the last one is still in analysis. */
class SessionSlot {
  readonly #engine: LivenessEngine;
  readonly #clips: readonly RawFrame[][];
  readonly #intervalMs: number;
  readonly stats: SessionStats = { analysed: 0, dropped: 0, latencies: [], firstPrompt: [] };
  #clip: number;
  #frame = 0;
  #id: string | null = null;
  #createdAt = 0;
  #prompted = false;
  #decided = false;
  #busy: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(engine: LivenessEngine, clips: readonly RawFrame[][], clip: number, fps: number) {
    this.#engine = engine;
    this.#clips = clips;
    this.#clip = clip % clips.length;
    this.#intervalMs = 1000 / fps;
  }

  async start(): Promise<void> {
    await this.#open();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#busy;
    if (this.#id !== null) await this.#engine.cancel(this.#id).catch(() => undefined);
  }

  async #open(): Promise<void> {
    this.#decided = false;
    this.#prompted = false;
    this.#createdAt = performance.now();
    const rec = await this.#engine.create({
      kind: 'enrollment',
      subjectId: `bench-${this.#clip}`,
      flash: false,
      sink: { send: (m: EngineMessage) => this.#onMessage(m) },
    });
    await this.#engine.connect(rec.id);
    this.#id = rec.id;
  }

  #onMessage(m: EngineMessage): void {
    if (m.type === 'challenge' && !this.#prompted) {
      this.#prompted = true;
      this.stats.firstPrompt.push(performance.now() - this.#createdAt);
    }
    if (m.type === 'result') this.#decided = true;
  }

  #tick(): void {
    if (this.#stopped) return;
    if (this.#busy !== null) {
      this.stats.dropped++;
      return;
    }
    const captured = performance.now();
    this.#busy = this.#push(captured).finally(() => {
      this.#busy = null;
    });
  }

  async #push(captured: number): Promise<void> {
    if (this.#decided || this.#id === null) {
      // The next session on the next clip.
      this.#clip = (this.#clip + 1) % this.#clips.length;
      this.#frame = 0;
      await this.#open();
    }
    const frames = this.#clips[this.#clip]!;
    const frame = frames[this.#frame % frames.length]!;
    this.#frame++;
    try {
      const pushed = await this.#engine.pushFrame(this.#id!, frame, this.#engine.clock.now());
      if (pushed) {
        this.stats.analysed++;
        this.stats.latencies.push(performance.now() - captured);
      } else this.stats.dropped++;
    } catch {
      // Settled on a timer meanwhile (challenge timeout): the next tick opens a new session.
      this.#decided = true;
    }
  }
}

interface Step {
  readonly sessions: number;
  readonly frames_per_s: number;
  readonly analysed_fps_p50: number;
  readonly analysed_fps_min: number;
  readonly dropped: number;
  readonly latency_p50_ms: number;
  readonly latency_p95_ms: number;
  readonly first_prompt_p50_ms: number | null;
  readonly event_loop_p99_ms: number;
  readonly cpu_pct: number;
  readonly cpu_ms_per_frame: number;
  readonly rss_mb: number;
  readonly loadavg_start: readonly number[];
  readonly loadavg_end: readonly number[];
  readonly sustained: boolean;
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const load = (): number[] => os.loadavg().map((x) => round(x, 2));

async function runStep(engine: LivenessEngine, clips: readonly RawFrame[][], n: number, fps: number, args: Args): Promise<Step> {
  const loadavgStart = load();
  const slots = Array.from({ length: n }, (_, i) => new SessionSlot(engine, clips, i, fps));
  await Promise.all(slots.map((s) => s.start()));
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const before = slots.map((s) => s.stats.analysed);
  await new Promise((r) => setTimeout(r, args.window * 1000));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const analysed = slots.map((s, i) => s.stats.analysed - before[i]!);
  await Promise.all(slots.map((s) => s.stop()));
  const total = analysed.reduce((a, b) => a + b, 0);
  const perSession = analysed.map((a) => a / (wall / 1000));
  const lat = slots.flatMap((s) => s.stats.latencies);
  const prompts = slots.flatMap((s) => s.stats.firstPrompt);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const step = {
    sessions: n,
    frames_per_s: round(total / (wall / 1000)),
    analysed_fps_p50: round(median(perSession)),
    analysed_fps_min: round(min(perSession)),
    dropped: slots.reduce((a, s) => a + s.stats.dropped, 0),
    latency_p50_ms: round(lat.length > 0 ? percentile(lat, 50) : NaN),
    latency_p95_ms: round(lat.length > 0 ? percentile(lat, 95) : NaN),
    first_prompt_p50_ms: prompts.length > 0 ? round(median(prompts)) : null,
    event_loop_p99_ms: round(loop.percentile(99) / 1e6),
    cpu_pct: round((cpuMs / wall) * 100),
    cpu_ms_per_frame: round(total > 0 ? cpuMs / total : NaN, 2),
    rss_mb: round(process.memoryUsage().rss / 2 ** 20, 0),
    loadavg_start: loadavgStart,
    loadavg_end: load(),
  };
  return { ...step, sustained: step.analysed_fps_min >= args.minFps && step.latency_p95_ms <= args.maxP95 };
}

/** Our amortised CPU per analysed frame: one session at a time, so the figure is CPU, not waiting. */
async function oursCpuPerFrame(engine: LivenessEngine, clips: readonly RawFrame[][], fps: number, args: Args): Promise<number> {
  const s = await runStep(engine, clips, 1, fps, { ...args, window: Math.max(4, args.window / 2) });
  return s.cpu_ms_per_frame;
}

interface PeerCpu {
  readonly cpu_ms_per_frame: number;
  readonly frames: number;
}

/** Child CPU (its own getrusage) of one peer bench run over `image`. */
function peerRunCpu(image: string, runs: number): Promise<number> {
  const code = [
    'import resource, runpy, sys, io, contextlib',
    `sys.argv = ['peer_pipeline.py', '--models', ${JSON.stringify(defaultModelDir())}, '--image', ${JSON.stringify(image)}, '--runs', '${runs}', '--warmup', '3', '--threads', '1', '--json']`,
    'out = io.StringIO()',
    'with contextlib.redirect_stdout(out):',
    `    runpy.run_path(${JSON.stringify(PEER_SCRIPT)}, run_name='__main__')`,
    'r = resource.getrusage(resource.RUSAGE_SELF)',
    'print((r.ru_utime + r.ru_stime) * 1000)',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(PEER_PYTHON, ['-c', code], { timeout: 300_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`peer failed: ${err.message} ${stderr.slice(-300)}`));
      const ms = Number(stdout.trim().split('\n').pop());
      if (!Number.isFinite(ms)) return reject(new Error(`peer printed no CPU time: ${stdout.slice(-200)}`));
      resolve(ms);
    });
  });
}

/** The peer's full pipeline over one frame of each clip: (CPU(long) - CPU(short)) / extra frames, summed over the frames. */
async function peerCpuPerFrame(clips: readonly RawFrame[][]): Promise<PeerCpu> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-capacity-'));
  try {
    let cpu = 0;
    let frames = 0;
    for (const [i, clip] of clips.entries()) {
      const f = clip[Math.floor(clip.length / 2)]!;
      const file = path.join(dir, `frame${i}.png`);
      await sharp(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength), { raw: { width: f.width, height: f.height, channels: 3 } })
        .png()
        .toFile(file);
      const short = await peerRunCpu(file, 5);
      const long = await peerRunCpu(file, 45);
      cpu += long - short;
      frames += 40;
    }
    return { cpu_ms_per_frame: round(cpu / frames, 2), frames };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type AnyStep = Step | NodeStep;

const ANALYSIS_PATH = 'FaceAnalyzer + StageWorker + LivenessEngine (no WebRTC/ffmpeg)';
const NODE_PATH = 'full node (FacegateNode: mediasoup, werift server peers, ffmpeg decoders, signaling, models, engines) with werift publishers in a child process';

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  const log = (s: string): void => void (args.json ? process.stderr : process.stdout).write(`${s}\n`);
  const config = loadConfig({});
  const fps = config.media.frameRate;
  log(`bench:capacity: ${os.availableParallelism()} cores, loadavg ${load().join(' ')} (shared machine: CPU ms/frame is robust to load, sessions_sustained is not)`);
  const files = clipFiles(args.clips);
  const clips = await loadClips(files, fps);
  log(`clips: ${clips.length} genuine, ${clips.map((c) => c.length).join('+')} frames at ${fps} fps; path: ${args.path === 'node' ? NODE_PATH : ANALYSIS_PATH}`);
  const analyzer = await FaceAnalyzer.create();
  const session = sessionOptionsFromConfig(config);
  // Which challenges a session draws decides which stages run (a blink keeps eye
  // state and the detector on every frame): a seed makes runs comparable.
  const plan = args.seed === undefined ? session.plan : { ...session.plan, randomInt: seededInt(args.seed) };
  const engine = new LivenessEngine({ gallery: new InMemoryGallery(), analyzer, session: { ...session, plan } });
  const steps: AnyStep[] = [];
  let ours: number;
  try {
    // Warm the models (first runs allocate).
    await runStep(engine, clips, 1, fps, { ...args, window: 2 });
    ours = await oursCpuPerFrame(engine, clips, fps, args);
    log(`ours_cpu_ms_per_frame ${ours} (analysis path, one session: the peer's scope)`);
    if (args.path === 'analysis') {
      for (const n of args.steps) {
        const s = await runStep(engine, clips, n, fps, args);
        steps.push(s);
        log(
          `N=${n}: ${s.frames_per_s} frames/s, per session p50 ${s.analysed_fps_p50} min ${s.analysed_fps_min} fps, latency p50 ${s.latency_p50_ms} p95 ${s.latency_p95_ms} ms, ` +
            `cpu ${s.cpu_pct}% ${s.cpu_ms_per_frame} ms/frame, loop p99 ${s.event_loop_p99_ms} ms, load ${s.loadavg_start.join(' ')} -> ${s.loadavg_end.join(' ')}`,
        );
        // Bounded: two steps past saturation say nothing more.
        if (steps.length >= 2 && !s.sustained && !steps.at(-2)!.sustained) break;
      }
    }
  } finally {
    await engine.close();
    await analyzer.close();
  }
  if (args.path === 'node') steps.push(...(await runNodeSteps(args, files, log)));
  let peer: PeerCpu | null = null;
  if (args.peer) {
    const l0 = load();
    try {
      peer = await peerCpuPerFrame(clips);
    } catch (e) {
      log(`peer: skipped (${String(e)})`);
    }
    log(`peer: loadavg ${l0.join(' ')} -> ${load().join(' ')}`);
  }
  const sustained = steps.filter((s) => s.sustained).reduce((a, s) => Math.max(a, s.sessions), 0);
  // The node's CPU per analysed frame with one session (media path, decoders and engines included).
  const nodeOne = args.path === 'node' ? (steps.find((s) => s.sessions === 1)?.cpu_ms_per_frame ?? null) : null;
  const result = {
    sessions_sustained: sustained,
    criterion: { analysed_fps_min: args.minFps, latency_p95_ms: args.maxP95 },
    frame_rate: fps,
    path: args.path === 'node' ? NODE_PATH : ANALYSIS_PATH,
    steps,
    ours_cpu_ms_per_frame: ours,
    peer_cpu_ms_per_frame: peer?.cpu_ms_per_frame ?? null,
    ratio: peer !== null ? round(ours / peer.cpu_ms_per_frame, 3) : null,
    node_cpu_ms_per_frame: nodeOne,
    node_ratio: peer !== null && nodeOne !== null ? round(nodeOne / peer.cpu_ms_per_frame, 3) : null,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
    return;
  }
  const cols = ['N', 'frames/s', 'fps p50', 'fps min', 'dropped', 'lat p50', 'lat p95', '1st prompt', 'loop p99', 'cpu %', 'cpu ms/f', 'rss MB', 'ok'].map((h) => ({
    header: h,
    width: Math.max(9, h.length + 2),
    align: 'right' as const,
  }));
  const rows = steps.map((s) =>
    [s.sessions, s.frames_per_s, s.analysed_fps_p50, s.analysed_fps_min, s.dropped, s.latency_p50_ms, s.latency_p95_ms, s.first_prompt_p50_ms ?? '-', s.event_loop_p99_ms, s.cpu_pct, s.cpu_ms_per_frame, s.rss_mb, s.sustained ? 'yes' : 'no'].map(String),
  );
  for (const line of formatTable(cols, rows)) log(line);
  log(`sessions_sustained ${sustained} (every session >= ${args.minFps} analysed fps, latency p95 <= ${args.maxP95} ms)`);
  log(`ours_cpu_ms_per_frame ${ours} (analysis path)`);
  if (nodeOne !== null) log(`node_cpu_ms_per_frame ${nodeOne} (full node, one session: media, decoder, engines, models)`);
  log(`peer_cpu_ms_per_frame ${peer?.cpu_ms_per_frame ?? 'n/a'}`);
  if (result.ratio !== null) log(`ratio ${result.ratio} (target <= 0.333)${result.node_ratio !== null ? `, node_ratio ${result.node_ratio}` : ''}`);
}

await main();
