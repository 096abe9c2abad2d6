// Gallery benchmark for one client's large gallery (issue #16): at each size,
// build seconds (the IVF quantizer's k-means and the sliced adds, longest
// slice), search p50/p99 (k=5), recall@1 against exact flat search, add and
// delete p50, snapshot save/load seconds, RSS and bytes per template; on
// synthetic clustered embeddings calibrated on the real ones
// (test/src/galleryData.ts), with the real embeddings of ../shared/faces
// enrolled among them (all but one photo per person) and their held-out
// photos as probes that must find their own person.
//   npm run bench:gallery [-- --json] [--sizes 10000,100000,1000000] [--queries 200] [--index ivf|hnsw] [--no-exact]
// First, before faiss-node loads: the gallery worker's OpenMP setting.
import '../../src/gallery/faissThreads.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ClientIndex } from '../../src/gallery/ClientIndex.ts';
import { BUILD_STEP_MS, type LargeIndexKind } from '../../src/gallery/hnswPolicy.ts';
import { ClusteredEmbeddings, HAVE_FACES, faceEmbeddings, type FaceEmbedding } from '../../test/src/galleryData.ts';

const DIM = 512;
// An IVF build in child processes prints its phases (sample, train, add, merge, write) and CPU seconds to stderr.
process.env.FACEGATE_IVF_BUILD_LOG ??= '1';
const PER_PERSON = 5;
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '10000,100000,1000000' },
    queries: { type: 'string', default: '200' },
    index: { type: 'string', default: 'ivf' },
    'no-exact': { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
const nQueries = Number(values.queries);
const largeIndex = values.index as LargeIndexKind;
if (sizes.some((n) => !Number.isInteger(n) || n < 1000) || !(nQueries > 0) || !['ivf', 'hnsw'].includes(largeIndex)) {
  throw new TypeError('usage: --sizes N,N (each >= 1000) --queries N --index ivf|hnsw');
}

function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3);
}
const rssMb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);
const time = (f: () => void): number => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

interface SizeResult {
  readonly n: number;
  readonly kind: string;
  readonly nlist: number | null;
  readonly nprobe: number | null;
  readonly build_s: number;
  readonly build_longest_slice_ms: number;
  /** Of build_s: the add() call itself (the flat index's copy, and for a child build the rows' hand-off file and the fork). */
  readonly build_add_s: number;
  readonly search_p50_ms: number;
  readonly search_p99_ms: number;
  readonly recall_at_1: number | null;
  readonly exact_search_p50_ms: number | null;
  readonly real_probes: number;
  readonly real_probes_found: number;
  /** Of the 200 + real probe searches, how many ran again over IVF_WIDE_NPROBE cells (best hit below the match threshold). */
  readonly searches_widened: number | null;
  /** The same probes against exact flat search (null with --no-exact). */
  readonly real_probes_found_exact: number | null;
  readonly add_p50_ms: number;
  readonly delete_p50_ms: number;
  readonly save_s: number;
  readonly load_s: number;
  readonly snapshot_mb: number;
  readonly rss_mb: number;
  readonly bytes_per_template: number;
  readonly loadavg: readonly number[];
  readonly loadavg_after: readonly number[];
  /** This process's CPU seconds (user, system) over build + searches; the build's child processes are not counted. */
  readonly cpu_user_s: number;
  readonly cpu_system_s: number;
}

/**
 * Exact flat search over the same gallery: recall@1 of the large index's top
 * hits `top` (per probe) and, for the real held-out photos, how many exact
 * search finds (a real probe the large index misses that exact search also
 * misses is the embeddings, not the index).
 */
function exactTruth(
  ids: readonly string[],
  vectors: Float32Array,
  probes: Float32Array,
  top: readonly string[],
  lastOf: ReadonlyMap<string, FaceEmbedding>,
): { recall: number; p50: number; realFound: number } {
  const exact = ClientIndex.empty(DIM, { hnswMin: Number.MAX_SAFE_INTEGER });
  exact.add(ids, vectors);
  const lat: number[] = [];
  let agree = 0;
  for (let q = 0; q < nQueries; q++) {
    const probe = probes.subarray(q * DIM, (q + 1) * DIM);
    let best = '';
    lat.push(time(() => (best = exact.search(probe, 1)[0]?.templateId ?? '')));
    if (best === top[q]) agree++;
  }
  let realFound = 0;
  for (const f of lastOf.values()) {
    const hit = exact.search(f.embedding, 1)[0];
    if (hit && hit.templateId.startsWith(`face:${f.identity}:`)) realFound++;
  }
  return { recall: +(agree / nQueries).toFixed(4), p50: pct(lat, 0.5), realFound };
}

interface BenchData {
  readonly ids: string[];
  readonly vectors: Float32Array;
  readonly probes: Float32Array;
  /** 200 more templates for the add timings. */
  readonly extra: Float32Array;
  /** Per real person, the held-out photo (a probe that must find its own person). */
  readonly lastOf: ReadonlyMap<string, FaceEmbedding>;
}

/** n templates: synthetic clustered ones, then the enrolled real photos. */
function benchData(n: number, faces: readonly FaceEmbedding[]): BenchData {
  const gen = new ClusteredEmbeddings(DIM, 1000 + n);
  // Real faces: all but the last photo of each person enrolled, the last one a probe.
  const lastOf = new Map<string, FaceEmbedding>();
  for (const f of faces) lastOf.set(f.identity, f);
  const enrolledFaces = faces.filter((f) => lastOf.get(f.identity) !== f);
  const synthetic = n - enrolledFaces.length;
  const centres = gen.centres(Math.ceil(synthetic / PER_PERSON));
  const vectors = new Float32Array(n * DIM);
  const ids: string[] = [];
  for (let i = 0; i < synthetic; i++) {
    gen.sample(centres, Math.floor(i / PER_PERSON), vectors, i);
    ids.push(`s${i}`);
  }
  enrolledFaces.forEach((f, j) => {
    vectors.set(f.embedding, (synthetic + j) * DIM);
    ids.push(`face:${f.identity}:${f.photo}`);
  });
  const probes = new Float32Array(nQueries * DIM);
  for (let q = 0; q < nQueries; q++) gen.sample(centres, Math.floor(gen.rnd() * (centres.length / DIM)), probes, q);
  const extra = new Float32Array(200 * DIM);
  for (let i = 0; i < 200; i++) gen.sample(centres, i, extra, i);
  return { ids, vectors, probes, extra, lastOf };
}

/** Adds the gallery in one call and runs its build to the end as the gallery worker would (slices, polls). */
function build(idx: ClientIndex, ids: readonly string[], vectors: Float32Array): { buildS: number; addS: number; longest: number } {
  const t0 = performance.now();
  idx.add(ids, vectors);
  const addS = (performance.now() - t0) / 1000;
  let longest = 0;
  // A large IVF build runs in child processes: the slices here only poll for it, then load it and replay changes.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (idx.building) {
    longest = Math.max(longest, time(() => idx.step(BUILD_STEP_MS)));
    if (idx.waiting) Atomics.wait(pause, 0, 0, 20);
  }
  return { buildS: (performance.now() - t0) / 1000, addS, longest };
}

function runSize(n: number, faces: readonly FaceEmbedding[]): SizeResult {
  const loadavg = os.loadavg().map((x) => +x.toFixed(2));
  const { ids, vectors, probes, extra, lastOf } = benchData(n, faces);
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const idx = ClientIndex.empty(DIM, { hnswMin: 1000, largeIndex });
  const { buildS, addS, longest } = build(idx, ids, vectors);
  const rss = process.memoryUsage().rss;
  const stats = idx.stats();

  const lat: number[] = [];
  const top: string[] = [];
  for (let q = 0; q < nQueries; q++) {
    const probe = probes.subarray(q * DIM, (q + 1) * DIM);
    let hits: ReturnType<ClientIndex['search']> = [];
    lat.push(time(() => (hits = idx.search(probe, 5))));
    top.push(hits[0]?.templateId ?? '');
  }
  let found = 0;
  for (const f of lastOf.values()) {
    const hit = idx.search(f.embedding, 5)[0];
    if (hit && hit.templateId.startsWith(`face:${f.identity}:`)) found++;
  }
  const cpuS = process.cpuUsage(cpu0);
  const widened = idx.stats().widened ?? null;

  const addMs: number[] = [];
  for (let i = 0; i < 200; i++) addMs.push(time(() => idx.add([`new${i}`], extra.subarray(i * DIM, (i + 1) * DIM))));
  const delMs: number[] = [];
  for (let i = 0; i < 200; i++) delMs.push(time(() => idx.remove([`s${i * 7}`])));
  idx.settle();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-gallery-'));
  const key = Buffer.alloc(32, 7);
  const saveMs = time(() => idx.save(dir, 'cl_bench', key));
  const snapshotMb = fs.statSync(path.join(dir, 'cl_bench.gallery')).size / 2 ** 20;
  let loaded: ClientIndex | null = null;
  const loadMs = time(() => (loaded = ClientIndex.load(dir, 'cl_bench', DIM, key, { hnswMin: 1000, largeIndex })));
  const back = loaded as ClientIndex | null;
  if (!back || back.kind !== idx.kind || back.building) throw new Error('snapshot did not reload without a rebuild');
  fs.rmSync(dir, { recursive: true, force: true });
  loaded = null;

  // Exact ground truth (flat), after the large index's numbers so its memory is not counted.
  const exact = values['no-exact'] ? null : exactTruth(ids, vectors, probes, top, lastOf);
  return {
    n,
    kind: stats.kind,
    nlist: stats.nlist ?? null,
    nprobe: stats.nprobe ?? null,
    build_s: +buildS.toFixed(2),
    build_longest_slice_ms: +longest.toFixed(1),
    build_add_s: +addS.toFixed(2),
    search_p50_ms: pct(lat, 0.5),
    search_p99_ms: pct(lat, 0.99),
    recall_at_1: exact?.recall ?? null,
    exact_search_p50_ms: exact?.p50 ?? null,
    real_probes: lastOf.size,
    real_probes_found: found,
    searches_widened: widened,
    real_probes_found_exact: exact?.realFound ?? null,
    add_p50_ms: pct(addMs, 0.5),
    delete_p50_ms: pct(delMs, 0.5),
    save_s: +(saveMs / 1000).toFixed(2),
    load_s: +(loadMs / 1000).toFixed(2),
    snapshot_mb: +snapshotMb.toFixed(1),
    rss_mb: Math.round(rss / 2 ** 20),
    bytes_per_template: Math.round((rss - rss0) / n),
    loadavg,
    loadavg_after: os.loadavg().map((x) => +x.toFixed(2)),
    cpu_user_s: +(cpuS.user / 1e6).toFixed(1),
    cpu_system_s: +(cpuS.system / 1e6).toFixed(1),
  };
}

const faces = HAVE_FACES ? await faceEmbeddings() : [];
const results: SizeResult[] = [];
for (const n of sizes) {
  const r = runSize(n, faces);
  results.push(r);
  if (!values.json) {
    process.stdout.write(
      `n=${r.n} ${r.kind} nlist ${r.nlist} nprobe ${r.nprobe} (load ${r.loadavg.join(' ')} -> ${r.loadavg_after.join(' ')} on ${os.availableParallelism()} CPUs,` +
        ` OMP_NUM_THREADS ${process.env.OMP_NUM_THREADS}, this process ${r.cpu_user_s} s user ${r.cpu_system_s} s sys)\n` +
        `  build ${r.build_s} s (add ${r.build_add_s} s, longest slice ${r.build_longest_slice_ms} ms)  search k=5 p50 ${r.search_p50_ms} ms p99 ${r.search_p99_ms} ms` +
        `  recall@1 ${r.recall_at_1} (exact flat p50 ${r.exact_search_p50_ms} ms)\n` +
        `  real faces ${r.real_probes_found}/${r.real_probes} found (exact flat ${r.real_probes_found_exact}, searches widened ${r.searches_widened})  add p50 ${r.add_p50_ms} ms  delete p50 ${r.delete_p50_ms} ms` +
        `  save ${r.save_s} s load ${r.load_s} s (${r.snapshot_mb} MB)  RSS ${r.rss_mb} MB (${r.bytes_per_template} B/template)\n`,
    );
  }
}
if (values.json) {
  process.stdout.write(`${JSON.stringify({ index: largeIndex, omp_num_threads: process.env.OMP_NUM_THREADS, cpus: os.availableParallelism(), sizes: results }, null, 2)}\n`);
}
