// Regression (issue 13, defect 4): process-frame needs no bearer and parsed
// large JSON on the main thread: four 6 MB deeply nested bodies stalled
// /health for 3 s. Frame bodies are now scanned for nesting before
// JSON.parse and refused after a few bytes. Since frameAuth a body this
// large needs a session token before it is read at all (frameAuth.test.ts),
// so the attack is sent as a session holder would: with a valid token in
// X-Session-Token. The test measures /health under it (bounded: four
// bodies, at most 400 polls).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertShallowJson } from '../../src/api/middleware.ts';
import { whilePollingHealth } from '../support/healthPoll.ts';
import { BACKENDS, call, isErrorShape, newClient, startService, type Running } from './fixtures.ts';

/** A body of about `bytes` bytes: arrays nested half of it deep. */
function nestedBody(bytes: number): string {
  const n = Math.floor(bytes / 2);
  return '['.repeat(n) + ']'.repeat(n);
}

test('assertShallowJson() refuses deep nesting outside strings and ignores brackets inside them', () => {
  assert.throws(() => assertShallowJson(Buffer.from('[[[[[1]]]]]'), 4), (e: unknown) => (e as { code?: string }).code === 'invalid_request');
  assert.doesNotThrow(() => assertShallowJson(Buffer.from('{"a":[[[1]]]}'), 4));
  assert.doesNotThrow(() => assertShallowJson(Buffer.from(`{"image":"${'['.repeat(100)}","t":"\\"[[[[[[["}`), 1));
});

describe('/health under a deeply nested body attack on process-frame', () => {
  let run: Running;
  before(async () => {
    run = await startService(BACKENDS[0]!, { env: { RATE_LIMIT_PER_IP: '100000' } });
  });
  after(async () => run?.close());

  test('four 6 MB nested bodies are refused with 400 and /health stays under 500 ms', async () => {
    const body = nestedBody(6 * 1024 * 1024);
    const a = await newClient(run);
    const s = await call(run.url, 'POST', '/api/auth/enrollment', { token: a.token, json: { external_user_id: 'stall' } });
    assert.equal(s.status, 201);
    const headers = { 'x-session-token': String(s.body.session_token) };
    const { result: answers, latencies } = await whilePollingHealth(
      run.url,
      () => Promise.all([0, 1, 2, 3].map(() => call(run.url, 'POST', '/api/auth/enrollment/process-frame', { raw: body, contentType: 'application/json', headers }))),
      400,
    );
    const worst = Math.max(...latencies);
    console.log(`/health under attack: ${latencies.length} polls, worst ${worst.toFixed(0)} ms`);
    for (const a of answers) {
      assert.equal(a.status, 400);
      assert.equal(a.body.error, 'invalid_request');
      assert.ok(isErrorShape(a.body));
    }
    assert.ok(worst < 500, `/health took ${worst.toFixed(0)} ms`);
  });
});
