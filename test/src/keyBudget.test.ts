// Regression (issue 13, defect 3): anyone holding a session token, even of a
// cancelled session, could spend the integrator's API-key budget with garbage
// uploads, after which the integrator's own calls got 429. Uploads now count
// against their session's own budget, a decided session's uploads are refused
// before any budget is touched, and session-token traffic never reaches the key's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, call, isErrorShape, newClient, startService, type Running } from './fixtures.ts';

const GARBAGE = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB';

describe('session-token uploads and the API key budget', () => {
  let run: Running;
  before(async () => {
    run = await startService(BACKENDS[0]!, { env: { RATE_LIMIT_PER_KEY: '10', RATE_LIMIT_PER_SESSION: '5' } });
  });
  after(async () => run?.close());

  async function session(token: string): Promise<string> {
    const s = await call(run.url, 'POST', '/api/auth/enrollment', { token, json: { external_user_id: `u${Math.random().toString(36).slice(2, 8)}` } });
    assert.equal(s.status, 201);
    return String(s.body.session_token);
  }
  const upload = (sessionToken: string) =>
    call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json: { session_token: sessionToken, image: GARBAGE } });

  test('uploads for a cancelled session are refused with 409 and leave the key budget alone', async () => {
    const c = await newClient(run, 'K1');
    const tok = await session(c.token); // key budget: 1 of 10
    assert.equal((await call(run.url, 'DELETE', `/api/auth/session/${tok}`)).status, 200);
    for (let i = 0; i < 30; i++) {
      const r = await upload(tok);
      assert.equal(r.status, 409);
      assert.equal(r.body.error, 'conflict');
      assert.ok(isErrorShape(r.body));
    }
    const own = await call(run.url, 'GET', '/api/users', { token: c.token });
    assert.equal(own.status, 200, 'the integrator keeps its budget');
  });

  test('garbage uploads on an open session hit the session budget (429 scope session), never the key budget', async () => {
    const c = await newClient(run, 'K2');
    const tok = await session(c.token);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await upload(tok)).status);
    assert.ok(statuses.slice(0, 5).every((s) => s !== 429), JSON.stringify(statuses));
    const limited = await upload(tok);
    if (limited.status === 429) assert.equal((limited.body.details as Record<string, unknown>).scope, 'session');
    else assert.equal(limited.status, 409, 'or the session already ended (too many bad frames)');
    for (let i = 0; i < 8; i++) assert.equal((await call(run.url, 'GET', '/api/users', { token: c.token })).status, 200, `own call ${i}`);
  });
});
