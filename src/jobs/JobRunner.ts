// Background jobs inside the node: retention of session results and webhook
// deliveries (RETENTION_DAYS), audit pruning behind a signed checkpoint
// (AUDIT_RETENTION_DAYS) and gallery compaction (stale snapshots pruned,
// changed ones written). With several nodes exactly one runs each job per
// period: a node claims the period by inserting the run's row
// (job_runs.id = `<job>:<period>`, a primary key), and only the node whose
// insert landed runs it; on the embedded store the one process does. Each run
// is recorded in job_runs, reported to listeners (the console's event stream)
// and counted in the metrics.
import type { Logger } from 'pino';
import type { SqlClient } from '../store/SqlClient.ts';
import { toIso } from '../store/SqlClient.ts';

export type JobName = 'retention' | 'audit_prune' | 'gallery_compaction';
export type JobStatus = 'running' | 'succeeded' | 'failed';

export interface Job {
  readonly name: JobName;
  /** One run per period, cluster-wide. */
  readonly periodMs: number;
  run(): Promise<Record<string, unknown>>;
}

export interface JobRun {
  readonly id: string;
  readonly job: JobName;
  readonly nodeId: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: JobStatus;
  readonly result: Record<string, unknown> | null;
  readonly error: string | null;
}

export interface JobRunnerOptions {
  readonly db: SqlClient;
  readonly jobs: readonly Job[];
  readonly nodeId: string;
  readonly log: Logger;
  /** How often due jobs are looked for (default 60 s); the first look is after firstDelayMs (default 10 s). */
  readonly tickMs?: number;
  readonly firstDelayMs?: number;
  readonly onRun?: (run: JobRun, seconds: number) => void;
}

export class JobRunner {
  readonly #o: JobRunnerOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(o: JobRunnerOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#closed || this.#timer) return;
    const tick = (): void => {
      this.#running = this.#running.then(() => this.runDue()).catch((e: unknown) => this.#o.log.warn({ err: e }, 'job tick failed'));
    };
    this.#timer = setTimeout(() => {
      tick();
      this.#timer = setInterval(tick, this.#o.tickMs ?? 60_000);
      this.#timer.unref();
    }, this.#o.firstDelayMs ?? 10_000);
    this.#timer.unref();
  }

  /** Runs every job whose current period this node can claim; returns the runs it made. */
  async runDue(now = Date.now()): Promise<JobRun[]> {
    const runs: JobRun[] = [];
    for (const job of this.#o.jobs) {
      if (this.#closed) break;
      const r = await this.#runIfClaimed(job, Math.floor(now / job.periodMs));
      if (r) runs.push(r);
    }
    return runs;
  }

  async #runIfClaimed(job: Job, period: number): Promise<JobRun | null> {
    const id = `${job.name}:${period}`;
    const startedAt = new Date();
    const claimed = await this.#o.db.query(
      `INSERT INTO job_runs(id, job, node_id, started_at, status) VALUES ($1, $2, $3, $4, 'running') ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, job.name, this.#o.nodeId, startedAt],
    );
    if (claimed.length === 0) return null;
    const t0 = process.hrtime.bigint();
    let status: JobStatus = 'succeeded';
    let result: Record<string, unknown> | null = null;
    let error: string | null = null;
    try {
      result = await job.run();
    } catch (e) {
      status = 'failed';
      error = e instanceof Error ? e.message : String(e);
      this.#o.log.warn({ err: e, job: job.name }, 'job failed');
    }
    const finishedAt = new Date();
    await this.#o.db.query('UPDATE job_runs SET finished_at = $2, status = $3, result = $4, error = $5 WHERE id = $1', [
      id,
      finishedAt,
      status,
      result === null ? null : JSON.stringify(result),
      error,
    ]);
    const run: JobRun = { id, job: job.name, nodeId: this.#o.nodeId, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), status, result, error };
    this.#o.onRun?.(run, Number(process.hrtime.bigint() - t0) / 1e9);
    this.#o.log.info({ job: job.name, status, result }, 'job ran');
    return run;
  }

  /** The newest runs of every job, newest first. */
  async recent(limit = 20): Promise<JobRun[]> {
    const rows = await this.#o.db.query(
      'SELECT id, job, node_id, started_at, finished_at, status, result, error FROM job_runs ORDER BY started_at DESC, id LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      job: String(r.job) as JobName,
      nodeId: String(r.node_id),
      startedAt: toIso(r.started_at),
      finishedAt: r.finished_at == null ? null : toIso(r.finished_at),
      status: String(r.status) as JobStatus,
      result: r.result == null ? null : (JSON.parse(String(r.result)) as Record<string, unknown>),
      error: r.error == null ? null : String(r.error),
    }));
  }

  /** Stops the schedule and waits for a run in progress; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}

/** A run as the admin API and the event stream show it (snake_case). */
export function jobRunView(r: JobRun): Record<string, unknown> {
  return { id: r.id, job: r.job, node_id: r.nodeId, started_at: r.startedAt, finished_at: r.finishedAt, status: r.status, result: r.result, error: r.error };
}
