// Start-up reconciliation: the store is the source of truth for templates.
// For each client, load the (sealed) gallery snapshot and accept it only when its
// template ids are exactly the store's; otherwise rebuild the client's index
// from the store (decrypting its templates).
import type { KeyRing } from '../crypto/KeyRing.ts';
import type { Store } from '../store/Store.ts';
import type { FaissGallery } from './FaissGallery.ts';

export interface SyncReport {
  readonly clients: number;
  readonly fromSnapshot: number;
  readonly rebuilt: number;
  readonly templates: number;
  readonly pruned: number;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

export async function syncGalleryFromStore(gallery: FaissGallery, store: Store, keys: KeyRing): Promise<SyncReport> {
  let fromSnapshot = 0;
  let rebuilt = 0;
  let templates = 0;
  const clients = await store.listClients();
  for (const c of clients) {
    keys.load(c.id, c.wrappedKey);
    const storeIds = await store.listTemplateIds(c.id);
    const snapIds = await gallery.load(c.id);
    templates += storeIds.length;
    if (snapIds !== null && sameSet(snapIds, storeIds)) {
      fromSnapshot++;
      continue;
    }
    const rows = await store.listTemplates(c.id);
    await gallery.replace(
      c.id,
      rows.map((t) => ({ templateId: t.id, embedding: keys.decryptTemplate(c.id, t.id, t.ciphertext) })),
    );
    rebuilt++;
  }
  // Snapshots of deleted clients are sealed under keys that no longer exist; remove the files too.
  const pruned = await gallery.prune(clients.map((c) => c.id));
  await gallery.persist();
  return { clients: clients.length, fromSnapshot, rebuilt, templates, pruned };
}
