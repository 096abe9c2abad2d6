// Regression for faiss-node's native leaks (scripts/native/faiss-node-0.5.1-buffers.patch):
// unpatched, toBuffer() leaked the whole serialised index per call, fromBuffer()
// twice its input, and search() its query's floats, and a faiss error in
// search/write aborted the process. Each check runs in its own child process
// (with --expose-gc, which this runner does not give) so that its RSS is not
// mixed with other tests' and an abort fails the test instead of the run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs a CommonJS snippet (faiss-node resolved from the repo) that prints one JSON line. */
function runChild<T>(body: string): T {
  const prelude = `
    const faiss = require('faiss-node');
    const tick = () => new Promise((r) => setImmediate(r));
    // ObjectWrap finalizers run on a later tick than the gc that found them, and under load
    // not all on the next one: collect until RSS stops falling (bounded).
    const rss = async () => {
      let last = Infinity;
      for (let i = 0; i < 12; i++) {
        gc(); await tick(); await new Promise((r) => setTimeout(r, 5));
        const now = process.memoryUsage().rss;
        if (i >= 2 && now >= last) return now;
        last = now;
      }
      return last;
    };
    const print = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', `${prelude}(async () => {${body}})();`], {
    cwd: ROOT,
    // A fixed mmap threshold: glibc otherwise raises it after the first large free, later 20 MB
    // buffers come from the heap, and freed heap memory may stay in RSS (a fresh-clone CI run
    // read +176 MB for 12 freed fromBuffer() indexes). Every buffer over 1 MB is then its own
    // mapping, returned to the system when freed: what is left in RSS is what was not freed.
    env: { ...process.env, OMP_NUM_THREADS: '1', MALLOC_MMAP_THRESHOLD_: '1048576' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `child exited ${r.status} (signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

const MB = 2 ** 20;

describe('faiss-node addon (patched build)', () => {
  test('toBuffer() and fromBuffer() round trips of a 20 MB index keep RSS flat instead of growing by the index size per call', () => {
    // 10k x 512-d flat index = 19.5 MB; unpatched, 12 calls grew RSS by ~240 MB (toBuffer) and ~470 MB (fromBuffer).
    const calls = 12;
    const r = runChild<{ size: number; equal: boolean; toBuffer: number; fromBuffer: number }>(`
      const dim = 512;
      const index = new faiss.IndexFlatIP(dim);
      for (let c = 0; c < 10; c++) index.add(Array.from({ length: 1000 * dim }, (_, i) => Math.sin(c * 1000 * dim + i)));
      const bytes = index.toBuffer();
      const equal = faiss.IndexFlatIP.fromBuffer(bytes).toBuffer().equals(bytes);
      let r0 = await rss();
      for (let i = 0; i < ${calls}; i++) index.toBuffer();
      const toBuffer = (await rss()) - r0;
      r0 = await rss();
      for (let i = 0; i < ${calls}; i++) faiss.IndexFlatIP.fromBuffer(bytes);
      const fromBuffer = (await rss()) - r0;
      print({ size: bytes.length, equal, toBuffer, fromBuffer });
    `);
    assert.ok(r.size > 19 * MB, `index is ${r.size} bytes`);
    assert.ok(r.equal, 'fromBuffer(toBuffer()) does not give back the same index');
    // A quarter of one leak per call: far above allocator noise (a few MB), far below a leak.
    const bound = (calls * r.size) / 4;
    assert.ok(r.toBuffer < bound, `toBuffer x${calls}: RSS +${(r.toBuffer / MB).toFixed(1)} MB (bound ${(bound / MB).toFixed(0)} MB)`);
    assert.ok(r.fromBuffer < bound, `fromBuffer x${calls}: RSS +${(r.fromBuffer / MB).toFixed(1)} MB (bound ${(bound / MB).toFixed(0)} MB)`);
  });

  test('search() does not keep its query: 40k single 512-d queries leave RSS within a quarter of what leaking them would', () => {
    const searches = 40_000;
    const r = runChild<{ growth: number }>(`
      const dim = 512;
      const index = new faiss.IndexFlatIP(dim);
      const q = Array.from({ length: dim }, (_, i) => Math.sin(i));
      index.add(q.concat(q.map((x) => -x)));
      for (let i = 0; i < 2000; i++) index.search(q, 1);
      const r0 = await rss();
      for (let i = 0; i < ${searches}; i++) index.search(q, 1);
      print({ growth: (await rss()) - r0 });
    `);
    // Unpatched: 2 KB per query, +80 MB here.
    const bound = (searches * 512 * 4) / 4;
    assert.ok(r.growth < bound, `search x${searches}: RSS +${(r.growth / MB).toFixed(1)} MB (bound ${(bound / MB).toFixed(0)} MB)`);
  });

  test('search(k = 0) and write() to an unwritable path throw a JS Error instead of aborting the process', () => {
    const r = runChild<{ search: string; write: string; ntotal: number }>(`
      const index = new faiss.IndexFlatIP(4);
      index.add([1, 0, 0, 0, 0, 1, 0, 0]);
      const msg = (f) => { try { f(); return 'no error'; } catch (e) { return e instanceof Error ? e.message : String(e); } };
      print({
        search: msg(() => index.search([1, 0, 0, 0], 0)),
        write: msg(() => index.write('/nonexistent-facegate-dir/x.index')),
        ntotal: index.ntotal(),
      });
    `);
    assert.match(r.search, /IndexFlat::search/);
    assert.match(r.write, /FileIOWriter/);
    assert.equal(r.ntotal, 2);
  });
  test('add(), train() and search() take a Float32Array: the same index bytes and hits as the same values in an Array; a Float64Array is a TypeError', () => {
    const r = runChild<{ sameIndex: boolean; sameHits: boolean; trainedSame: boolean; f64: string; badLength: string }>(`
      const dim = 64;
      const rows = Float32Array.from({ length: 600 * dim }, (_, i) => Math.sin(i * 0.37));
      const viaArray = faiss.Index.fromFactory(dim, 'IVF8,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
      const viaTyped = faiss.Index.fromFactory(dim, 'IVF8,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
      viaArray.train(Array.from(rows));
      viaTyped.train(rows);
      const trainedSame = viaArray.toBuffer().equals(viaTyped.toBuffer());
      viaArray.add(Array.from(rows));
      // A subarray view: its own offset into the buffer, not the buffer's start.
      viaTyped.add(rows.subarray(0, 300 * dim));
      viaTyped.add(rows.subarray(300 * dim));
      const q = rows.subarray(5 * dim, 6 * dim);
      const a = viaArray.search(Array.from(q), 5);
      const t = viaTyped.search(q, 5);
      const msg = (f) => { try { f(); return 'no error'; } catch (e) { return e instanceof Error ? e.name + ': ' + e.message : String(e); } };
      print({
        sameIndex: viaArray.toBuffer().equals(viaTyped.toBuffer()),
        sameHits: JSON.stringify(a) === JSON.stringify(t) && t.labels.every((l) => l >= 0),
        trainedSame,
        f64: msg(() => viaTyped.add(new Float64Array(dim))),
        badLength: msg(() => viaTyped.search(new Float32Array(dim + 1), 1)),
      });
    `);
    assert.ok(r.trainedSame, 'train(Float32Array) trained a different quantizer');
    assert.ok(r.sameIndex, 'add(Float32Array) stored different rows');
    assert.ok(r.sameHits, 'search(Float32Array) returned different hits');
    assert.match(r.f64, /^TypeError: .*Float32Array/);
    assert.match(r.badLength, /length/);
  });

  test('mergeFrom(other, addId) shifts the merged labels by addId (a part built in another process); a Float32Array read in place is copied into the index, so changing it afterwards changes nothing', () => {
    const r = runChild<{ labels: number[]; ntotal: number; sameAfterWrite: boolean; negative: string }>(`
      const dim = 16;
      // Unit rows (pseudo-random): each row's own inner product is its best.
      let seed = 7;
      const rows = Float32Array.from({ length: 400 * dim }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
      for (let r = 0; r < 400; r++) {
        const row = rows.subarray(r * dim, (r + 1) * dim);
        const norm = Math.hypot(...row);
        row.forEach((x, i) => (row[i] = x / norm));
      }
      const trained = faiss.Index.fromFactory(dim, 'IVF4,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
      trained.train(rows);
      const bytes = trained.toBuffer();
      const first = faiss.Index.fromBuffer(bytes);
      const second = faiss.Index.fromBuffer(bytes);
      first.add(rows.subarray(0, 200 * dim));
      const tail = rows.slice(200 * dim);
      second.add(tail);
      const before = second.toBuffer();
      tail.fill(0);
      const sameAfterWrite = before.equals(second.toBuffer());
      first.mergeFrom(second, 200);
      // Row 250 of the gallery is row 50 of the second part: found under label 250.
      const hit = first.search(rows.subarray(250 * dim, 251 * dim), 1, 4);
      const msg = (f) => { try { f(); return 'no error'; } catch (e) { return e instanceof Error ? e.name + ': ' + e.message : String(e); } };
      print({ labels: hit.labels, ntotal: first.ntotal(), sameAfterWrite, negative: msg(() => first.mergeFrom(faiss.Index.fromBuffer(bytes), -1)) });
    `);
    assert.equal(r.ntotal, 400);
    assert.deepEqual(r.labels, [250]);
    assert.ok(r.sameAfterWrite, 'the index kept a reference to the caller\'s Float32Array');
    assert.match(r.negative, /^TypeError: /);
  });
});
