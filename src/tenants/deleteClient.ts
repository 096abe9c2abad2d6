// Deleting a client everywhere: its store rows and wrapped data key
// (crypto-shredding: its templates can no longer be decrypted), this node's
// gallery and, by event, the other nodes' galleries; an audit entry when the
// client existed.
import type { AuditLog } from '../audit/AuditLog.ts';
import type { FaissGallery } from '../gallery/FaissGallery.ts';
import type { StateStore } from '../state/StateStore.ts';
import type { TenantService } from './TenantService.ts';

export interface DeleteClientDeps {
  readonly nodeId: string;
  readonly tenants: TenantService;
  readonly gallery: FaissGallery;
  readonly state: StateStore;
  readonly audit: AuditLog;
}

/** Deletes the client; false when there was no such client (the gallery and other nodes are cleared all the same). */
export async function deleteClient(d: DeleteClientDeps, clientId: string): Promise<boolean> {
  const ok = await d.tenants.deleteClient(clientId);
  await d.gallery.dropClient(clientId);
  await d.state.publish({ type: 'client.deleted', clientId, templateIds: [], origin: d.nodeId }).catch(() => {});
  if (ok) await d.audit.append('client.deleted', clientId, {});
  return ok;
}
