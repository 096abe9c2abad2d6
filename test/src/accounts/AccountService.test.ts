// AccountService over the real SqlStore on PGlite and on PostgreSQL (when
// FACEGATE_TEST_DATABASE_URL is set; one fresh schema per run): concurrent
// refreshes with one token (exactly one wins, the other is reuse and the
// family goes), expiry, email normalisation, and tenant scoping.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccountService, normaliseEmail } from '../../../src/accounts/AccountService.ts';
import { UserTokens } from '../../../src/auth/UserTokens.ts';
import { PgSqlClient } from '../../../src/store/PgSqlClient.ts';
import { PgliteSqlClient } from '../../../src/store/PgliteSqlClient.ts';
import type { SqlClient } from '../../../src/store/SqlClient.ts';
import { SqlStore } from '../../../src/store/SqlStore.ts';
import { PG_URL, SKIP_PG, dropSchema, runId, tempDir } from '../fixtures.ts';

const schema = runId();
const engines: { name: string; skip: string | false; open: () => Promise<SqlClient> }[] = [
  { name: 'PGlite', skip: false, open: () => PgliteSqlClient.open(path.join(tempDir(), 'db')) },
  { name: 'PostgreSQL', skip: SKIP_PG, open: () => PgSqlClient.open({ url: PG_URL!, schema }) },
];
after(() => dropSchema(schema));
const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

test('normaliseEmail() applies NFKC, trims and lower-cases', () => {
  // Fullwidth letters and the "ﬁ" ligature fold under NFKC.
  assert.equal(normaliseEmail('  ＪＯＥ.ﬁsh@Example.COM\t'), 'joe.fish@example.com');
});

for (const eng of engines) {
  describe(`AccountService on ${eng.name}`, { skip: eng.skip }, () => {
    let store: SqlStore;
    let accounts: AccountService;
    before(async () => {
      store = await SqlStore.open(await eng.open());
      accounts = new AccountService(store, new UserTokens(SECRET, { accessTtlS: 60, refreshTtlS: 3600 }));
      for (const id of ['cl_a', 'cl_b']) await store.createClient({ id, name: id, wrappedKey: Buffer.alloc(8) });
    });
    after(async () => {
      await store?.close();
    });

    test('refresh() with one token twice at once: one rotation wins, the other is reuse and revokes the family', async () => {
      await accounts.register('cl_a', { email: 'race@example.com', password: 'password-123', fullName: '', phoneNumber: null });
      const { tokens } = await accounts.login('cl_a', 'RACE@example.com', 'password-123');
      const results = await Promise.allSettled([accounts.refresh(tokens.refresh), accounts.refresh(tokens.refresh)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal((lost.reason as { details?: { reason?: string } }).details?.reason, 'token_reused');
      const rotated = (won[0] as PromiseFulfilledResult<{ refresh: string }>).value.refresh;
      await assert.rejects(accounts.refresh(rotated), (e: { details?: { reason?: string } }) => e.details?.reason === 'token_reused');
    });

    test('useRefreshToken() refuses a token added to a family after the family was revoked (the rotation that lost the race)', async () => {
      const acc = await accounts.register('cl_a', { email: 'late@example.com', password: 'password-123', fullName: '', phoneNumber: null });
      const add = (id: string, hash: string) => store.addRefreshToken({ id, familyId: 'fam-late', clientId: 'cl_a', accountId: acc.id, tokenHash: hash, expiresAt: new Date(Date.now() + 60_000) });
      await add('rtk_l1', '1'.repeat(64));
      assert.equal((await store.useRefreshToken('1'.repeat(64))).kind, 'ok');
      // The same token again (the concurrent loser): reuse, the family is revoked...
      assert.equal((await store.useRefreshToken('1'.repeat(64))).kind, 'reused');
      // ...and then the winner inserts its rotated-to token into that family.
      await add('rtk_l2', '2'.repeat(64));
      assert.equal((await store.useRefreshToken('2'.repeat(64))).kind, 'reused');
    });

    test('an email is unique per client, not across clients, and login is scoped to the client', async () => {
      const a = await accounts.register('cl_a', { email: 'same@example.com', password: 'password-a1', fullName: 'A', phoneNumber: null });
      const b = await accounts.register('cl_b', { email: ' SAME@example.com', password: 'password-b1', fullName: 'B', phoneNumber: null });
      assert.notEqual(a.id, b.id);
      await assert.rejects(accounts.register('cl_a', { email: 'Same@Example.com', password: 'password-a2', fullName: '', phoneNumber: null }), { code: 'conflict' });
      await assert.rejects(accounts.login('cl_b', 'same@example.com', 'password-a1'), { code: 'unauthorized' });
      assert.equal((await accounts.login('cl_b', 'same@example.com', 'password-b1')).account.id, b.id);
      assert.equal(await store.getAccount('cl_b', a.id), null);
    });

    test('an expired refresh token is refused as expired and spends nothing', async () => {
      const acc = await accounts.register('cl_a', { email: 'old@example.com', password: 'password-123', fullName: '', phoneNumber: null });
      await store.addRefreshToken({ id: 'rtk_old', familyId: 'fam-old', clientId: 'cl_a', accountId: acc.id, tokenHash: 'f'.repeat(64), expiresAt: new Date(Date.now() - 1000) });
      assert.deepEqual(await store.useRefreshToken('f'.repeat(64)), { kind: 'expired' });
    });

    test('updateAccount() sets and clears the phone number and leaves unnamed fields alone', async () => {
      const acc = await accounts.register('cl_a', { email: 'upd@example.com', password: 'password-123', fullName: 'Up', phoneNumber: '+123' });
      const cleared = await store.updateAccount('cl_a', acc.id, { phoneNumber: null });
      assert.equal(cleared?.phoneNumber, null);
      assert.equal(cleared?.fullName, 'Up');
      const renamed = await store.updateAccount('cl_a', acc.id, { fullName: 'Down' });
      assert.equal(renamed?.fullName, 'Down');
      assert.equal(await store.updateAccount('cl_b', acc.id, { fullName: 'x' }), null, 'another client cannot update it');
    });
  });
}
