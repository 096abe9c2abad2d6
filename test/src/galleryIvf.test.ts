// The IVF large-gallery path (IvfIndex under ClientIndex): bytes faiss wrote
// are read back right, scores are exact inner products, removal tombstones,
// snapshots reload without a rebuild, and real-face 1:N identification with
// open-set rejection gives the same answers as the flat (exact) path.
// First, before faiss-node loads: as in the service's gallery worker.
import '../../src/gallery/faissThreads.ts';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { before, describe, test } from 'node:test';
import { ClientIndex } from '../../src/gallery/ClientIndex.ts';
import { ivfLayout, ivfNprobe } from '../../src/gallery/faissBytes.ts';
import { IvfIndex } from '../../src/gallery/IvfIndex.ts';
import { IVF_SEARCH_NPROBE } from '../../src/gallery/faissAddon.ts';
import { IVF_WIDEN_BELOW } from '../../src/gallery/hnswPolicy.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../../models/similarity.ts';
import { ClusteredEmbeddings, HAVE_FACES, dot, faceEmbeddings, type FaceEmbedding } from './galleryData.ts';
import { tempDir } from './fixtures.ts';

const DIM = 512;

/** n templates: n / 4 identities, 4 samples each, plus one fresh probe per identity. */
function clustered(n: number, seed: number): { vectors: Float32Array; probes: Float32Array; ids: string[] } {
  const gen = new ClusteredEmbeddings(DIM, seed);
  const people = n / 4;
  const centres = gen.centres(people);
  const vectors = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) gen.sample(centres, Math.floor(i / 4), vectors, i);
  const probes = new Float32Array(people * DIM);
  for (let c = 0; c < people; c++) gen.sample(centres, c, probes, c);
  return { vectors, probes, ids: Array.from({ length: n }, (_, i) => `t${i}`) };
}

describe('IvfIndex', () => {
  test('train() writes nprobe into the index; liveVectors() reads back exactly the surviving rows; scores are exact', () => {
    const { vectors, probes, ids } = clustered(4000, 7);
    const ivf = IvfIndex.train(DIM, vectors.slice(0, 2000 * DIM), { nlist: 32, nprobe: 8 });
    ivf.add(ids, vectors);
    const bytes = ivf.toBuffer();
    assert.equal(ivfLayout(bytes).nlist, 32);
    assert.equal(ivfLayout(bytes).ntotal, 4000);
    assert.equal(ivfNprobe(bytes), 8);
    ivf.remove(['t0', 't5', 't3999']);
    const live = ivf.liveVectors();
    assert.equal(live.ids.length, 3997);
    for (const [row, id] of live.ids.entries()) {
      const p = Number(id.slice(1));
      assert.deepEqual(live.vectors.subarray(row * DIM, (row + 1) * DIM), vectors.subarray(p * DIM, (p + 1) * DIM), id);
    }
    for (let c = 0; c < 50; c++) {
      const q = probes.subarray(c * DIM, (c + 1) * DIM);
      for (const h of ivf.search(q, 5)) {
        const p = Number(h.templateId.slice(1));
        assert.ok(Math.abs(h.score - dot(vectors, p * DIM, q, 0, DIM)) < 1e-5, 'score is the exact inner product');
      }
    }
  });

  test('remove() tombstones: a removed template is never returned, even when it is the nearest', () => {
    const { vectors, ids } = clustered(2000, 9);
    const ivf = IvfIndex.train(DIM, vectors, { nlist: 16, nprobe: 4 });
    ivf.add(ids, vectors);
    assert.equal(ivf.remove(['t8', 't9', 't10', 't11', 'nope']), 4);
    const hits = ivf.search(vectors.subarray(8 * DIM, 9 * DIM), 10);
    assert.equal(hits.length, 10);
    assert.ok(hits.every((h) => !['t8', 't9', 't10', 't11'].includes(h.templateId)));
    assert.equal(ivf.tombstones, 4);
  });
  test('search() scans every cell again when its best hit is below the match threshold: non-members get the exact top hit, members scan nprobe cells only', { skip: IVF_SEARCH_NPROBE ? false : 'faiss-node addon built before the nprobe patch (run scripts/install.sh)' }, () => {
    const { vectors, probes, ids } = clustered(4000, 13);
    // 16 cells, so the wide pass (min(IVF_WIDE_NPROBE, nlist)) is all of them; one cell per first pass.
    const ivf = IvfIndex.train(DIM, vectors, { nlist: 16, nprobe: 1 });
    ivf.add(ids, vectors);
    const gen = new ClusteredEmbeddings(DIM, 99);
    const strangers = gen.centres(30);
    for (let i = 0; i < 30; i++) {
      const q = strangers.subarray(i * DIM, (i + 1) * DIM);
      let best = -Infinity;
      let bestId = '';
      for (let p = 0; p < 4000; p++) {
        const s = dot(vectors, p * DIM, q, 0, DIM);
        if (s > best) [best, bestId] = [s, `t${p}`];
      }
      assert.ok(best < IVF_WIDEN_BELOW, 'a stranger is below the threshold');
      const top = ivf.search(q, 1)[0]!;
      assert.equal(top.templateId, bestId);
      assert.ok(Math.abs(top.score - best) < 1e-5);
    }
    // Without the second pass, one cell of 16 would hold the exact best for only a few of the 30.
    assert.equal(ivf.widened, 30);
    // A member's probe finds its own samples above the threshold, almost always in its nearest cell: no second pass.
    for (let c = 0; c < 40; c++) assert.ok(ivf.search(probes.subarray(c * DIM, (c + 1) * DIM), 1)[0]!.score >= IVF_WIDEN_BELOW);
    assert.ok(ivf.widened - 30 <= 4, `${ivf.widened - 30} of 40 member searches widened`);
  });
});

describe('ClientIndex (ivf)', () => {
  test('switches to IVF at hnswMin once built, agrees with exact top-1, and save() then load() restores it with its tombstones', () => {
    const { vectors, probes, ids } = clustered(3000, 11);
    const idx = ClientIndex.empty(DIM, { hnswMin: 2000 });
    const exact = ClientIndex.empty(DIM, { hnswMin: Number.MAX_SAFE_INTEGER });
    idx.add(ids, vectors);
    exact.add(ids, vectors);
    assert.equal(idx.building, true);
    idx.settle();
    assert.equal(idx.kind, 'ivf');
    assert.equal(idx.stats().nprobe, 16);
    let agree = 0;
    for (let c = 0; c < 750; c++) {
      const q = probes.subarray(c * DIM, (c + 1) * DIM);
      if (idx.search(q, 1)[0]!.templateId === exact.search(q, 1)[0]!.templateId) agree++;
    }
    assert.ok(agree / 750 >= 0.99, `recall@1 ${agree / 750}`);
    idx.remove(['t0', 't1']);
    const dir = tempDir();
    const key = crypto.randomBytes(32);
    idx.save(dir, 'cl_i', key);
    const back = ClientIndex.load(dir, 'cl_i', DIM, key, { hnswMin: 2000 })!;
    assert.equal(back.kind, 'ivf');
    assert.equal(back.building, false, 'loads without a rebuild');
    assert.equal(back.size, 2998);
    assert.equal(back.stats().tombstones, 2);
    const q = probes.subarray(0, DIM);
    assert.deepEqual(back.search(q, 5), idx.search(q, 5));
    assert.ok(back.search(vectors.subarray(0, DIM), 5).every((h) => h.templateId !== 't0' && h.templateId !== 't1'));
    assert.equal(ClientIndex.load(dir, 'cl_i', DIM, crypto.randomBytes(32), { hnswMin: 2000 }), null);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('1:N identification on real faces, IVF as flat', { skip: HAVE_FACES ? false : '../shared/faces not present' }, () => {
  let faces: FaceEmbedding[];
  before(async () => {
    faces = await faceEmbeddings();
  });

  /**
   * Enrols all but the last photo of every other identity (members) among
   * `padding` synthetic clustered distractors; returns, per held-out photo,
   * the identity of the best hit at or above the threshold (null: rejected).
   */
  function identify(
    options: { hnswMin: number; ivfChildMin?: number },
    padding: number,
  ): { idx: ClientIndex; answers: Map<string, string | null>; inChild: boolean } {
    const people = [...new Set(faces.map((f) => f.identity))];
    const members = new Set(people.filter((_, i) => i % 2 === 0));
    const held = new Map<string, FaceEmbedding>();
    for (const f of faces) held.set(f.identity, f);
    const idx = ClientIndex.empty(DIM, options);
    const pad = clustered(padding, 21);
    idx.add(pad.ids, pad.vectors);
    // Removed while a build (in this thread or in child processes) is under way: never returned.
    idx.remove(pad.ids.slice(0, 8));
    // One zero-budget slice: an in-thread build trains here, a child build is only polled (and not done yet).
    idx.step(0);
    const inChild = idx.waiting;
    const owner = new Map<string, string>();
    for (const f of faces) {
      if (!members.has(f.identity) || held.get(f.identity) === f) continue;
      const id = `${f.identity}/${f.photo}`;
      owner.set(id, f.identity);
      idx.add([id], f.embedding);
    }
    idx.settle();
    const answers = new Map<string, string | null>();
    for (const [person, f] of held) {
      const top = idx.search(f.embedding, 5)[0];
      answers.set(person, top && top.score >= DEFAULT_MATCH_THRESHOLD ? (owner.get(top.templateId) ?? `distractor ${top.templateId}`) : null);
    }
    for (let i = 0; i < 8; i++) {
      assert.ok(idx.search(pad.vectors.subarray(i * DIM, (i + 1) * DIM), 5).every((h) => !pad.ids.slice(0, 8).includes(h.templateId)));
    }
    return { idx, answers, inChild };
  }

  test('members are identified from an unseen photo and non-members rejected, on the IVF path exactly as on the flat one', () => {
    const flat = identify({ hnswMin: Number.MAX_SAFE_INTEGER }, 4000);
    const ivf = identify({ hnswMin: 1000 }, 4000);
    assert.equal(flat.idx.kind, 'flat');
    assert.equal(ivf.idx.kind, 'ivf');
    assert.equal(ivf.inChild, false, 'a 4k gallery builds in the gallery thread');
    const people = [...flat.answers.keys()];
    const members = people.filter((_, i) => i % 2 === 0);
    for (const p of members) assert.equal(ivf.answers.get(p), p, `${p} is identified`);
    for (const p of people.filter((_, i) => i % 2 === 1)) assert.equal(ivf.answers.get(p), null, `${p} is rejected (open set)`);
    assert.deepEqual(ivf.answers, flat.answers);
  });

  test('an IVF build in child processes (trained there, filled by two, merged) answers as the flat path, with the photos enrolled during the build', () => {
    // 20k templates: the lead child adds one half, its helper the other (labels shifted at the merge).
    const flat = identify({ hnswMin: Number.MAX_SAFE_INTEGER }, 20_000);
    const child = identify({ hnswMin: 1000, ivfChildMin: 10_000 }, 20_000);
    assert.equal(child.inChild, true, 'the build ran in child processes');
    assert.equal(child.idx.kind, 'ivf');
    assert.equal(child.idx.size, flat.idx.size);
    assert.deepEqual(child.answers, flat.answers);
    const people = [...flat.answers.keys()];
    for (const p of people.filter((_, i) => i % 2 === 0)) assert.equal(child.answers.get(p), p, `${p} is identified`);
  });
});
