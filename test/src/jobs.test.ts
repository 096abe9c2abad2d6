// Background jobs (issue 12 item 3): retention deletes only what is older
// than RETENTION_DAYS; audit pruning goes through a signed checkpoint and the
// rest of the chain still verifies; each period's run is claimed by exactly
// one runner (two runners on one database, two real services on PostgreSQL);
// runs are recorded, listed by GET /api/admin/system and counted in /metrics.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { AuditLog, chainHash, GENESIS } from '../../src/audit/AuditLog.ts';
import { AuditSigner } from '../../src/audit/AuditSigner.ts';
import { auditPruneJob, retentionJob } from '../../src/jobs/jobs.ts';
import { JobRunner } from '../../src/jobs/JobRunner.ts';
import { AdminQueries } from '../../src/store/AdminQueries.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import { SqlStore } from '../../src/store/SqlStore.ts';
import { BACKENDS, call, dropSchema, startService, tempDir, type Running } from './fixtures.ts';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;

async function embeddedStore(): Promise<SqlStore> {
  return SqlStore.open(await PgliteSqlClient.open(path.join(tempDir(), 'db')));
}

test('retentionJob deletes session results and finished deliveries older than RETENTION_DAYS and keeps the rest', async () => {
  const store = await embeddedStore();
  try {
    const old = new Date(Date.now() - 40 * DAY);
    await store.createClient({ id: 'cl_a', name: 'A', wrappedKey: Buffer.alloc(8) });
    for (const [id, at] of [['old', old], ['new', new Date()]] as const) {
      await store.sql.query(`INSERT INTO session_results(id, client_id, kind, outcome, reason, latency_ms, created_at) VALUES ($1, 'cl_a', 'authentication', 'succeeded', NULL, 5, $2)`, [id, at]);
      for (const status of ['delivered', 'pending']) {
        await store.sql.query(`INSERT INTO webhook_deliveries(id, client_id, event, url, body, status, created_at) VALUES ($1, 'cl_a', 'session.failed', 'http://x', '{}', $2, $3)`, [`${id}-${status}`, status, at]);
      }
    }
    const r = await retentionJob(new AdminQueries(store.sql), 30).run();
    assert.deepEqual(r, { retentionDays: 30, sessionResults: 1, webhookDeliveries: 1 });
    assert.deepEqual((await store.sql.query('SELECT id FROM session_results')).map((x) => x.id), ['new']);
    // A pending delivery is still owed to the receiver, however old.
    assert.deepEqual((await store.sql.query('SELECT id FROM webhook_deliveries ORDER BY id')).map((x) => x.id), ['new-delivered', 'new-pending', 'old-pending']);
  } finally {
    await store.close();
  }
});

test('auditPruneJob prunes rows older than AUDIT_RETENTION_DAYS behind a signed checkpoint; the chain still verifies', async () => {
  const store = await embeddedStore();
  try {
    const signer = new AuditSigner(crypto.randomBytes(32));
    // A year-old stretch of chain, written as the log would have written it then.
    let prev = GENESIS;
    for (let seq = 1; seq <= 5; seq++) {
      const base = { seq, at: new Date(Date.now() - 400 * DAY + seq).toISOString(), clientId: null, event: 'old', payload: '{}', prevHash: prev };
      const hash = chainHash(base);
      await store.sql.query('INSERT INTO audit_log(seq, at, client_id, event, payload, prev_hash, hash) VALUES ($1, $2, NULL, $3, $4, $5, $6)', [seq, base.at, 'old', '{}', prev, hash]);
      await store.sql.query('INSERT INTO audit_heads(seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5)', [seq, hash, base.at, signer.keyId, signer.sign('head', { seq, hash, at: base.at })]);
      prev = hash;
    }
    const audit = new AuditLog(store.sql, { signer });
    await audit.append('recent', null, {});
    await audit.append('recent', null, {});
    assert.deepEqual(await audit.verify(), { ok: true, rows: 7, signedRows: 7 });
    const r = await auditPruneJob(store.sql, audit, 365).run();
    assert.deepEqual(r, { auditRetentionDays: 365, pruned: 5, checkpointSeq: 5 });
    assert.deepEqual(await audit.verify(), { ok: true, rows: 2, signedRows: 2, checkpointSeq: 5 });
    assert.deepEqual(await auditPruneJob(store.sql, audit, 365).run(), { auditRetentionDays: 365, pruned: 0 });
  } finally {
    await store.close();
  }
});

test('JobRunner: two runners on one database run each period once; a failing job is recorded as failed', async () => {
  const store = await embeddedStore();
  try {
    let ran = 0;
    const jobs = [
      { name: 'retention' as const, periodMs: DAY, run: async () => ({ n: ++ran }) },
      { name: 'gallery_compaction' as const, periodMs: DAY, run: async () => { throw new Error('boom'); } },
    ];
    const seen: string[] = [];
    const a = new JobRunner({ db: store.sql, jobs, nodeId: 'node_a', log, onRun: (r) => seen.push(`${r.nodeId}:${r.job}:${r.status}`) });
    const b = new JobRunner({ db: store.sql, jobs, nodeId: 'node_b', log, onRun: (r) => seen.push(`${r.nodeId}:${r.job}:${r.status}`) });
    const now = Date.now();
    const [ra, rb] = await Promise.all([a.runDue(now), b.runDue(now)]);
    assert.equal(ra.length + rb.length, 2);
    assert.equal(ran, 1);
    assert.equal(seen.length, 2);
    assert.equal((await a.runDue(now)).length, 0, 'the period is taken');
    assert.equal((await b.runDue(now + DAY)).length, 2, 'the next period runs');
    const recent = await a.recent();
    assert.equal(recent.length, 4);
    const failed = recent.find((r) => r.job === 'gallery_compaction')!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'boom');
    await a.close();
    await b.close();
  } finally {
    await store.close();
  }
});

for (const backend of BACKENDS) {
  describe(`jobs in the service on ${backend.name}`, { skip: backend.skip }, () => {
    const runs: Running[] = [];
    after(async () => {
      for (const r of runs) await r.close();
      if (runs[0]) await dropSchema(runs[0].schema);
    });

    test('service.jobs.runDue() runs every job once per period across nodes; GET /api/admin/system lists the runs; /metrics counts them', async () => {
      const token = 'jobs-test-admin-token-0123456789abcdef0123';
      const env = { ADMIN_TOKEN: token, JOBS: 'off', AUDIT_SIGNING_KEY: crypto.randomBytes(32).toString('hex') };
      const a = await startService(backend, { env });
      runs.push(a);
      // On PostgreSQL a second node shares the schema (and claims nothing twice).
      const nodes = [a];
      if (backend.databaseUrl) {
        const b = await startService(backend, { env, schema: a.schema });
        runs.push(b);
        nodes.push(b);
      }
      const now = Date.now();
      const made = (await Promise.all(nodes.map((n) => n.service.jobs.runDue(now)))).flat();
      assert.deepEqual(made.map((r) => r.job).sort(), ['audit_prune', 'gallery_compaction', 'retention']);
      assert.ok(made.every((r) => r.status === 'succeeded'), JSON.stringify(made));
      const sys = await call(a.url, 'GET', '/api/admin/system', { token });
      const recent = (sys.body.jobs as { recent: { job: string; status: string }[] }).recent;
      assert.equal(recent.length, 3);
      const metrics = (await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/metrics`)).text()))).join('\n');
      const total = [...metrics.matchAll(/^facegate_job_runs_total\{job="(\w+)",status="succeeded"\} (\d+)$/gm)].reduce((s, m) => s + Number(m[2]), 0);
      assert.equal(total, 3);
    });
  });
}
