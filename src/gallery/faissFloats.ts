// How vectors go into faiss-node. Upstream 0.5.1 takes number[] only and
// converts it value by value through N-API, which at 1M x 512 floats costs 20x
// faiss's own work (50k rows into IVF256: 6.3 s as arrays, 0.31 s as a
// Float32Array, one core). scripts/native/faiss-node-0.5.1-buffers.patch makes
// add/train/search take a Float32Array (one copy of its floats); an addon built
// before that patch still gets arrays, so the gallery works on either.
import faiss from 'faiss-node';

declare module 'faiss-node' {
  interface Index {
    add(x: number[] | Float32Array): void;
    train(x: number[] | Float32Array): void;
    search(x: number[] | Float32Array, k: number): faiss.SearchResult;
  }
}

function takesFloat32Array(): boolean {
  try {
    new faiss.IndexFlatIP(1).add(new Float32Array(1));
    return true;
  } catch {
    return false;
  }
}

/** True when the loaded addon has the patch (the bench reports it). */
export const FAISS_TAKES_FLOAT32 = takesFloat32Array();

/** `v` as faiss-node's add/train/search take it: itself on the patched addon, else a number[] copy. */
export const faissFloats: (v: Float32Array) => Float32Array | number[] = FAISS_TAKES_FLOAT32 ? (v) => v : (v) => Array.from(v);
