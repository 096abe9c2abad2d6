// Two service nodes on one PostgreSQL schema and one Redis prefix: a template
// enrolled through one node is matched through the other (gallery events over
// Redis pub/sub), and a deletion through either removes it on both.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKENDS, authenticate, call, dropSchema, enroll, newClient, runId, startService } from './fixtures.ts';

const shared = BACKENDS[1]!;

describe('two nodes sharing PostgreSQL and Redis', { skip: shared.skip }, () => {
  test('enroll on node A is matched on node B; delete on B removes it from A\'s gallery', async (t) => {
    const schema = runId();
    const a = await startService(shared, { schema });
    t.after(async () => {
      await a.close();
      await dropSchema(schema);
    });
    const b = await startService(shared, { schema });
    t.after(() => b.close());

    const c = await newClient(a);
    const tokenB = String((await call(b.url, 'POST', '/api/auth/client', { json: { api_key: c.apiKey } })).body.access_token);
    assert.equal((await enroll(a, c.token, 'nina', [130, 40, 170])).body.status, 'succeeded');

    // The event is asynchronous: wait until B's gallery has it.
    for (let i = 0; i < 50 && (await b.service.gallery.size(c.clientId)) < 1; i++) await sleep(50);
    const id = await authenticate(b, tokenB, [130, 40, 170]);
    assert.equal(id.body.status, 'succeeded');
    assert.equal((id.body.decision as Record<string, unknown>).external_user_id, 'nina');

    assert.equal((await call(b.url, 'DELETE', '/api/users/nina', { token: tokenB })).status, 200);
    for (let i = 0; i < 50 && (await a.service.gallery.size(c.clientId)) > 0; i++) await sleep(50);
    assert.equal(await a.service.gallery.size(c.clientId), 0);
    assert.equal((await authenticate(a, c.token, [130, 40, 170])).body.status, 'failed');
  });
});
