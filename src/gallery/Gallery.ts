// The gallery seam: per-client nearest-neighbour search over L2-normalised
// templates by inner product (= cosine). Implementations keep clients in
// separate indexes, so a search can only ever return the caller's templates.

export interface GalleryEntry {
  readonly templateId: string;
  readonly embedding: Float32Array;
}

export interface GalleryHit {
  readonly templateId: string;
  readonly score: number;
}

export interface Gallery {
  add(clientId: string, entries: readonly GalleryEntry[]): Promise<void>;
  /** Removes templates by id; unknown ids are ignored. Returns how many were removed. */
  remove(clientId: string, templateIds: readonly string[]): Promise<number>;
  /** Best hits first; k is clamped to the client's gallery size. */
  search(clientId: string, embedding: Float32Array, k: number): Promise<GalleryHit[]>;
  size(clientId: string): Promise<number>;
  dropClient(clientId: string): Promise<void>;
  close(): Promise<void>;
}
