// Gallery benchmark: add, search and delete on the service's FAISS gallery
// at 10k and 100k 512-d templates (1M with --1m), flat (exact) and HNSW graph
// side by side: build time, p50/p95 per operation, recall@1 against exact
// brute force; for the graph also recall/latency against efSearch and against
// the large-k trick, and a tombstone rebuild (the longest slice it holds the
// worker for, searches in between). Then the worker-thread round trip
// (FaissGallery) at the first size, flat and during a background graph build.
//   npm run bench:gallery [-- --json] [--sizes 10000,100000] [--queries 200] [--1m] [--no-hnsw]
//     [--hnsw-all (graph at 1M too)] [--rebuild-max-s 60] [--no-worker]
// First, before faiss-node loads: faiss single-threaded, as in the service's gallery worker.
import '../../src/gallery/faissThreads.ts';
import { performance } from 'node:perf_hooks';
import { ClientIndex } from '../../src/gallery/ClientIndex.ts';
import { FaissGallery } from '../../src/gallery/FaissGallery.ts';
import { GraphBuild } from '../../src/gallery/GraphBuild.ts';
import type { HnswGraph } from '../../src/gallery/HnswGraph.ts';
import { BUILD_STEP_MS, TOMBSTONE_REBUILD_FRACTION, efSearchFor } from '../../src/gallery/hnswPolicy.ts';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';

const DIM = 512;
const args = process.argv.slice(2);
const json = args.includes('--json');
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const sizes = (arg('--sizes') ?? '10000,100000').split(',').map(Number).concat(args.includes('--1m') ? [1_000_000] : []);
const nQueries = Number(arg('--queries') ?? 200);
const withHnsw = !args.includes('--no-hnsw');
const rebuildMaxS = Number(arg('--rebuild-max-s') ?? 60);
/** Flat only: the service's threshold never reached. */
const FLAT_ONLY = { hnswMin: Number.MAX_SAFE_INTEGER };

// Deterministic PRNG + Gaussian (Box-Muller) so runs are comparable.
let seed = 12345;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) + 0.5) / 4294967296;
};
const gauss = (): number => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());

function normalise(v: Float32Array, off = 0): void {
  let n = 0;
  for (let i = 0; i < DIM; i++) n += v[off + i]! ** 2;
  n = Math.sqrt(n);
  for (let i = 0; i < DIM; i++) v[off + i]! /= n;
}

/** Templates: random unit vectors (face embeddings of distinct people are near-orthogonal in 512-d). */
function templates(n: number): Float32Array {
  const v = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < DIM; d++) v[i * DIM + d] = gauss();
    normalise(v, i * DIM);
  }
  return v;
}

/** Probes: a stored template plus noise so the genuine cosine is about 0.7 (a new photo of an enrolled person). */
function probes(base: Float32Array, n: number, count: number): Float32Array {
  const q = new Float32Array(count * DIM);
  for (let j = 0; j < count; j++) {
    const i = Math.floor(rnd() * n);
    for (let d = 0; d < DIM; d++) q[j * DIM + d] = base[i * DIM + d]! + gauss() * 0.045;
    normalise(q, j * DIM);
  }
  return q;
}

function exactTop1(base: Float32Array, n: number, q: Float32Array, j: number): number {
  let best = -Infinity;
  let arg = -1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * DIM;
    const p = j * DIM;
    for (let d = 0; d < DIM; d++) s += base[o + d]! * q[p + d]!;
    if (s > best) {
      best = s;
      arg = i;
    }
  }
  return arg;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const stats = (xs: number[]) => ({ p50: +pct(xs, 50).toFixed(3), p95: +pct(xs, 95).toFixed(3), n: xs.length });

interface SizeResult {
  size: number;
  bulkLoadS: number;
  addMs: ReturnType<typeof stats>;
  searchMs: ReturnType<typeof stats>;
  recallAt1: number;
  deleteMs: ReturnType<typeof stats>;
  hnsw?: GraphResult;
  worker?: {
    searchMs: ReturnType<typeof stats>;
    eventLoopMaxLagMs: number;
    /** A client switching to a graph in the background: its own and another client's searches meanwhile. */
    duringBuild?: { buildS: number; searchMs: ReturnType<typeof stats>; maxMs: number; otherClientSearchMs: ReturnType<typeof stats>; otherClientMaxMs: number };
    graphSearchMs?: ReturnType<typeof stats>;
  };
}

interface GraphResult {
  /** Build from empty in BUILD_STEP_MS slices, as the service's worker does. */
  buildS: number;
  buildStepMs: ReturnType<typeof stats> & { max: number };
  efSearch: number;
  searchMs: ReturnType<typeof stats>;
  recallAt1: number;
  /** flat p50 / graph p50. */
  speedupP50: number;
  addMs: ReturnType<typeof stats>;
  /** Tombstoning. */
  deleteMs: ReturnType<typeof stats>;
  /** Recall and latency against the beam width (k=5). */
  curve: { efSearch: number; searchMs: ReturnType<typeof stats>; recallAt1: number }[];
  /** The large-k trick at faiss's default efSearch=16: top-1 of a k-NN search. */
  largeK: { k: number; searchMs: ReturnType<typeof stats>; recallAt1: number }[];
  rebuild: {
    tombstones: number;
    rows: number;
    rowsDone: number;
    /** Measured, or projected from rowsDone when stopped at --rebuild-max-s. */
    totalS: number;
    projected: boolean;
    stepMs: ReturnType<typeof stats> & { max: number };
    /** Searches on the serving graph between slices. */
    searchMsDuring: ReturnType<typeof stats>;
  };
}

async function benchSize(n: number): Promise<SizeResult> {
  const log = (m: string) => !json && process.stderr.write(`[${n}] ${m}\n`);
  log('generating');
  const base = templates(n);
  const ids = Array.from({ length: n }, (_, i) => `t${i}`);
  const qs = probes(base, n, nQueries);
  log('exact ground truth');
  const truth = Array.from({ length: nQueries }, (_, j) => exactTop1(base, n, qs, j));

  const idx = ClientIndex.empty(DIM, FLAT_ONLY);
  let t = performance.now();
  // One call, as the start-up rebuild (FaissGallery.replace) does.
  idx.add(ids, base);
  const bulkLoadS = (performance.now() - t) / 1000;
  log(`bulk load ${bulkLoadS.toFixed(1)} s`);

  const search: number[] = [];
  let hits = 0;
  for (let j = 0; j < nQueries; j++) {
    const q = qs.subarray(j * DIM, (j + 1) * DIM);
    t = performance.now();
    const r = idx.search(q, 5);
    search.push(performance.now() - t);
    if (r[0]?.templateId === `t${truth[j]}`) hits++;
  }

  const adds: number[] = [];
  const extra = templates(50);
  for (let i = 0; i < 50; i++) {
    t = performance.now();
    idx.add([`x${i}`], extra.subarray(i * DIM, (i + 1) * DIM));
    adds.push(performance.now() - t);
  }
  const dels: number[] = [];
  for (let i = 0; i < 50; i++) {
    const victim = `t${Math.floor(rnd() * n)}`;
    t = performance.now();
    idx.remove([victim]);
    dels.push(performance.now() - t);
  }
  const out: SizeResult = { size: n, bulkLoadS: +bulkLoadS.toFixed(2), addMs: stats(adds), searchMs: stats(search), recallAt1: hits / nQueries, deleteMs: stats(dels) };

  const graphHere = n < 1_000_000 || args.includes('--hnsw-all');
  if (withHnsw && graphHere) out.hnsw = benchGraph(n, base, ids, qs, truth, out.searchMs.p50, log);
  return out;
}

function searchStats(g: { search(q: Float32Array, k: number): { templateId: string }[] }, qs: Float32Array, truth: number[], k: number) {
  const ts: number[] = [];
  let hits = 0;
  for (let j = 0; j < truth.length; j++) {
    const q = qs.subarray(j * DIM, (j + 1) * DIM);
    const t = performance.now();
    const r = g.search(q, k);
    ts.push(performance.now() - t);
    if (r[0]?.templateId === `t${truth[j]}`) hits++;
  }
  return { searchMs: stats(ts), recallAt1: hits / truth.length };
}

const withMax = (xs: number[]) => ({ ...stats(xs), max: +Math.max(...xs).toFixed(3) });

function benchGraph(n: number, base: Float32Array, ids: string[], qs: Float32Array, truth: number[], flatP50: number, log: (m: string) => void): GraphResult {
  const efSearch = efSearchFor(n);
  log(`HNSW32 graph build (efSearch ${efSearch})`);
  const build = new GraphBuild(DIM, efSearch);
  build.enqueue(ids, base);
  const steps: number[] = [];
  let t = performance.now();
  for (;;) {
    const s = performance.now();
    const done = build.step(BUILD_STEP_MS);
    steps.push(performance.now() - s);
    if (done) break;
  }
  const buildS = (performance.now() - t) / 1000;
  log(`graph built in ${buildS.toFixed(1)} s`);
  const g: HnswGraph = build.graph;
  const main = searchStats(g, qs, truth, 5);

  const curve: GraphResult['curve'] = [];
  for (const ef of [16, 32, 64, 96, 128, 256, 384, 512]) {
    g.setEfSearch(ef);
    curve.push({ efSearch: ef, ...searchStats(g, qs, truth, 5) });
  }
  g.setEfSearch(16);
  const largeK: GraphResult['largeK'] = [];
  for (const k of [1, 16, 64, 256]) largeK.push({ k, ...searchStats(g, qs, truth, k) });
  g.setEfSearch(efSearch);

  const adds: number[] = [];
  const extra = templates(50);
  for (let i = 0; i < 50; i++) {
    t = performance.now();
    g.add([`x${i}`], extra.subarray(i * DIM, (i + 1) * DIM));
    adds.push(performance.now() - t);
  }
  const dels: number[] = [];
  for (let i = 0; i < 50; i++) {
    const victim = `t${Math.floor(rnd() * n)}`;
    t = performance.now();
    g.remove([victim]);
    dels.push(performance.now() - t);
  }

  // Past the rebuild fraction, then rebuild in slices with a search between
  // slices (another client's request waiting its turn in the worker).
  const drop = Math.ceil(TOMBSTONE_REBUILD_FRACTION * g.total) + 1 - g.tombstones;
  g.remove(Array.from({ length: drop }, (_, i) => `t${i}`));
  log(`rebuild after ${g.tombstones} tombstones`);
  t = performance.now();
  const rb = new GraphBuild(DIM, efSearchFor(g.size));
  const live = g.liveVectors();
  rb.enqueue(live.ids, live.vectors);
  const prep = performance.now() - t;
  const rsteps: number[] = [prep];
  const during: number[] = [];
  let done = false;
  let j = 0;
  while (!done && performance.now() - t < rebuildMaxS * 1000) {
    const s = performance.now();
    done = rb.step(BUILD_STEP_MS);
    rsteps.push(performance.now() - s);
    const q = qs.subarray((j % truth.length) * DIM, ((j % truth.length) + 1) * DIM);
    const s2 = performance.now();
    g.search(q, 5);
    during.push(performance.now() - s2);
    j++;
  }
  const elapsed = (performance.now() - t) / 1000;
  const rowsDone = rb.graph.total;
  return {
    buildS: +buildS.toFixed(2),
    buildStepMs: withMax(steps),
    efSearch,
    searchMs: main.searchMs,
    recallAt1: main.recallAt1,
    speedupP50: +(flatP50 / main.searchMs.p50).toFixed(2),
    addMs: stats(adds),
    deleteMs: stats(dels),
    curve,
    largeK,
    rebuild: {
      tombstones: g.tombstones,
      rows: live.ids.length,
      rowsDone,
      totalS: +(done ? elapsed : (elapsed * live.ids.length) / Math.max(1, rowsDone)).toFixed(1),
      projected: !done,
      stepMs: withMax(rsteps),
      searchMsDuring: stats(during),
    },
  };
}

async function benchWorker(n: number): Promise<NonNullable<SizeResult['worker']>> {
  if (!json) process.stderr.write(`[${n}] worker round trip\n`);
  const base = templates(n);
  const ids = Array.from({ length: n }, (_, i) => `t${i}`);
  const qs = probes(base, n, Math.min(nQueries, 100));
  let t = 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-gallery-'));
  const g = new FaissGallery({ dir, snapshotKey: () => Buffer.alloc(32, 9), ...FLAT_ONLY });
  await g.replace('cl_bench', ids.map((id, i) => ({ templateId: id, embedding: base.subarray(i * DIM, (i + 1) * DIM) })));
  const ws: number[] = [];
  let maxLag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 1);
    last = now;
  }, 1);
  for (let j = 0; j < qs.length / DIM; j++) {
    t = performance.now();
    await g.search('cl_bench', qs.slice(j * DIM, (j + 1) * DIM), 5);
    ws.push(performance.now() - t);
  }
  clearInterval(timer);
  await g.close();
  const out: NonNullable<SizeResult['worker']> = { searchMs: stats(ws), eventLoopMaxLagMs: +maxLag.toFixed(2) };
  if (withHnsw) {
    // The same client in a gallery whose threshold it crosses: the worker
    // builds its graph in slices while this client (flat until then) and a
    // small second client keep searching.
    if (!json) process.stderr.write(`[${n}] worker: background graph build\n`);
    const gg = new FaissGallery({ dir, snapshotKey: () => Buffer.alloc(32, 9), hnswMin: Math.min(n, 1000) });
    const small = templates(100);
    await gg.replace('cl_small', Array.from({ length: 100 }, (_, i) => ({ templateId: `s${i}`, embedding: small.subarray(i * DIM, (i + 1) * DIM) })));
    while ((await gg.stats('cl_small'))?.building) await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    await gg.replace('cl_bench', ids.map((id, i) => ({ templateId: id, embedding: base.subarray(i * DIM, (i + 1) * DIM) })));
    const own: number[] = [];
    const other: number[] = [];
    for (let j = 0; (await gg.stats('cl_bench'))?.kind !== 'graph'; j++) {
      const q = qs.slice((j % (qs.length / DIM)) * DIM, ((j % (qs.length / DIM)) + 1) * DIM);
      t = performance.now();
      await gg.search('cl_bench', q, 5);
      own.push(performance.now() - t);
      t = performance.now();
      await gg.search('cl_small', q, 5);
      other.push(performance.now() - t);
    }
    const buildS = (performance.now() - t0) / 1000;
    const gs: number[] = [];
    for (let j = 0; j < qs.length / DIM; j++) {
      t = performance.now();
      await gg.search('cl_bench', qs.slice(j * DIM, (j + 1) * DIM), 5);
      gs.push(performance.now() - t);
    }
    await gg.close();
    out.duringBuild = {
      buildS: +buildS.toFixed(2),
      searchMs: stats(own),
      maxMs: +Math.max(...own).toFixed(2),
      otherClientSearchMs: stats(other),
      otherClientMaxMs: +Math.max(...other).toFixed(2),
    };
    out.graphSearchMs = stats(gs);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

const results: SizeResult[] = [];
for (const n of sizes) results.push(await benchSize(n));
// Last: faiss in the main thread after a faiss worker thread has exited
// crashes this build (OpenMP state), so the worker measurement runs after
// every in-thread one. The service only ever uses faiss from its worker.
if (!args.includes('--no-worker')) results[0]!.worker = await benchWorker(sizes[0]!);

if (json) {
  process.stdout.write(`${JSON.stringify({ dim: DIM, queries: nQueries, k: 5, cpus: os.availableParallelism(), results }, null, 2)}\n`);
} else {
  process.stdout.write(`gallery bench: ${DIM}-d, k=5, ${nQueries} probes (genuine cos ~0.7), ${os.availableParallelism()} CPUs\n`);
  for (const r of results) {
    process.stdout.write(
      `\n${r.size} templates (flat IP, exact)\n` +
        `  bulk load (rebuild) ${r.bulkLoadS} s\n` +
        `  add one          p50 ${r.addMs.p50} ms  p95 ${r.addMs.p95} ms\n` +
        `  search k=5       p50 ${r.searchMs.p50} ms  p95 ${r.searchMs.p95} ms  recall@1 ${r.recallAt1.toFixed(3)}\n` +
        `  delete one       p50 ${r.deleteMs.p50} ms  p95 ${r.deleteMs.p95} ms\n`,
    );
    if (r.hnsw) {
      const h = r.hnsw;
      const row = (name: string, flat: string, graph: string) => `  ${name.padEnd(26)}${flat.padEnd(34)}${graph}\n`;
      process.stdout.write(
        `  -- side by side --         flat (exact)                      HNSW32 graph (efSearch ${h.efSearch})\n` +
          row('build', `${r.bulkLoadS} s`, `${h.buildS} s (slices p50 ${h.buildStepMs.p50} ms, max ${h.buildStepMs.max} ms)`) +
          row('search k=5', `p50 ${r.searchMs.p50} ms p95 ${r.searchMs.p95} ms`, `p50 ${h.searchMs.p50} ms p95 ${h.searchMs.p95} ms (flat/graph p50 ${h.speedupP50})`) +
          row('recall@1 vs exact', r.recallAt1.toFixed(3), h.recallAt1.toFixed(3)) +
          row('add one', `p50 ${r.addMs.p50} ms p95 ${r.addMs.p95} ms`, `p50 ${h.addMs.p50} ms p95 ${h.addMs.p95} ms`) +
          row('delete one', `p50 ${r.deleteMs.p50} ms p95 ${r.deleteMs.p95} ms`, `p50 ${h.deleteMs.p50} ms p95 ${h.deleteMs.p95} ms (tombstone)`) +
          `  graph efSearch curve (k=5): ${h.curve.map((c) => `ef ${c.efSearch}: recall ${c.recallAt1.toFixed(3)} p50 ${c.searchMs.p50} ms`).join('; ')}\n` +
          `  large-k trick (efSearch 16): ${h.largeK.map((c) => `k ${c.k}: recall ${c.recallAt1.toFixed(3)} p50 ${c.searchMs.p50} ms`).join('; ')}\n` +
          `  rebuild after ${h.rebuild.tombstones} tombstones: ${h.rebuild.rowsDone}/${h.rebuild.rows} rows, ${h.rebuild.projected ? 'projected ' : ''}${h.rebuild.totalS} s; ` +
          `slices p50 ${h.rebuild.stepMs.p50} ms max ${h.rebuild.stepMs.max} ms; searches between slices p50 ${h.rebuild.searchMsDuring.p50} ms p95 ${h.rebuild.searchMsDuring.p95} ms\n`,
      );
    }
    if (r.worker) {
      process.stdout.write(`  via worker thread search p50 ${r.worker.searchMs.p50} ms p95 ${r.worker.searchMs.p95} ms; main-loop max lag ${r.worker.eventLoopMaxLagMs} ms\n`);
      const d = r.worker.duringBuild;
      if (d) {
        process.stdout.write(
          `  via worker, background graph build ${d.buildS} s: this client's searches p50 ${d.searchMs.p50} ms p95 ${d.searchMs.p95} ms max ${d.maxMs} ms; ` +
            `another client's p50 ${d.otherClientSearchMs.p50} ms p95 ${d.otherClientSearchMs.p95} ms max ${d.otherClientMaxMs} ms; then graph search p50 ${r.worker.graphSearchMs!.p50} ms\n`,
        );
      }
    }
  }
}
