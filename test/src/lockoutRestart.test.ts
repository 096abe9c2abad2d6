// Regression (issue 13, defect 8): lockouts lived only in memory and a
// restart lifted them. They are now kept in Redis when REDIS_URL is set and
// in the store otherwise; a restart on the same data keeps them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authenticate, BACKENDS, call, dropSchema, enroll, newClient, runId, startService, tempDir } from './fixtures.ts';

const FRANK: [number, number, number] = [165, 75, 35];
const IMPOSTOR: [number, number, number] = [65, 175, 95];

for (const backend of BACKENDS) {
  describe(`lockouts across a restart on ${backend.name}`, { skip: backend.skip }, () => {
    test('a user locked out before a restart is still locked out after it; another user is not', async (t) => {
      const dataDir = tempDir();
      const schema = runId();
      t.after(() => dropSchema(schema));
      const env = { LOCKOUT_FAILURES: '3', LOCKOUT_WINDOW_S: '600' };
      const first = await startService(backend, { dataDir, schema, env });
      const c = await newClient(first, 'LR');
      let clientToken = c.token;
      try {
        assert.equal((await enroll(first, c.token, 'frank', FRANK)).body.status, 'succeeded');
        assert.equal((await enroll(first, c.token, 'fiona', IMPOSTOR)).body.status, 'succeeded');
        for (let i = 0; i < 3; i++) assert.equal((await authenticate(first, c.token, IMPOSTOR, 'frank')).body.status, 'failed');
        const locked = await call(first.url, 'POST', '/api/auth/authentication', { token: c.token, json: { external_user_id: 'frank' } });
        assert.equal(locked.status, 429);
      } finally {
        await first.close();
      }
      const second = await startService(backend, { dataDir, schema, env });
      t.after(() => second.close());
      clientToken = String((await call(second.url, 'POST', '/api/auth/client', { json: { api_key: c.apiKey } })).body.access_token);
      const after = await call(second.url, 'POST', '/api/auth/authentication', { token: clientToken, json: { external_user_id: 'frank' } });
      assert.equal(after.status, 429, JSON.stringify(after.body));
      assert.equal((after.body.details as Record<string, unknown>).reason, 'locked_out');
      assert.equal((await authenticate(second, clientToken, IMPOSTOR, 'fiona')).body.status, 'succeeded', 'another user is unaffected');
    });
  });
}
