// What the loaded faiss-node addon takes. Upstream 0.5.1 takes number[] only
// and converts it value by value through N-API, which at 1M x 512 floats costs
// 20x faiss's own work (50k rows into IVF256: 6.3 s as arrays, 0.31 s as a
// Float32Array, one core), and has no nprobe setter.
// scripts/native/faiss-node-0.5.1-buffers.patch makes add/train/search take a
// Float32Array (read in place), gives search() an optional per-search nprobe
// and mergeFrom() faiss's add_id. An addon built before that patch still
// works: vectors go in as arrays, IVF searches never widen
// (IVF_SEARCH_NPROBE false), and a build's second part is renumbered in JS.
import faiss from 'faiss-node';

declare module 'faiss-node' {
  interface Index {
    add(x: number[] | Float32Array): void;
    train(x: number[] | Float32Array): void;
    search(x: number[] | Float32Array, k: number, nprobe?: number): faiss.SearchResult;
    mergeFrom(other: Index, addId?: number): void;
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

function tinyIvf(): faiss.Index {
  const ivf = faiss.Index.fromFactory(1, 'IVF1,Flat', faiss.MetricType.METRIC_INNER_PRODUCT);
  // 39 rows per cell keep faiss from warning about the training set.
  ivf.train(Array.from({ length: 39 }, (_, i) => i));
  ivf.add([1]);
  return ivf;
}

/** search() takes a third argument, nprobe, on an IVF index. */
export const IVF_SEARCH_NPROBE = works(() => tinyIvf().search([1], 1, 1));

/** mergeFrom() takes a second argument, added to the merged labels (IVF). */
export const MERGE_ADD_ID = (() => {
  try {
    const a = tinyIvf();
    a.mergeFrom(tinyIvf(), 5);
    return a.search([1], 2).labels.includes(5);
  } catch {
    return false;
  }
})();

/** `v` as faiss-node's add/train/search take it: itself on the patched addon, else a number[] copy. */
export const faissFloats: (v: Float32Array) => Float32Array | number[] = FAISS_TAKES_FLOAT32 ? (v) => v : (v) => Array.from(v);
