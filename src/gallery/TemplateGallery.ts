// The one owner of enrolled templates: it alone encrypts a template under
// the client's data key (KeyRing), writes it to the store (the source of
// truth), adds it to the client's FAISS index and tells the other nodes;
// and it alone answers the read side, 1:1 (exact, over the user's own
// templates) and 1:N (the index, then the store for each hit's owner).
// The service commits an enrollment through enroll() once it has decided
// the session; the liveness engine reads through forClient() (compare,
// search, size: it never writes). Every call is scoped to one client.
import crypto from 'node:crypto';
import { cosine } from '../../common/vector.ts';
import type { KeyRing } from '../crypto/KeyRing.ts';
import type { Store } from '../store/Store.ts';
import type { Gallery } from './Gallery.ts';

export interface GalleryChange {
  readonly type: 'gallery.add' | 'gallery.remove';
  readonly clientId: string;
  readonly templateIds: string[];
}

/** Hears every template added or removed, so other nodes' indexes follow; its failures never fail the write. */
export type GalleryChangeListener = (change: GalleryChange) => Promise<void>;

/** One subject's best similarity to a probe. */
export interface SubjectMatch {
  readonly subjectId: string;
  readonly similarity: number;
}

export interface TemplateGalleryDeps {
  readonly store: Store;
  /** The per-client nearest-neighbour index (FaissGallery). */
  readonly index: Gallery;
  /** Client data keys must be loaded (TenantService.loadClientKey) before a client's templates are used. */
  readonly keys: KeyRing;
  readonly onChange?: GalleryChangeListener;
}

export class TemplateGallery {
  readonly #store: Store;
  readonly #index: Gallery;
  readonly #keys: KeyRing;
  readonly #changed: GalleryChangeListener | undefined;

  constructor(deps: TemplateGalleryDeps) {
    this.#store = deps.store;
    this.#index = deps.index;
    this.#keys = deps.keys;
    this.#changed = deps.onChange;
  }

  /** Stores one L2-normalised template for the subject (created if new); returns the template id. */
  async enroll(clientId: string, subjectId: string, template: Float32Array): Promise<string> {
    if (!(template instanceof Float32Array) || template.length === 0) throw new TypeError('template must be a non-empty Float32Array');
    const id = `tpl_${crypto.randomBytes(12).toString('hex')}`;
    const ciphertext = this.#keys.encryptTemplate(clientId, id, template);
    // Store first: the store is the source of truth; the index is rebuilt from it.
    await this.#store.enroll(clientId, subjectId, [{ id, ciphertext }]);
    await this.#index.add(clientId, [{ templateId: id, embedding: template }]);
    await this.#publish({ type: 'gallery.add', clientId, templateIds: [id] });
    return id;
  }

  /** Deletes the subject and its templates everywhere; the removed template ids, or null when there was no such subject. */
  async remove(clientId: string, subjectId: string): Promise<readonly string[] | null> {
    const removed = await this.#store.deleteUser(clientId, subjectId);
    if (removed === null) return null;
    await this.#index.remove(clientId, removed);
    await this.#publish({ type: 'gallery.remove', clientId, templateIds: removed });
    return removed;
  }

  /** Best cosine of the probe to the subject's own templates (exact, 1:1), or null when the subject has none. */
  async compare(clientId: string, subjectId: string, probe: Float32Array): Promise<number | null> {
    const rows = await this.#store.listTemplates(clientId, subjectId);
    if (rows.length === 0) return null;
    return Math.max(...rows.map((t) => cosine(this.#keys.decryptTemplate(clientId, t.id, t.ciphertext), probe)));
  }

  /** The k subjects most similar to the probe (1:N over the index), best first. */
  async search(clientId: string, probe: Float32Array, k: number): Promise<SubjectMatch[]> {
    // Several templates may belong to one subject: over-fetch, keep each subject's best.
    const hits = await this.#index.search(clientId, probe, Math.max(1, k) * 4);
    const best = new Map<string, number>();
    for (const h of hits) {
      const owner = await this.#store.templateOwner(clientId, h.templateId);
      if (owner !== null && !best.has(owner)) best.set(owner, h.score);
      if (best.size >= k) break;
    }
    return [...best].map(([subjectId, similarity]) => ({ subjectId, similarity })).sort((a, b) => b.similarity - a.similarity);
  }

  /** Enrolled subjects. */
  async size(clientId: string): Promise<number> {
    return (await this.#store.listUsers(clientId, { limit: 1, offset: 0 })).total;
  }

  /**
   * The client's read side, bound to its id: what an engine that matches but
   * never writes needs (the bridge hands it to the engine as its SubjectMatcher).
   */
  forClient(clientId: string) {
    return {
      compare: (subjectId: string, probe: Float32Array): Promise<number | null> => this.compare(clientId, subjectId, probe),
      search: (probe: Float32Array, k: number): Promise<SubjectMatch[]> => this.search(clientId, probe, k),
      size: (): Promise<number> => this.size(clientId),
    };
  }

  async #publish(change: GalleryChange): Promise<void> {
    await this.#changed?.(change).catch(() => undefined);
  }
}
