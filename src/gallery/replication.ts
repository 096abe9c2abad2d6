// Gallery replication between nodes: each node keeps its own FAISS index of
// every client's templates, and a change one node makes (an enrollment, a
// user or client deleted) reaches the others as a StateEvent over the state
// store's pub/sub (Redis; a no-op channel in memory). Events carry template
// ids only: a receiver reads the ciphertexts from the shared store and
// decrypts them with the client's data key.
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/KeyRing.ts';
import type { StateEvent, StateStore } from '../state/StateStore.ts';
import type { Store } from '../store/Store.ts';
import type { FaissGallery } from './FaissGallery.ts';

export interface GalleryReplicationDeps {
  readonly nodeId: string;
  readonly state: StateStore;
  readonly store: Store;
  readonly gallery: FaissGallery;
  readonly keys: KeyRing;
  /** Loads a client's data key into the key ring (an added template must be decrypted). */
  readonly loadClientKey: (clientId: string) => Promise<unknown>;
  readonly log: Logger;
}

export type GalleryChange = { type: 'gallery.add' | 'gallery.remove'; clientId: string; templateIds: string[] };

/** Publishes this node's gallery changes to the other nodes. */
export function galleryPublisher(state: StateStore, nodeId: string): (change: GalleryChange) => Promise<void> {
  return (change) => state.publish({ ...change, origin: nodeId });
}

/** Applies another node's gallery change to this node's gallery; this node's own events are skipped. */
export async function applyGalleryEvent(d: GalleryReplicationDeps, ev: StateEvent): Promise<void> {
  if (ev.origin === d.nodeId) return;
  if (ev.type === 'gallery.remove') {
    await d.gallery.remove(ev.clientId, ev.templateIds);
  } else if (ev.type === 'client.deleted') {
    await d.gallery.dropClient(ev.clientId);
    d.keys.forget(ev.clientId);
  } else if (ev.type === 'gallery.add') {
    await d.loadClientKey(ev.clientId);
    const wanted = new Set(ev.templateIds);
    const rows = (await d.store.listTemplates(ev.clientId)).filter((t) => wanted.has(t.id));
    await d.gallery.add(
      ev.clientId,
      rows.map((t) => ({ templateId: t.id, embedding: d.keys.decryptTemplate(ev.clientId, t.id, t.ciphertext) })),
    );
  }
}

/** Follows the other nodes' gallery changes until the returned function is called. */
export function replicateGallery(d: GalleryReplicationDeps): () => void {
  let stopped = false;
  const unsubscribe = d.state.subscribe((ev) => {
    if (stopped) return;
    applyGalleryEvent(d, ev).catch((e: unknown) => d.log.warn({ err: e, type: ev.type }, 'could not apply gallery event'));
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
