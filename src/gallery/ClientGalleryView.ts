// One client's gallery seen through the liveness engine's Gallery interface
// (src/engine/types.ts: subjects, not templates), so the engine can run on
// the service's encrypted store + FAISS index instead of its in-memory one.
// Subject id = the client's external user id; every call is scoped to the
// client this view was made for.
import crypto from 'node:crypto';
import type { KeyRing } from '../crypto/KeyRing.ts';
import type { Store } from '../store/Store.ts';
import type { SubjectMatcher as SubjectGallery, MatchResult } from '../engine/types.ts';
import type { Gallery } from './Gallery.ts';

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) s += a[i]! * b[i]!;
  return s;
}

export type GalleryChangeListener = (change: { type: 'gallery.add' | 'gallery.remove'; clientId: string; templateIds: string[] }) => Promise<void>;

export class ClientGalleryView implements SubjectGallery {
  readonly #clientId: string;
  readonly #store: Store;
  readonly #gallery: Gallery;
  readonly #keys: KeyRing;
  readonly #changed: GalleryChangeListener | undefined;

  /**
   * The client's data key must be loaded in keys (TenantService.loadClientKey).
   * `onChange` hears every template added or removed (the service publishes
   * them so other nodes' FAISS indexes follow).
   */
  constructor(clientId: string, deps: { store: Store; gallery: Gallery; keys: KeyRing; onChange?: GalleryChangeListener }) {
    this.#clientId = clientId;
    this.#store = deps.store;
    this.#gallery = deps.gallery;
    this.#keys = deps.keys;
    this.#changed = deps.onChange;
  }

  async add(subjectId: string, embedding: Float32Array): Promise<void> {
    const id = `tpl_${crypto.randomBytes(12).toString('hex')}`;
    const ciphertext = this.#keys.encryptTemplate(this.#clientId, id, embedding);
    await this.#store.enroll(this.#clientId, subjectId, [{ id, ciphertext }]);
    await this.#gallery.add(this.#clientId, [{ templateId: id, embedding }]);
    await this.#changed?.({ type: 'gallery.add', clientId: this.#clientId, templateIds: [id] }).catch(() => undefined);
  }

  async remove(subjectId: string): Promise<boolean> {
    const removed = await this.#store.deleteUser(this.#clientId, subjectId);
    if (removed === null) return false;
    await this.#gallery.remove(this.#clientId, removed);
    await this.#changed?.({ type: 'gallery.remove', clientId: this.#clientId, templateIds: removed }).catch(() => undefined);
    return true;
  }

  async compare(subjectId: string, probe: Float32Array): Promise<number | null> {
    const rows = await this.#store.listTemplates(this.#clientId, subjectId);
    if (rows.length === 0) return null;
    return Math.max(...rows.map((t) => dot(this.#keys.decryptTemplate(this.#clientId, t.id, t.ciphertext), probe)));
  }

  async search(probe: Float32Array, k: number): Promise<readonly MatchResult[]> {
    // Several templates may belong to one subject: over-fetch, keep each subject's best.
    const hits = await this.#gallery.search(this.#clientId, probe, Math.max(1, k) * 4);
    const best = new Map<string, number>();
    for (const h of hits) {
      const owner = await this.#store.templateOwner(this.#clientId, h.templateId);
      if (owner !== null && !best.has(owner)) best.set(owner, h.score);
      if (best.size >= k) break;
    }
    return [...best].map(([subjectId, similarity]) => ({ subjectId, similarity })).sort((a, b) => b.similarity - a.similarity);
  }

  async size(): Promise<number> {
    return (await this.#store.listUsers(this.#clientId, { limit: 1, offset: 0 })).total;
  }
}
