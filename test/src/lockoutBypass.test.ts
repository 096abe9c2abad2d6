// Regression (issue 13, defect 1): the lockout was checked only when a
// session was created. 11 sessions created first let 10 failed attempts
// through (limit 5), and a session created before the lockout still succeeded
// during it, resetting the counter. The lockout is now checked again when a
// 1:1 session is decided.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, call, colourImage, enroll, newClient, startService, type Running } from './fixtures.ts';

const FRANK: [number, number, number] = [160, 70, 30];
const IMPOSTOR: [number, number, number] = [60, 170, 90];

async function newSession(run: Running, token: string, externalId: string): Promise<string> {
  const s = await call(run.url, 'POST', '/api/auth/authentication', { token, json: { external_user_id: externalId } });
  assert.equal(s.status, 201);
  return String(s.body.session_token);
}

async function attempt(run: Running, sessionToken: string, rgb: [number, number, number]): Promise<Record<string, unknown>> {
  const r = await call(run.url, 'POST', '/api/auth/authentication/process-frame', {
    json: { session_token: sessionToken, image: await colourImage(...rgb) },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const reason = (b: Record<string, unknown>): unknown => (b.decision as Record<string, unknown> | null)?.reason;

describe('lockout at decision time', () => {
  let run: Running;
  before(async () => {
    run = await startService(BACKENDS[0]!, { env: { LOCKOUT_FAILURES: '5', LOCKOUT_WINDOW_S: '600' } });
  });
  after(async () => run?.close());

  test('11 sessions created in advance let only 5 failed attempts through when the limit is 5', async () => {
    const c = await newClient(run, 'L1');
    assert.equal((await enroll(run, c.token, 'frank', FRANK)).body.status, 'succeeded');
    const tokens: string[] = [];
    for (let i = 0; i < 11; i++) tokens.push(await newSession(run, c.token, 'frank'));
    const reasons: unknown[] = [];
    for (const t of tokens.slice(0, 10)) reasons.push(reason(await attempt(run, t, IMPOSTOR)));
    assert.deepEqual(reasons, [...Array(5).fill('no_match'), ...Array(5).fill('locked_out')]);
    // The 11th, created before the lockout, does not succeed during it, even with the right face.
    const last = await attempt(run, tokens[10]!, FRANK);
    assert.equal(last.status, 'failed');
    assert.equal(reason(last), 'locked_out');
    assert.equal((last.decision as Record<string, unknown>).external_user_id, null);
  });

  test('a session created before the lockout does not succeed during it, and does not reset the counter', async () => {
    const c = await newClient(run, 'L2');
    assert.equal((await enroll(run, c.token, 'frank', FRANK)).body.status, 'succeeded');
    const early = await newSession(run, c.token, 'frank');
    for (let i = 0; i < 5; i++) assert.equal(reason(await attempt(run, await newSession(run, c.token, 'frank'), IMPOSTOR)), 'no_match');
    const during = await attempt(run, early, FRANK);
    assert.equal(during.status, 'failed');
    assert.equal(reason(during), 'locked_out');
    // Still locked: no new session for this user.
    const again = await call(run.url, 'POST', '/api/auth/authentication', { token: c.token, json: { external_user_id: 'frank' } });
    assert.equal(again.status, 429);
    assert.equal((again.body.details as Record<string, unknown>).reason, 'locked_out');
  });
});
