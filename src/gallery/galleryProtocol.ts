// Messages between the main thread (GalleryWorkerHost, FaissGallery) and the
// one gallery worker thread of the process. Each FaissGallery is a namespace
// (ns) in that worker, opened with its snapshot dir and dimension.
import type { LargeIndexKind } from './hnswPolicy.ts';

export type GalleryRequest =
  | { readonly op: 'add'; readonly clientId: string; readonly key: Uint8Array; readonly ids: readonly string[]; readonly vectors: Float32Array }
  | { readonly op: 'remove'; readonly clientId: string; readonly ids: readonly string[] }
  | { readonly op: 'search'; readonly clientId: string; readonly query: Float32Array; readonly k: number }
  | { readonly op: 'size'; readonly clientId: string }
  | { readonly op: 'ids'; readonly clientId: string }
  /** The client's index kind, size, tombstones and build state (ClientIndexStats), or null if unknown. */
  | { readonly op: 'stats'; readonly clientId: string }
  | { readonly op: 'drop'; readonly clientId: string }
  /** Loads the client's snapshot if present; returns its ids or null. */
  | { readonly op: 'load'; readonly clientId: string; readonly key: Uint8Array }
  /** Replaces the client's index with exactly these vectors. */
  | { readonly op: 'replace'; readonly clientId: string; readonly key: Uint8Array; readonly ids: readonly string[]; readonly vectors: Float32Array }
  /** Deletes snapshot files of clients not in keep (deleted clients). */
  | { readonly op: 'prune'; readonly keep: readonly string[] }
  | { readonly op: 'persist' }
  /** hnswMin: GALLERY_HNSW_MIN, largeIndex: GALLERY_INDEX for this namespace's clients. */
  | { readonly op: 'open'; readonly dir: string; readonly dim: number; readonly hnswMin?: number; readonly largeIndex?: LargeIndexKind }
  /** Persists and forgets the namespace. */
  | { readonly op: 'close' };

export interface GalleryEnvelope {
  readonly seq: number;
  readonly ns: number;
  readonly req: GalleryRequest;
}

export type GalleryReply =
  | { readonly seq: number; readonly ok: true; readonly result: unknown }
  | { readonly seq: number; readonly ok: false; readonly message: string };
