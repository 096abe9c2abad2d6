// Builds the node's job runner over the service's parts and starts it (JOBS=on):
// runs are counted in the metrics and sent to the console's event stream.
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { Config } from '../config.ts';
import type { FaissGallery } from '../gallery/FaissGallery.ts';
import type { Metrics } from '../metrics/Metrics.ts';
import { AdminQueries } from '../store/AdminQueries.ts';
import type { SqlStore } from '../store/SqlStore.ts';
import { auditPruneJob, galleryCompactionJob, retentionJob } from './jobs.ts';
import { JobRunner, type JobRun } from './JobRunner.ts';

export function startJobs(p: {
  readonly config: Config;
  readonly store: SqlStore;
  readonly audit: AuditLog;
  readonly gallery: FaissGallery;
  readonly metrics: Metrics;
  readonly nodeId: string;
  readonly log: Logger;
  readonly onRun?: (run: JobRun) => void;
}): JobRunner {
  const runner = new JobRunner({
    db: p.store.sql,
    nodeId: p.nodeId,
    log: p.log,
    jobs: [
      retentionJob(new AdminQueries(p.store.sql), p.config.admin.retentionDays),
      auditPruneJob(p.store.sql, p.audit, p.config.admin.auditRetentionDays),
      galleryCompactionJob(p.store, p.gallery),
    ],
    onRun: (run, seconds) => {
      p.metrics.onJobRun(run.job, run.status, seconds);
      p.onRun?.(run);
    },
  });
  if (p.config.admin.jobs) runner.start();
  return runner;
}
