// First, before faiss-node loads: faiss single-threaded, as in the service's gallery worker.
import '../../src/gallery/faissThreads.ts';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import faiss from 'faiss-node';
import { ClientIndex } from '../../src/gallery/ClientIndex.ts';
import { FaissGallery } from '../../src/gallery/FaissGallery.ts';
import { flatIndexBytes, flatVectors, hnswLayout, hnswParams, setHnswParams } from '../../src/gallery/faissBytes.ts';
import { GraphBuild } from '../../src/gallery/GraphBuild.ts';
import { HnswGraph } from '../../src/gallery/HnswGraph.ts';
import { DEMOTE_RATIO } from '../../src/gallery/hnswPolicy.ts';
import { tempDir } from './fixtures.ts';

/** Seeded xorshift + Box-Muller: random unit vectors, the graph's hardest case. */
function randomUnits(n: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const g = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
      v[i * dim + d] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) v[i * dim + d]! /= norm;
  }
  return v;
}

/** A new photo of template i: the template plus noise (cosine ~0.7 at 512-d). */
function probe(base: Float32Array, i: number, dim: number, seed: number): Float32Array {
  const noise = randomUnits(1, dim, seed);
  const q = new Float32Array(dim);
  let norm = 0;
  for (let d = 0; d < dim; d++) {
    q[d] = base[i * dim + d]! + noise[d]!;
    norm += q[d]! * q[d]!;
  }
  return q.map((x) => x / Math.sqrt(norm));
}

function exactTop1(base: Float32Array, n: number, dim: number, q: Float32Array, skip = new Set<number>()): { i: number; score: number } {
  let best = { i: -1, score: -Infinity };
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) s += base[i * dim + d]! * q[d]!;
    if (s > best.score) best = { i, score: s };
  }
  return best;
}

const rows = (v: Float32Array, dim: number, from: number, to: number): Float32Array => v.slice(from * dim, to * dim);
const idsOf = (from: number, to: number, prefix = 't'): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('faissBytes', () => {
  test('hnswLayout() finds efConstruction, efSearch and the storage in bytes faiss wrote, and setHnswParams() survives a load', () => {
    const dim = 16;
    const v = randomUnits(50, dim, 7);
    const h = faiss.Index.fromFactory(dim, 'HNSW32,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
    h.add(Array.from(v));
    const bytes = h.toBuffer();
    assert.deepEqual(hnswParams(bytes), { efConstruction: 40, efSearch: 16 }, "faiss's defaults");
    assert.equal(hnswLayout(bytes).ntotal, 50);
    assert.deepEqual(flatVectors(bytes, hnswLayout(bytes).storageAt), v);
    setHnswParams(bytes, { efConstruction: 80, efSearch: 77 });
    assert.deepEqual(hnswParams(faiss.Index.fromBuffer(bytes).toBuffer()), { efConstruction: 80, efSearch: 77 });
    assert.deepEqual(flatVectors(flatIndexBytes(dim, v)), v);
    assert.throws(() => hnswLayout(flatIndexBytes(dim, v)), /not an HNSW/);
    assert.throws(() => hnswLayout(bytes.subarray(0, 100)), /truncated/);
  });
});

describe('HnswGraph', () => {
  test('search() agrees with exact top-1 on a random 512-d gallery of 3000 and scores are exact inner products', () => {
    const dim = 512;
    const n = 3000;
    const base = randomUnits(n, dim, 11);
    const b = new GraphBuild(dim, () => HnswGraph.empty(dim, 64));
    b.enqueue(idsOf(0, n), base);
    while (!b.step(1000));
    const g = b.graph;
    assert.equal(g.size, n);
    let agree = 0;
    const probes = 100;
    for (let j = 0; j < probes; j++) {
      const q = probe(base, (j * 29) % n, dim, 1000 + j);
      const exact = exactTop1(base, n, dim, q);
      const hit = g.search(q, 1)[0]!;
      if (hit.templateId === `t${exact.i}`) {
        agree++;
        assert.ok(Math.abs(hit.score - exact.score) < 1e-4, 'score is the exact inner product');
      }
    }
    // Multi-threaded insertion makes the graph differ run to run; measured 1.000 at this size.
    assert.ok(agree >= 0.99 * probes, `agreement ${agree}/${probes}`);
  });

  test('remove() tombstones: a removed template is never returned, even when it is the nearest to every probe', () => {
    const dim = 32;
    const n = 400;
    const base = randomUnits(n, dim, 5);
    const g = HnswGraph.empty(dim, 64);
    g.add(idsOf(0, n), base);
    const gone = Array.from({ length: 100 }, (_, i) => i * 4);
    assert.equal(g.remove([...gone.map((i) => `t${i}`), 'nope']), 100);
    assert.equal(g.size, 300);
    assert.equal(g.tombstones, 100);
    for (const i of gone) {
      const hits = g.search(base.subarray(i * dim, (i + 1) * dim), 5);
      assert.equal(hits.length, 5);
      for (const h of hits) assert.ok(!gone.includes(Number(h.templateId.slice(1))), `${h.templateId} was removed`);
    }
    // Everything removed but one: a search still finds the survivor.
    g.remove(idsOf(0, n).filter((id) => id !== 't1'));
    assert.deepEqual(g.search(base.subarray(0, dim), 3).map((h) => h.templateId), ['t1']);
    const { ids, vectors } = g.liveVectors();
    assert.deepEqual(ids, ['t1']);
    assert.deepEqual(vectors, base.subarray(dim, 2 * dim));
  });
});

describe('ClientIndex (graph)', () => {
  const dim = 32;

  test('switches to the graph at hnswMin once built, stays until below DEMOTE_RATIO of it, then returns to flat', () => {
    const hnswMin = 1000;
    const base = randomUnits(1200, dim, 21);
    const idx = ClientIndex.empty(dim, { hnswMin, largeIndex: 'hnsw' });
    idx.add(idsOf(0, 999), rows(base, dim, 0, 999));
    assert.equal(idx.kind, 'flat');
    assert.equal(idx.building, false);
    idx.add(['t999'], rows(base, dim, 999, 1000));
    assert.equal(idx.building, true, 'build starts at hnswMin');
    assert.equal(idx.kind, 'flat', 'flat serves until the graph is built');
    // Enrolments and removals during the build reach the new graph.
    idx.add(idsOf(1000, 1100), rows(base, dim, 1000, 1100));
    idx.remove(['t3']);
    idx.settle();
    // t3 was removed before the build reached it: never added, so no tombstone.
    assert.deepEqual(idx.stats(), { kind: 'graph', size: 1099, tombstones: 0, building: false, efSearch: 64 });
    assert.equal(idx.search(base.subarray(1050 * dim, 1051 * dim), 1)[0]!.templateId, 't1050');
    assert.notEqual(idx.search(base.subarray(3 * dim, 4 * dim), 1)[0]!.templateId, 't3');
    // Enrol after the switch: straight into the graph.
    idx.add(['new'], rows(base, dim, 1150, 1151));
    assert.equal(idx.search(base.subarray(1150 * dim, 1151 * dim), 1)[0]!.templateId, 'new');
    // Below hnswMin but above the hysteresis floor: still the graph (a rebuild may run: tombstones > 10%).
    const floor = Math.floor(hnswMin * DEMOTE_RATIO);
    idx.remove(idsOf(0, 1100).slice(0, 1100 - floor).filter((id) => id !== 't3'));
    assert.equal(idx.size, floor + 1);
    assert.equal(idx.kind, 'graph');
    idx.remove(['new', 't1000']);
    assert.equal(idx.kind, 'flat');
    assert.equal(idx.building, false);
    assert.equal(idx.size, floor - 1);
    assert.equal(idx.search(base.subarray(1099 * dim, 1100 * dim), 1)[0]!.templateId, 't1099');
  });

  test('a graph is rebuilt from its survivors once tombstones exceed 10%, and serves throughout', () => {
    const n = 2000;
    const base = randomUnits(n, dim, 31);
    const idx = ClientIndex.empty(dim, { hnswMin: 1000, largeIndex: 'hnsw' });
    idx.add(idsOf(0, n), base);
    idx.settle();
    idx.remove(idsOf(0, 200));
    assert.deepEqual(idx.stats(), { kind: 'graph', size: 1800, tombstones: 200, building: false, efSearch: 64 }, 'exactly 10%: no rebuild yet');
    idx.remove(['t200']);
    assert.equal(idx.building, true);
    let steps = 0;
    while (!idx.step(5)) {
      steps++;
      // Mid-rebuild: the old graph answers, removals and enrolments go to both.
      if (steps === 2) {
        // t201 went into the new graph in the first step: it becomes a tombstone there.
        idx.remove(['t201']);
        idx.add(['again'], rows(base, dim, 0, 1));
      }
      assert.equal(idx.search(base.subarray(1700 * dim, 1701 * dim), 1)[0]!.templateId, 't1700');
    }
    assert.ok(steps >= 2, `rebuild took ${steps} steps`);
    assert.deepEqual(idx.stats(), { kind: 'graph', size: 1799, tombstones: 1, building: false, efSearch: 64 });
    assert.equal(idx.search(base.subarray(0, dim), 1)[0]!.templateId, 'again');
    assert.ok(!idx.has('t201'));
    for (const i of [150, 200, 201]) assert.notEqual(idx.search(base.subarray(i * dim, (i + 1) * dim), 1)[0]!.templateId, `t${i}`);
  });

  test('save() then load() restores a graph with its tombstones without rebuilding; a wrong key or an altered file is refused', () => {
    const dir = tempDir();
    const key = Buffer.alloc(32, 4);
    const n = 1500;
    const base = randomUnits(n, dim, 41);
    const idx = ClientIndex.empty(dim, { hnswMin: 1000, largeIndex: 'hnsw' });
    idx.add(idsOf(0, n), base);
    idx.settle();
    idx.remove(['t7', 't8']);
    idx.save(dir, 'cl_g', key);
    const back = ClientIndex.load(dir, 'cl_g', dim, key, { hnswMin: 1000, largeIndex: 'hnsw' })!;
    assert.deepEqual(back.stats(), { kind: 'graph', size: 1498, tombstones: 2, building: false, efSearch: 64 });
    assert.deepEqual(new Set(back.ids()), new Set(idx.ids()));
    for (const i of [0, 7, 500, 1499]) {
      const q = probe(base, i, dim, 77 + i);
      assert.deepEqual(back.search(q, 3), idx.search(q, 3));
    }
    // Loaded under a higher threshold it goes back to flat with the same templates.
    const asFlat = ClientIndex.load(dir, 'cl_g', dim, key, { hnswMin: 5000, largeIndex: 'hnsw' })!;
    assert.equal(asFlat.kind, 'flat');
    assert.deepEqual(new Set(asFlat.ids()), new Set(idx.ids()));
    assert.equal(ClientIndex.load(dir, 'cl_g', dim, Buffer.alloc(32, 5)), null, 'wrong key');
    const file = path.join(dir, 'cl_g.gallery');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 9]! ^= 1;
    fs.writeFileSync(file, bytes);
    assert.equal(ClientIndex.load(dir, 'cl_g', dim, key), null, 'altered');
  });

  test('load() still reads a format-1 (flat only) snapshot and refuses one relabelled as format 2', () => {
    const dir = tempDir();
    const key = Buffer.alloc(32, 6);
    const base = randomUnits(3, dim, 51);
    // Format 1, as the previous release wrote it: version byte 1, AAD "gallery:<name>", meta without kind.
    const meta = Buffer.from(JSON.stringify({ dim, ntotal: 3, ids: ['a', 'b', 'c'] }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(meta.length);
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from('gallery:cl_old'));
    const body = Buffer.concat([c.update(Buffer.concat([len, meta, flatIndexBytes(dim, base)])), c.final()]);
    const blob = Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
    fs.writeFileSync(path.join(dir, 'cl_old.gallery'), blob);
    const idx = ClientIndex.load(dir, 'cl_old', dim, key)!;
    assert.deepEqual(idx.stats(), { kind: 'flat', size: 3, tombstones: 0, building: false, efSearch: null });
    assert.equal(idx.search(base.subarray(dim, 2 * dim), 1)[0]!.templateId, 'b');
    blob[0] = 2;
    fs.writeFileSync(path.join(dir, 'cl_old.gallery'), blob);
    assert.equal(ClientIndex.load(dir, 'cl_old', dim, key), null);
  });
});

describe('FaissGallery (graph in the worker)', () => {
  test('a client switches to a graph in the background while searches keep being answered; tenants stay apart', async () => {
    const dim = 512;
    const dir = tempDir();
    const g = new FaissGallery({ dir, dim, hnswMin: 1000, largeIndex: 'hnsw', persistDelayMs: 10, snapshotKey: () => Buffer.alloc(32, 8) });
    try {
      // Big enough that the graph build outlasts the two replace() round trips with AVX2 faiss under load (1500 did not always).
      const n = 3000;
      const a = randomUnits(n, dim, 61);
      const b = randomUnits(n, dim, 62);
      const entries = (v: Float32Array, prefix: string) => idsOf(0, n, prefix).map((templateId, i) => ({ templateId, embedding: v.slice(i * dim, (i + 1) * dim) }));
      await g.replace('cl_a', entries(a, 'a'));
      await g.replace('cl_b', entries(b, 'b'));
      assert.equal((await g.stats('cl_a'))!.building, true);
      let answeredDuringBuild = 0;
      for (;;) {
        const [sa, sb] = await Promise.all([g.stats('cl_a'), g.stats('cl_b')]);
        if (sa!.kind === 'graph' && sb!.kind === 'graph') break;
        // Each client only ever sees its own templates, flat or graph.
        const i = answeredDuringBuild % n;
        const hits = await g.search('cl_a', a.slice(i * dim, (i + 1) * dim), 5);
        assert.equal(hits[0]!.templateId, `a${i}`);
        assert.ok(hits.every((h) => h.templateId.startsWith('a')));
        answeredDuringBuild++;
      }
      assert.ok(answeredDuringBuild > 0, 'searches were answered while the graph was being built');
      for (const i of [0, 700, 2999]) {
        const ha = await g.search('cl_a', probe(a, i, dim, i), 5);
        const hb = await g.search('cl_b', probe(a, i, dim, i), 5);
        assert.equal(ha[0]!.templateId, `a${i}`);
        assert.ok(hb.every((h) => h.templateId.startsWith('b')), 'cl_b never returns cl_a templates');
      }
      assert.equal(await g.remove('cl_a', ['a700']), 1);
      assert.notEqual((await g.search('cl_a', a.slice(700 * dim, 701 * dim), 1))[0]!.templateId, 'a700');
      assert.deepEqual(await g.stats('cl_a'), { kind: 'graph', size: 2999, tombstones: 1, building: false, efSearch: 64 });
      await g.persist();
    } finally {
      await g.close();
    }
    // The graph snapshot loads as a graph in a fresh gallery (no rebuild).
    const g2 = new FaissGallery({ dir, dim, hnswMin: 1000, largeIndex: 'hnsw', snapshotKey: () => Buffer.alloc(32, 8) });
    try {
      assert.equal((await g2.load('cl_a'))!.length, 2999);
      assert.deepEqual(await g2.stats('cl_a'), { kind: 'graph', size: 2999, tombstones: 1, building: false, efSearch: 64 });
    } finally {
      await g2.close();
    }
  });
});
