// A child process that builds an IVF index (IvfChildBuild.ts starts it): the
// gallery worker keeps serving while the k-means training and the bulk adds,
// which cannot share its one faiss context without blocking it, run here.
// faiss-node's add() takes number[] and converts it value by value, which
// costs more than the cell assignment itself, so the adds are split between
// two processes (one core each, OMP_NUM_THREADS stays 1): the lead trains,
// writes the trained empty index, starts a helper on the second half of the
// rows, adds the first half, then merges the helper's part (its labels
// shifted past the first half) and writes the result. Rows are read from the
// vectors file a slice at a time. On failure the lead writes `${out}.err`.
import './faissThreads.ts';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import faiss from 'faiss-node';
import { faissFloats } from './faissAddon.ts';
import { setIvfNprobe, shiftIvfLabels } from './faissBytes.ts';

export interface IvfChildJob {
  readonly role: 'lead' | 'helper';
  /** Raw little-endian float32 rows. */
  readonly vectors: string;
  readonly dim: number;
  /** Rows [from, to) of the file this process adds. */
  readonly from: number;
  readonly to: number;
  readonly nlist: number;
  readonly nprobe: number;
  readonly trainRows: number;
  /** Where the finished index bytes go (the helper: its part). */
  readonly out: string;
  /** The helper: the lead's trained empty index. */
  readonly trained?: string;
}

const ADD_ROWS = 8192;
/** Rows are added in slices; between them a process whose parent died (re-parented) stops. */
const PARENT = process.ppid;

function orphaned(): boolean {
  return process.ppid !== PARENT;
}

function readRows(fd: number, dim: number, from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * dim);
  const bytes = new Uint8Array(out.buffer);
  let got = 0;
  while (got < bytes.length) {
    const n = fs.readSync(fd, bytes, got, bytes.length - got, from * dim * 4 + got);
    if (n === 0) throw new Error('vectors file is truncated');
    got += n;
  }
  return out;
}

function addRows(index: faiss.Index, job: IvfChildJob, fd: number, from: number, to: number): void {
  for (let r = from; r < to; r += ADD_ROWS) {
    if (orphaned()) throw new Error('IVF build parent is gone');
    index.add(faissFloats(readRows(fd, job.dim, r, Math.min(to, r + ADD_ROWS))));
  }
}

/** Up to trainRows rows spread evenly over the whole file. */
function sample(fd: number, job: IvfChildJob, total: number): Float32Array {
  const rows = Math.min(total, job.trainRows);
  const out = new Float32Array(rows * job.dim);
  for (let i = 0; i < rows; i++) {
    const r = Math.floor((i * total) / rows);
    out.set(readRows(fd, job.dim, r, r + 1), i * job.dim);
  }
  return out;
}

function writeAtomic(file: string, bytes: Buffer): void {
  fs.writeFileSync(`${file}.tmp`, bytes, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** faiss writes the index file itself (no copy of a 2 GB index through a JS buffer); then it appears under its name. */
function writeIndex(file: string, index: faiss.Index): void {
  index.write(`${file}.tmp`);
  fs.chmodSync(`${file}.tmp`, 0o600);
  fs.renameSync(`${file}.tmp`, file);
}

function helperDone(child: ReturnType<typeof fork>): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`IVF build helper exited with ${code ?? signal}`))));
  });
}

/** FACEGATE_IVF_BUILD_LOG=1 (the benchmark sets it): the lead prints its phases' times to stderr. */
const LOG = process.env.FACEGATE_IVF_BUILD_LOG === '1';
const started = performance.now();
const phases: string[] = [];
function phase(name: string): void {
  if (LOG) phases.push(`${name} ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function lead(job: IvfChildJob): Promise<void> {
  const fd = fs.openSync(job.vectors, 'r');
  try {
    const total = job.to;
    const index = faiss.Index.fromFactory(job.dim, `IVF${job.nlist},Flat`, faiss.MetricType.METRIC_INNER_PRODUCT);
    const rows = sample(fd, job, total);
    phase(`sampled ${rows.length / job.dim} rows`);
    index.train(faissFloats(rows));
    phase(`trained ${job.nlist} cells`);
    const trained = index.toBuffer();
    setIvfNprobe(trained, Math.min(job.nprobe, job.nlist));
    const mid = Math.floor(total / 2);
    let helper: Promise<void> | null = null;
    const part = `${job.out}.part`;
    if (total - mid >= ADD_ROWS) {
      writeAtomic(`${job.out}.trained`, trained);
      const helperJob: IvfChildJob = { ...job, role: 'helper', from: mid, to: total, out: part, trained: `${job.out}.trained` };
      helper = helperDone(fork(new URL(import.meta.url), [JSON.stringify(helperJob)], {
        execArgv: process.execArgv,
        stdio: 'inherit',
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      }));
    }
    const mine = faiss.Index.fromBuffer(trained);
    // OMP_NUM_THREADS was read when faiss loaded (2, for training); the adds now share the cores with the helper.
    addRows(mine, job, fd, 0, helper ? mid : total);
    phase(`added ${helper ? mid : total} rows`);
    if (helper) {
      await helper;
      phase('helper done');
      const bytes = fs.readFileSync(part);
      fs.rmSync(part);
      shiftIvfLabels(bytes, job.dim, mid);
      mine.mergeFrom(faiss.Index.fromBuffer(bytes));
    }
    if (mine.ntotal() !== total) throw new Error('IVF build lost rows');
    if (helper) phase('merged');
    writeIndex(job.out, mine);
    phase('written');
    if (LOG) {
      // cutime/cstime (fields 16, 17 of /proc/self/stat, clock ticks) include the reaped helper.
      const stat = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
      const cpu = process.cpuUsage();
      const child = (Number(stat[13]) + Number(stat[14])) / 100;
      process.stderr.write(`ivf build: ${phases.join(', ')}; CPU lead ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, helper ${child.toFixed(1)} s\n`);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(`${job.out}.trained`, { force: true });
    fs.rmSync(`${job.out}.part`, { force: true });
  }
}

function helper(job: IvfChildJob): void {
  if (!job.trained) throw new Error('an IVF build helper needs the trained index');
  const fd = fs.openSync(job.vectors, 'r');
  try {
    const index = faiss.Index.fromBuffer(fs.readFileSync(job.trained));
    addRows(index, job, fd, job.from, job.to);
    writeIndex(job.out, index);
  } finally {
    fs.closeSync(fd);
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as IvfChildJob;
try {
  if (job.role === 'helper') helper(job);
  else await lead(job);
} catch (err) {
  if (job.role === 'lead' && typeof job.out === 'string') {
    // Nobody will read the result once the gallery process is gone: remove its temp folder (the templates).
    if (orphaned()) fs.rmSync(path.dirname(job.out), { recursive: true, force: true });
    else fs.writeFileSync(`${job.out}.err`, String(err instanceof Error ? err.message : err));
  }
  process.exitCode = 1;
}
