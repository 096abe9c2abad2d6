// The same store suite on the embedded PGlite and on PostgreSQL (when
// FACEGATE_TEST_DATABASE_URL is set; one fresh schema per run).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FacegateError } from '../../common/errors.ts';
import { MIGRATIONS, migrate, schemaVersion } from '../../src/store/migrations.ts';
import { PgSqlClient } from '../../src/store/PgSqlClient.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import type { SqlClient } from '../../src/store/SqlClient.ts';
import { SqlStore } from '../../src/store/SqlStore.ts';
import { PG_URL, SKIP_PG, dropSchema, runId, tempDir } from './fixtures.ts';

const schema = runId();
const engines: { name: string; skip: string | false; open: () => Promise<SqlClient> }[] = [
  { name: 'PGlite', skip: false, open: () => PgliteSqlClient.open(path.join(tempDir(), 'db')) },
  { name: 'PostgreSQL', skip: SKIP_PG, open: () => PgSqlClient.open({ url: PG_URL!, schema }) },
];
after(() => dropSchema(schema));

for (const eng of engines) {
  describe(`SqlStore on ${eng.name}`, { skip: eng.skip }, () => {
    let db: SqlClient;
    let store: SqlStore;
    before(async () => {
      db = await eng.open();
      store = await SqlStore.open(db);
    });
    after(async () => {
      await store?.close();
    });

    test('migrate() applied every version once and is a no-op when run again', async () => {
      assert.equal(await schemaVersion(db), Math.max(...MIGRATIONS.map((m) => m.version)));
      assert.deepEqual(await migrate(db), []);
      const rows = await db.query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version));
    });

    test('migrate() rolls back a failing migration and leaves the version unchanged', async () => {
      const before = await schemaVersion(db);
      await assert.rejects(migrate(db, [...MIGRATIONS, { version: 999, name: 'bad', sql: 'CREATE TABLE t999 (a int); SELECT no_such_column FROM t999' }]));
      assert.equal(await schemaVersion(db), before);
      const t = await db.query(`SELECT to_regclass('t999') AS t`);
      assert.equal(t[0]?.t, null);
    });

    test('enroll()/getUser()/listTemplates() store one client\'s data and round-trip bytea', async () => {
      await store.createClient({ id: 'cl_a', name: 'A', wrappedKey: Buffer.from([1, 2, 3]) });
      await store.enroll('cl_a', 'alice', [{ id: 'tpl_a1', ciphertext: Buffer.from([9, 8, 7]) }]);
      await store.enroll('cl_a', 'alice', [{ id: 'tpl_a2', ciphertext: Buffer.from([6]) }]);
      const u = await store.getUser('cl_a', 'alice');
      assert.equal(u?.templateCount, 2);
      const t = await store.listTemplates('cl_a', 'alice');
      assert.deepEqual(t.map((x) => [x.id, [...x.ciphertext]]), [['tpl_a1', [9, 8, 7]], ['tpl_a2', [6]]]);
      assert.deepEqual([...(await store.getClient('cl_a'))!.wrappedKey], [1, 2, 3]);
    });

    test('client B never reads, lists or deletes client A\'s users or templates', async () => {
      await store.createClient({ id: 'cl_b', name: 'B', wrappedKey: Buffer.from([4]) });
      await store.enroll('cl_b', 'bob', [{ id: 'tpl_b1', ciphertext: Buffer.from([1]) }]);
      assert.equal(await store.getUser('cl_b', 'alice'), null);
      assert.deepEqual((await store.listUsers('cl_b', { limit: 10, offset: 0 })).users.map((u) => u.externalId), ['bob']);
      assert.deepEqual(await store.listTemplates('cl_b', 'alice'), []);
      assert.equal(await store.templateOwner('cl_b', 'tpl_a1'), null);
      assert.equal(await store.deleteUser('cl_b', 'alice'), null);
      assert.equal((await store.getUser('cl_a', 'alice'))?.templateCount, 2);
      assert.deepEqual((await store.listTemplateIds('cl_b')).sort(), ['tpl_b1']);
    });

    test('deleteUser() removes the user and returns its template ids', async () => {
      await store.enroll('cl_a', 'carol', [{ id: 'tpl_c1', ciphertext: Buffer.from([1]) }]);
      assert.deepEqual(await store.deleteUser('cl_a', 'carol'), ['tpl_c1']);
      assert.equal(await store.getUser('cl_a', 'carol'), null);
      assert.equal(await store.templateOwner('cl_a', 'tpl_c1'), null);
    });

    test('enroll() is atomic: a duplicate template id leaves no new user behind', async () => {
      await assert.rejects(store.enroll('cl_a', 'dave', [{ id: 'tpl_d1', ciphertext: Buffer.from([1]) }, { id: 'tpl_a1', ciphertext: Buffer.from([2]) }]));
      assert.equal(await store.getUser('cl_a', 'dave'), null);
    });

    test('findApiKey() finds active keys by hash and not revoked ones', async () => {
      await store.addApiKey({ id: 'k1', clientId: 'cl_a', keyHash: 'h1' });
      assert.equal((await store.findApiKey('h1'))?.clientId, 'cl_a');
      assert.equal(await store.revokeApiKey('cl_b', 'k1'), false, 'B cannot revoke A\'s key');
      assert.equal(await store.revokeApiKey('cl_a', 'k1'), true);
      assert.equal(await store.findApiKey('h1'), null);
    });

    test('deleteClient() removes the client, its wrapped key, keys, users and templates', async () => {
      await store.createClient({ id: 'cl_z', name: 'Z', wrappedKey: Buffer.from([5]) });
      await store.addApiKey({ id: 'kz', clientId: 'cl_z', keyHash: 'hz' });
      await store.enroll('cl_z', 'zed', [{ id: 'tpl_z', ciphertext: Buffer.from([1]) }]);
      assert.equal(await store.deleteClient('cl_z'), true);
      assert.equal(await store.getClient('cl_z'), null);
      assert.equal(await store.findApiKey('hz'), null);
      assert.deepEqual(await store.listTemplateIds('cl_z'), []);
      const raw = await db.query(`SELECT count(*) AS n FROM templates WHERE client_id = 'cl_z'`);
      assert.equal(Number(raw[0]?.n), 0);
    });

    test('authMetrics() counts attempts, successes, failures by reason and latency in a range', async () => {
      const rec = (id: string, outcome: 'succeeded' | 'failed', reason: string | null, ms: number, kind: 'authentication' | 'enrollment' = 'authentication') =>
        store.recordSessionResult({ id, clientId: 'cl_a', kind, outcome, reason, latencyMs: ms });
      await rec('s1', 'succeeded', null, 100);
      await rec('s2', 'failed', 'no_match', 200);
      await rec('s3', 'failed', 'no_match', 300);
      await rec('s4', 'failed', 'no_face', 400);
      await rec('s5', 'succeeded', null, 50, 'enrollment');
      const m = await store.authMetrics('cl_a', new Date(Date.now() - 60_000), new Date(Date.now() + 60_000));
      assert.equal(m.attempts, 4);
      assert.equal(m.successes, 1);
      assert.equal(m.failures, 3);
      assert.deepEqual(m.failuresByReason, { no_face: 1, no_match: 2 });
      assert.equal(m.latencyMs.p50, 250);
      const none = await store.authMetrics('cl_b', new Date(Date.now() - 60_000), new Date(Date.now() + 60_000));
      assert.equal(none.attempts, 0);
      const past = await store.authMetrics('cl_a', new Date(0), new Date(1000));
      assert.equal(past.attempts, 0);
    });

    test('a closed client answers service_unavailable', async () => {
      const other = await eng.open();
      await other.close();
      await assert.rejects(other.query('SELECT 1'), (e: unknown) => e instanceof FacegateError && e.code === 'service_unavailable');
    });
  });
}
