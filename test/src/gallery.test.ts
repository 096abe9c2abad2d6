import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { KeyRing } from '../../src/crypto/KeyRing.ts';
import { TemplateGallery } from '../../src/gallery/TemplateGallery.ts';
import { ClientIndex, flatIndexBytes } from '../../src/gallery/ClientIndex.ts';
import faiss from 'faiss-node';
import { FaissGallery } from '../../src/gallery/FaissGallery.ts';
import { syncGalleryFromStore } from '../../src/gallery/syncGalleryFromStore.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import { SqlStore } from '../../src/store/SqlStore.ts';
import { tempDir } from './fixtures.ts';

function unit(seed: number, dim = 512): Float32Array {
  let x = seed * 2654435761 >>> 0 || 1;
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = (x >>> 0) / 0xffffffff - 0.5;
    n += v[i]! * v[i]!;
  }
  return v.map((a) => a / Math.sqrt(n));
}

describe('ClientIndex', () => {
  test('flatIndexBytes() matches the bytes faiss itself writes for an IndexFlatIP', () => {
    const v = Float32Array.from({ length: 8 }, (_, i) => i + 1);
    const ref = new faiss.IndexFlatIP(4);
    ref.add(Array.from(v));
    assert.ok(flatIndexBytes(4, v).equals(ref.toBuffer()));
  });

  test('search() finds the added vector first with score ~1 and clamps k to the gallery size', () => {
    const idx = ClientIndex.empty(512);
    const vs = [unit(1), unit(2), unit(3)];
    const flat = new Float32Array(3 * 512);
    vs.forEach((v, i) => flat.set(v, i * 512));
    idx.add(['a', 'b', 'c'], flat);
    const hits = idx.search(unit(2), 10);
    assert.equal(hits.length, 3);
    assert.equal(hits[0]!.templateId, 'b');
    assert.ok(Math.abs(hits[0]!.score - 1) < 1e-5);
    assert.deepEqual(ClientIndex.empty(512).search(unit(1), 5), []);
  });

  test('remove() keeps the position -> id mapping right after compaction', () => {
    const idx = ClientIndex.empty(512);
    const n = 50;
    const flat = new Float32Array(n * 512);
    for (let i = 0; i < n; i++) flat.set(unit(i + 1), i * 512);
    idx.add(Array.from({ length: n }, (_, i) => `t${i}`), flat);
    assert.equal(idx.remove(['t0', 't10', 't49', 'nope']), 3);
    assert.equal(idx.size, 47);
    for (const i of [1, 9, 11, 25, 48]) assert.equal(idx.search(unit(i + 1), 1)[0]!.templateId, `t${i}`);
    for (const i of [0, 10, 49]) assert.notEqual(idx.search(unit(i + 1), 1)[0]!.templateId, `t${i}`);
  });

  test('save() then load() restores ids and results; a wrong key or an altered file is refused', () => {
    const dir = tempDir();
    const key = Buffer.alloc(32, 1);
    const idx = ClientIndex.empty(512);
    const flat = new Float32Array(2 * 512);
    flat.set(unit(5), 0);
    flat.set(unit(6), 512);
    idx.add(['x', 'y'], flat);
    idx.save(dir, 'cl_1', key);
    const back = ClientIndex.load(dir, 'cl_1', 512, key)!;
    assert.deepEqual(back.ids(), ['x', 'y']);
    assert.equal(back.search(unit(6), 1)[0]!.templateId, 'y');
    const file = path.join(dir, 'cl_1.gallery');
    // Sealed: neither the ids nor the raw floats appear in the file.
    const bytes = fs.readFileSync(file);
    assert.ok(!bytes.includes(Buffer.from('"x"')));
    assert.ok(!bytes.includes(Buffer.from(unit(5).buffer).subarray(0, 32)));
    assert.equal(ClientIndex.load(dir, 'cl_1', 512, Buffer.alloc(32, 2)), null, 'wrong key');
    assert.equal(ClientIndex.load(dir, 'cl_2', 512, key), null, 'missing');
    bytes[bytes.length - 5]! ^= 1;
    fs.writeFileSync(file, bytes);
    assert.equal(ClientIndex.load(dir, 'cl_1', 512, key), null, 'altered');
  });
});

describe('FaissGallery (worker thread)', () => {
  let dir: string;
  let g: FaissGallery;
  before(() => {
    dir = tempDir();
    g = new FaissGallery({ dir, persistDelayMs: 10, snapshotKey: () => Buffer.alloc(32, 3) });
  });
  after(async () => {
    await g.close();
  });

  test('add()/search()/remove() per client; one client never sees another\'s templates', async () => {
    await g.add('cl_a', [{ templateId: 'a1', embedding: unit(1) }, { templateId: 'a2', embedding: unit(2) }]);
    await g.add('cl_b', [{ templateId: 'b1', embedding: unit(1) }]);
    assert.deepEqual((await g.search('cl_a', unit(1), 5)).map((h) => h.templateId)[0], 'a1');
    assert.deepEqual((await g.search('cl_b', unit(2), 5)).map((h) => h.templateId), ['b1']);
    assert.deepEqual(await g.search('cl_c', unit(1), 5), []);
    assert.equal(await g.remove('cl_b', ['a1', 'a2']), 0);
    assert.equal(await g.remove('cl_a', ['a1']), 1);
    assert.deepEqual((await g.search('cl_a', unit(1), 5)).map((h) => h.templateId), ['a2']);
    assert.equal(await g.size('cl_a'), 1);
  });

  test('search() rejects a wrong dimension and a bad k with TypeError', async () => {
    await assert.rejects(g.search('cl_a', new Float32Array(3), 1), TypeError);
    await assert.rejects(g.search('cl_a', unit(1), 0), TypeError);
  });

  test('a search of 10k templates does not block the event loop', async () => {
    const n = 10_000;
    const entries = Array.from({ length: n }, (_, i) => ({ templateId: `t${i}`, embedding: unit(i + 100) }));
    await g.add('cl_big', entries);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const searches = Array.from({ length: 20 }, (_, i) => g.search('cl_big', unit(i + 100), 1));
    const res = await Promise.all(searches);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    res.forEach((r, i) => assert.equal(r[0]!.templateId, `t${i}`));
    // The main loop kept ticking while the worker searched.
    assert.ok(ticks >= Math.min(5, elapsed / 10), `ticks=${ticks} elapsed=${elapsed.toFixed(0)}ms`);
    await g.dropClient('cl_big');
    assert.equal(await g.size('cl_big'), 0);
  });
});

describe('syncGalleryFromStore()', () => {
  test('rebuilds from the store at start, reuses a matching snapshot, and rebuilds a stale one', async () => {
    const dataDir = tempDir();
    const store = await SqlStore.open(await PgliteSqlClient.open('memory://'));
    const keys = new KeyRing(Buffer.alloc(32, 7));
    try {
      const wrapped = keys.newClientKey('cl_s');
      await store.createClient({ id: 'cl_s', name: 'S', wrappedKey: wrapped });
      for (let i = 0; i < 5; i++) {
        await store.enroll('cl_s', `u${i}`, [{ id: `tpl_${i}`, ciphertext: keys.encryptTemplate('cl_s', `tpl_${i}`, unit(i + 1)) }]);
      }
      const g1 = new FaissGallery({ dir: dataDir, snapshotKey: (id) => keys.snapshotKey(id) });
      const r1 = await syncGalleryFromStore(g1, store, keys);
      assert.deepEqual({ rebuilt: r1.rebuilt, fromSnapshot: r1.fromSnapshot, templates: r1.templates }, { rebuilt: 1, fromSnapshot: 0, templates: 5 });
      assert.equal((await g1.search('cl_s', unit(3), 1))[0]!.templateId, 'tpl_2');
      await g1.close();

      const g2 = new FaissGallery({ dir: dataDir, snapshotKey: (id) => keys.snapshotKey(id) });
      const r2 = await syncGalleryFromStore(g2, store, keys);
      assert.equal(r2.fromSnapshot, 1);
      assert.equal((await g2.search('cl_s', unit(5), 1))[0]!.templateId, 'tpl_4');
      await g2.close();

      // The store changed while the node was down: the snapshot no longer matches.
      await store.deleteUser('cl_s', 'u4');
      await store.enroll('cl_s', 'u9', [{ id: 'tpl_9', ciphertext: keys.encryptTemplate('cl_s', 'tpl_9', unit(99)) }]);
      const g3 = new FaissGallery({ dir: dataDir, snapshotKey: (id) => keys.snapshotKey(id) });
      const r3 = await syncGalleryFromStore(g3, store, keys);
      assert.equal(r3.rebuilt, 1);
      assert.deepEqual((await g3.ids('cl_s')).sort(), ['tpl_0', 'tpl_1', 'tpl_2', 'tpl_3', 'tpl_9']);
      await g3.close();
      assert.ok(fs.existsSync(path.join(dataDir, 'cl_s.gallery')));

      // Deleting the client destroys its key; the next start prunes its sealed snapshot.
      await store.deleteClient('cl_s');
      keys.forget('cl_s');
      const g4 = new FaissGallery({ dir: dataDir, snapshotKey: (id) => keys.snapshotKey(id) });
      const r4 = await syncGalleryFromStore(g4, store, keys);
      assert.equal(r4.pruned, 1);
      assert.equal(fs.existsSync(path.join(dataDir, 'cl_s.gallery')), false);
      await g4.close();
    } finally {
      await store.close();
    }
  });
});

describe('TemplateGallery (the one owner of templates: encrypt, store, index, publish; the engine\'s read side)', () => {
  test('enroll/compare/search/remove per subject, scoped to one client', async () => {
    const store = await SqlStore.open(await PgliteSqlClient.open('memory://'));
    const keys = new KeyRing(Buffer.alloc(32, 5));
    const g = new FaissGallery({ dir: tempDir(), snapshotKey: (id) => keys.snapshotKey(id) });
    try {
      for (const id of ['cl_v1', 'cl_v2']) await store.createClient({ id, name: id, wrappedKey: keys.newClientKey(id) });
      const templates = new TemplateGallery({ store, index: g, keys });
      const v1 = templates.forClient('cl_v1');
      const v2 = templates.forClient('cl_v2');
      await templates.enroll('cl_v1', 'ann', unit(11));
      await templates.enroll('cl_v1', 'ann', unit(12));
      await templates.enroll('cl_v1', 'ben', unit(13));
      await templates.enroll('cl_v2', 'cat', unit(11));
      assert.equal(await v1.size(), 2);
      assert.ok(Math.abs((await v1.compare('ann', unit(12)))! - 1) < 1e-5);
      assert.equal(await v1.compare('cat', unit(11)), null, 'another client\'s subject is unknown here');
      const s = await v1.search(unit(11), 2);
      assert.deepEqual(s.map((m) => m.subjectId), ['ann', 'ben']);
      assert.deepEqual((await v2.search(unit(13), 5)).map((m) => m.subjectId), ['cat']);
      assert.equal(await templates.remove('cl_v2', 'ann'), null);
      assert.equal((await templates.remove('cl_v1', 'ann'))?.length, 2, 'both of ann\'s templates');
      assert.deepEqual((await v1.search(unit(11), 5)).map((m) => m.subjectId), ['ben']);
      assert.equal(await g.size('cl_v1'), 1);
    } finally {
      await g.close();
      await store.close();
    }
  });
  test('onChange hears each template enrolled and removed (for other nodes)', async () => {
    const store = await SqlStore.open(await PgliteSqlClient.open('memory://'));
    const keys = new KeyRing(Buffer.alloc(32, 6));
    const g = new FaissGallery({ dir: tempDir(), snapshotKey: (id) => keys.snapshotKey(id) });
    try {
      await store.createClient({ id: 'cl_v3', name: 'cl_v3', wrappedKey: keys.newClientKey('cl_v3') });
      const changes: { type: string; clientId: string; templateIds: string[] }[] = [];
      const templates = new TemplateGallery({ store, index: g, keys, onChange: async (c) => void changes.push(c) });
      const id = await templates.enroll('cl_v3', 'dan', unit(21));
      const ids = (await store.listTemplates('cl_v3', 'dan')).map((t) => t.id);
      assert.deepEqual(ids, [id]);
      assert.deepEqual(changes, [{ type: 'gallery.add', clientId: 'cl_v3', templateIds: ids }]);
      assert.deepEqual(await templates.remove('cl_v3', 'dan'), ids);
      assert.deepEqual(changes[1], { type: 'gallery.remove', clientId: 'cl_v3', templateIds: ids });
    } finally {
      await g.close();
      await store.close();
    }
  });
});
