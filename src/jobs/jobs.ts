// The node's jobs, each a small function over the parts it needs.
import type { AuditLog } from '../audit/AuditLog.ts';
import type { FaissGallery } from '../gallery/FaissGallery.ts';
import type { AdminQueries } from '../store/AdminQueries.ts';
import type { SqlClient } from '../store/SqlClient.ts';
import type { Store } from '../store/Store.ts';
import type { Job } from './JobRunner.ts';

const DAY_MS = 86_400_000;

/** Deletes session results and finished webhook deliveries older than `days`. */
export function retentionJob(q: AdminQueries, days: number): Job {
  return {
    name: 'retention',
    periodMs: DAY_MS,
    run: async () => ({ retentionDays: days, ...(await q.deleteOlderThan(new Date(Date.now() - days * DAY_MS))) }),
  };
}

/** Prunes audit rows older than `days`, only behind a signed checkpoint (AuditLog.pruneThrough). */
export function auditPruneJob(db: SqlClient, audit: AuditLog, days: number): Job {
  return {
    name: 'audit_prune',
    periodMs: DAY_MS,
    run: async () => {
      const cutoff = new Date(Date.now() - days * DAY_MS).toISOString();
      const r = await db.query('SELECT max(seq) AS seq FROM audit_log WHERE at < $1', [cutoff]);
      const seq = r[0]?.seq == null ? null : Number(r[0].seq);
      if (seq === null) return { auditRetentionDays: days, pruned: 0 };
      const cp = await audit.pruneThrough(seq);
      return { auditRetentionDays: days, pruned: cp?.rowsPruned ?? 0, checkpointSeq: cp?.seq ?? null };
    },
  };
}

/**
 * Gallery compaction: the gallery has no tombstone rebuild call, so this
 * removes snapshots of deleted clients and writes every changed snapshot now.
 */
export function galleryCompactionJob(store: Store, gallery: FaissGallery): Job {
  return {
    name: 'gallery_compaction',
    periodMs: 3_600_000,
    run: async () => {
      const keep = (await store.listClients()).map((c) => c.id);
      return { snapshotsPruned: await gallery.prune(keep), snapshotsWritten: await gallery.persist() };
    },
  };
}
