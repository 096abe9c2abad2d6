// What the loaded faiss-node addon takes. Upstream 0.5.1 takes number[] only
// and converts it value by value through N-API, which at 1M x 512 floats costs
// 20x faiss's own work (50k rows into IVF256: 6.3 s as arrays, 0.31 s as a
// Float32Array, one core), and has no nprobe setter.
// scripts/native/faiss-node-0.5.1-buffers.patch makes add/train/search take a
// Float32Array (one copy of its floats) and gives search() an optional
// per-search nprobe. An addon built before that patch still works: vectors go
// in as arrays, and IVF searches never widen (IVF_SEARCH_NPROBE false).
import faiss from 'faiss-node';

declare module 'faiss-node' {
  interface Index {
    add(x: number[] | Float32Array): void;
    train(x: number[] | Float32Array): void;
    search(x: number[] | Float32Array, k: number, nprobe?: number): faiss.SearchResult;
  }
}

function works(f: () => void): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

/** add/train/search take a Float32Array. */
export const FAISS_TAKES_FLOAT32 = works(() => new faiss.IndexFlatIP(1).add(new Float32Array(1)));

/** search() takes a third argument, nprobe, on an IVF index. */
export const IVF_SEARCH_NPROBE = works(() => {
  const ivf = faiss.Index.fromFactory(1, 'IVF1,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
  // 39 rows per cell keep faiss from warning about the training set.
  const rows = Array.from({ length: 39 }, (_, i) => i);
  ivf.train(rows);
  ivf.add([1]);
  ivf.search([1], 1, 1);
});

/** `v` as faiss-node's add/train/search take it: itself on the patched addon, else a number[] copy. */
export const faissFloats: (v: Float32Array) => Float32Array | number[] = FAISS_TAKES_FLOAT32 ? (v) => v : (v) => Array.from(v);
