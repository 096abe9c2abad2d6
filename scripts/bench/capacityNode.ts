// bench:capacity's full-node path: one real node in this process (FacegateNode:
// mediasoup workers as the default config sizes them, werift server peers,
// ffmpeg decoders at the frame rate, the real models and liveness engines,
// socket.io signaling, PGlite and in-memory state; rate limits raised so the
// ramp never meets a 429), and werift publishers in a child process
// (capacityPublishers.ts) sending real face clips at 15 fps, as browsers would.
//
// Per step, N publishing slots for a warm-up then --window seconds:
//  - analysed fps per session: each engine session's analysed frames over its
//    own span in the window (first to last analysed frame; sessions seen for
//    under 2 s of the window are left out: a slot between two sessions is
//    neither slow nor fast), p50 and min over sessions;
//  - capture -> analysis done: the frame's capture time (the publisher stamps
//    RTP time from this host's wall clock; the bridge carries it onto the
//    engine clock) to its session step settled, p50/p95;
//  - first prompt: session created (REST) -> first prompt on the data channel,
//    measured by the publisher;
//  - event-loop delay p99 of this process; CPU of the node: this process (its
//    analyzer worker thread included) plus its mediasoup workers and ffmpeg
//    decoders (child processes, sampled from /proc every 200 ms), and
//    separately the publishers' process; RSS of this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EngineFrameStats } from '../../src/engine/index.ts';
import { startNode } from '../../test/fuzz/fuzzNode.ts';
import { createTenant } from '../../test/fuzz/tenants.ts';
import { median, min, percentile } from '../lib/stats.ts';
import type { StepReport } from './capacityPublishers.ts';

export interface NodeStep {
  readonly sessions: number;
  readonly frames_per_s: number;
  readonly analysed_fps_p50: number;
  readonly analysed_fps_min: number;
  readonly sessions_measured: number;
  readonly dropped: number;
  readonly latency_p50_ms: number;
  readonly latency_p95_ms: number;
  readonly queue_wait_p95_ms: number;
  readonly first_prompt_p50_ms: number | null;
  readonly event_loop_p99_ms: number;
  /** The node: this process + its mediasoup workers + ffmpeg decoders, % of one core. */
  readonly cpu_pct: number;
  readonly cpu_ms_per_frame: number;
  /** Of cpu_pct: this process alone (signaling, werift, engines, the analyzer thread). */
  readonly process_cpu_pct: number;
  readonly publisher_cpu_pct: number;
  readonly rss_mb: number;
  readonly publisher_errors: number;
  readonly loadavg_start: readonly number[];
  readonly loadavg_end: readonly number[];
  readonly sustained: boolean;
}

export interface NodeRunArgs {
  readonly window: number;
  readonly steps: readonly number[];
  readonly minFps: number;
  readonly maxP95: number;
}

const WARMUP_MS = 3000;
const SPAN_MIN_MS = 2000;
const TICKS_PER_S = 100;
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const load = (): number[] => os.loadavg().map((x) => round(x, 2));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ProcStat {
  readonly ppid: number;
  readonly ticks: number;
}

function procStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Descendants of `root` (not root itself), leaving out `skip` and everything under it. */
function descendants(stats: ReadonlyMap<number, ProcStat>, root: number, skip: number | undefined): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  const out: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (pid === skip) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU ticks of the node's child processes over a window, sampled so that decoders that come and go are counted up to their last sample. */
class ChildCpu {
  readonly #first = new Map<number, number>();
  readonly #last = new Map<number, number>();
  readonly #skip: number | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(skip: number | undefined) {
    this.#skip = skip;
    this.#sample(true);
    this.#timer = setInterval(() => this.#sample(false), 200);
  }

  #sample(initial: boolean): void {
    const stats = procStats();
    for (const pid of descendants(stats, process.pid, this.#skip)) {
      const t = stats.get(pid)!.ticks;
      // A process born in the window counts from 0.
      if (!this.#first.has(pid)) this.#first.set(pid, initial ? t : 0);
      this.#last.set(pid, t);
    }
  }

  /** Seconds of CPU over the window. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample(false);
    let ticks = 0;
    for (const [pid, t] of this.#last) ticks += t - (this.#first.get(pid) ?? 0);
    return ticks / TICKS_PER_S;
  }
}

function ticksOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  return procStats().get(pid)?.ticks ?? 0;
}

interface FrameRecord {
  readonly at: number;
  readonly s: EngineFrameStats;
}

class Publishers {
  readonly #child: ChildProcess;
  readonly #next: () => Promise<string>;

  private constructor(child: ChildProcess, next: () => Promise<string>) {
    this.#child = child;
    this.#next = next;
  }

  static async start(clips: readonly string[]): Promise<Publishers> {
    const file = fileURLToPath(new URL('./capacityPublishers.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['pipe', 'pipe', 'inherit'] });
    const it = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async (): Promise<string> => String((await it.next()).value ?? '');
    const p = new Publishers(child, next);
    child.stdin!.write(`clips ${clips.join('|')}\n`);
    const r = await next();
    if (r !== 'ready') {
      p.close();
      throw new Error(`publisher process did not start: ${r}`);
    }
    return p;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  async step(url: string, apiKey: string, n: number, ms: number): Promise<StepReport> {
    this.#child.stdin!.write(`step ${url} ${apiKey} ${n} ${ms}\n`);
    return JSON.parse(await this.#next()) as StepReport;
  }

  close(): void {
    if (this.#child.exitCode === null) {
      this.#child.stdin!.write('quit\n');
      setTimeout(() => this.#child.kill('SIGKILL'), 5000).unref();
    }
  }
}

export async function runNodeSteps(args: NodeRunArgs, clips: readonly string[], log: (s: string) => void): Promise<NodeStep[]> {
  let recording = false;
  const frames: FrameRecord[] = [];
  const running = await startNode({
    tmpPrefix: 'facegate-capacity-',
    // The default config's media workers (one per core); startNode's loopback env pins one.
    env: { MEDIA_WORKERS: String(os.availableParallelism()) },
    testing: {
      onEngineFrame: (s) => {
        if (recording) frames.push({ at: performance.now(), s });
      },
    },
  });
  let publishers: Publishers | undefined;
  const steps: NodeStep[] = [];
  try {
    const tenant = await createTenant(running.node, 'Capacity', { users: 0, sessions: 0 });
    publishers = await Publishers.start(clips);
    // Warm-up: models, decoders and the JIT.
    await publishers.step(running.url, tenant.apiKey, 1, 4000);
    for (const n of args.steps) {
      const loadavgStart = load();
      const report = publishers.step(running.url, tenant.apiKey, n, WARMUP_MS + args.window * 1000);
      await sleep(WARMUP_MS);
      frames.length = 0;
      recording = true;
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const childCpu = new ChildCpu(publishers.pid);
      const pub0 = ticksOf(publishers.pid);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(args.window * 1000);
      const wallS = (performance.now() - t0) / 1000;
      const own = process.cpuUsage(cpu0);
      const childS = childCpu.stop();
      const pubS = (ticksOf(publishers.pid) - pub0) / TICKS_PER_S;
      recording = false;
      loop.disable();
      const rep = await report;
      const step = summarise(n, frames, wallS, { ownS: (own.user + own.system) / 1e6, childS, pubS }, loop, rep, loadavgStart, args);
      frames.length = 0;
      steps.push(step);
      log(
        `N=${n}: ${step.frames_per_s} frames/s, per session p50 ${step.analysed_fps_p50} min ${step.analysed_fps_min} fps (${step.sessions_measured} sessions), ` +
          `capture->done p50 ${step.latency_p50_ms} p95 ${step.latency_p95_ms} ms, node cpu ${step.cpu_pct}% (process ${step.process_cpu_pct}%) ${step.cpu_ms_per_frame} ms/frame, ` +
          `publishers ${step.publisher_cpu_pct}%, loop p99 ${step.event_loop_p99_ms} ms, load ${step.loadavg_start.join(' ')} -> ${step.loadavg_end.join(' ')}` +
          (rep.errors > 0 ? `, publisher errors ${rep.errors} (last: ${rep.lastError})` : ''),
      );
      // Bounded: two steps past saturation say nothing more.
      if (steps.length >= 2 && !step.sustained && !steps.at(-2)!.sustained) break;
    }
  } finally {
    publishers?.close();
    await running.close();
  }
  return steps;
}

function summarise(
  n: number,
  frames: readonly FrameRecord[],
  wallS: number,
  cpu: { readonly ownS: number; readonly childS: number; readonly pubS: number },
  loop: ReturnType<typeof monitorEventLoopDelay>,
  rep: StepReport,
  loadavgStart: readonly number[],
  args: NodeRunArgs,
): NodeStep {
  const bySession = new Map<string, number[]>();
  const lat: number[] = [];
  const queue: number[] = [];
  let dropped = 0;
  let analysed = 0;
  for (const { at, s } of frames) {
    if (s.outcome === 'dropped') {
      dropped++;
      continue;
    }
    analysed++;
    lat.push(s.captureToDoneMs);
    queue.push(s.queueMs);
    const times = bySession.get(s.sessionId);
    if (times === undefined) bySession.set(s.sessionId, [at]);
    else times.push(at);
  }
  const fps: number[] = [];
  for (const times of bySession.values()) {
    const span = times.at(-1)! - times[0]!;
    if (span >= SPAN_MIN_MS) fps.push((times.length - 1) / (span / 1000));
  }
  const nodeS = cpu.ownS + cpu.childS;
  const step = {
    sessions: n,
    frames_per_s: round(analysed / wallS),
    analysed_fps_p50: round(fps.length > 0 ? median(fps) : 0),
    analysed_fps_min: round(fps.length > 0 ? min(fps) : 0),
    sessions_measured: fps.length,
    dropped,
    latency_p50_ms: round(lat.length > 0 ? percentile(lat, 50) : NaN),
    latency_p95_ms: round(lat.length > 0 ? percentile(lat, 95) : NaN),
    queue_wait_p95_ms: round(queue.length > 0 ? percentile(queue, 95) : NaN),
    first_prompt_p50_ms: rep.firstPromptMs.length > 0 ? round(median(rep.firstPromptMs)) : null,
    event_loop_p99_ms: round(loop.percentile(99) / 1e6),
    cpu_pct: round((nodeS / wallS) * 100),
    cpu_ms_per_frame: round(analysed > 0 ? (nodeS * 1000) / analysed : NaN, 2),
    process_cpu_pct: round((cpu.ownS / wallS) * 100),
    publisher_cpu_pct: round((cpu.pubS / wallS) * 100),
    rss_mb: round(process.memoryUsage().rss / 2 ** 20, 0),
    publisher_errors: rep.errors,
    loadavg_start: loadavgStart,
    loadavg_end: load(),
  };
  // Every slot must have been measured: a slot that never got a session analysed is not sustained.
  const allMeasured = step.sessions_measured >= n;
  return { ...step, sustained: allMeasured && step.analysed_fps_min >= args.minFps && step.latency_p95_ms <= args.maxP95 };
}
