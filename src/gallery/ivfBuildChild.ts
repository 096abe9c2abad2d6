// A child process that builds an IVF index (IvfChildBuild.ts starts it): the
// gallery worker keeps serving while the k-means training and the bulk adds,
// which cannot share its one faiss context without blocking it, run here.
// The cell assignment of every row is the bulk of the work, so the adds are
// split between two processes (one core each): the lead trains (on both
// cores), writes the trained empty index, starts a helper on the second half
// of the rows, adds the first half and writes it as part `a`; the helper adds
// the second half and writes part `b`. faiss numbers rows from 0, so part
// b's labels are shifted past the first half: by the gallery worker's merge
// (add_id) on the patched addon, else by the helper in JS before it writes.
// The gallery worker reads and merges the parts (no merged copy is written
// and read again). Rows are read from the vectors file a slice at a time, from the
// job's byte offset. When its part(s) are written the lead writes `${out}`
// (how many); on failure it writes `${out}.err`.
import './faissThreads.ts';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import faiss from 'faiss-node';
import { MERGE_ADD_ID, faissFloats } from './faissAddon.ts';
import { setIvfNprobe, shiftIvfLabels } from './faissBytes.ts';

export interface IvfChildJob {
  readonly role: 'lead' | 'helper';
  /** Raw little-endian float32 rows, from byte `offset` on. */
  readonly vectors: string;
  readonly offset: number;
  readonly dim: number;
  /** Rows [from, to) of the file this process adds. */
  readonly from: number;
  readonly to: number;
  readonly nlist: number;
  readonly nprobe: number;
  readonly trainRows: number;
  /** The lead: where IvfChildParts goes once its part(s) are written; the helper: its part. */
  readonly out: string;
  /** Where the lead writes its part (rows from 0) and the helper its part (rows from the middle). */
  readonly parts: readonly [string, string];
  /** The helper: the lead's trained empty index. */
  readonly trained?: string;
}

/** What the lead writes to `out` when its part(s) are written: how many, and the second part's add_id for the merge. */
export interface IvfChildParts {
  readonly parts: 1 | 2;
  readonly addId: number;
}

const ADD_ROWS = 8192;
/** Rows are added in slices; between them a process whose parent died (re-parented) stops. */
const PARENT = process.ppid;

function orphaned(): boolean {
  return process.ppid !== PARENT;
}

function readRows(fd: number, offset: number, dim: number, from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * dim);
  const bytes = new Uint8Array(out.buffer);
  let got = 0;
  while (got < bytes.length) {
    const n = fs.readSync(fd, bytes, got, bytes.length - got, offset + from * dim * 4 + got);
    if (n === 0) throw new Error('vectors file is truncated');
    got += n;
  }
  return out;
}

function addRows(index: faiss.Index, job: IvfChildJob, fd: number, from: number, to: number): void {
  for (let r = from; r < to; r += ADD_ROWS) {
    if (orphaned()) throw new Error('IVF build parent is gone');
    index.add(faissFloats(readRows(fd, job.offset, job.dim, r, Math.min(to, r + ADD_ROWS))));
  }
}

/** Up to trainRows rows spread evenly over the whole file. */
function sample(fd: number, job: IvfChildJob, total: number): Float32Array {
  const rows = Math.min(total, job.trainRows);
  const out = new Float32Array(rows * job.dim);
  for (let i = 0; i < rows; i++) {
    const r = Math.floor((i * total) / rows);
    out.set(readRows(fd, job.offset, job.dim, r, r + 1), i * job.dim);
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
    const split = total - mid >= ADD_ROWS;
    const [partA, partB] = job.parts;
    let helper: Promise<void> | null = null;
    if (split) {
      writeAtomic(`${job.out}.trained`, trained);
      const helperJob: IvfChildJob = { ...job, role: 'helper', from: mid, to: total, out: partB, trained: `${job.out}.trained` };
      helper = helperDone(fork(new URL(import.meta.url), [JSON.stringify(helperJob)], {
        execArgv: process.execArgv,
        stdio: 'inherit',
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      }));
    }
    const mine = faiss.Index.fromBuffer(trained);
    // OMP_NUM_THREADS was read when faiss loaded (2, for training); the adds now share the cores with the helper.
    addRows(mine, job, fd, 0, split ? mid : total);
    phase(`added ${split ? mid : total} rows`);
    if (mine.ntotal() !== (split ? mid : total)) throw new Error('IVF build lost rows');
    writeIndex(partA, mine);
    phase('part a written');
    if (helper) {
      await helper;
      phase('helper done');
    }
    if (LOG) {
      // Before the list of parts: the gallery worker stops this process once it has read them.
      // cutime/cstime (fields 16, 17 of /proc/self/stat, clock ticks) include the reaped helper.
      const stat = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
      const cpu = process.cpuUsage();
      const child = (Number(stat[13]) + Number(stat[14])) / 100;
      process.stderr.write(`ivf build: ${phases.join(', ')}; CPU lead ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, helper ${child.toFixed(1)} s\n`);
    }
    const done: IvfChildParts = { parts: split ? 2 : 1, addId: split && MERGE_ADD_ID ? mid : 0 };
    writeAtomic(job.out, Buffer.from(JSON.stringify(done)));
  } finally {
    fs.closeSync(fd);
    fs.rmSync(`${job.out}.trained`, { force: true });
  }
}

function helper(job: IvfChildJob): void {
  if (!job.trained) throw new Error('an IVF build helper needs the trained index');
  const fd = fs.openSync(job.vectors, 'r');
  try {
    const index = faiss.Index.fromBuffer(fs.readFileSync(job.trained));
    addRows(index, job, fd, job.from, job.to);
    if (index.ntotal() !== job.to - job.from) throw new Error('IVF build lost rows');
    if (MERGE_ADD_ID) {
      // The gallery worker's merge renumbers this part (faiss's add_id): faiss writes it as it is.
      writeIndex(job.out, index);
    } else {
      const bytes = index.toBuffer();
      shiftIvfLabels(bytes, job.dim, job.from);
      writeAtomic(job.out, bytes);
    }
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
