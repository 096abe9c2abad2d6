// Per-session policy from the documented settings (metadata or top level):
// a session may be made stricter than the node's settings, never looser;
// the create response shows what was applied; require_liveness: false is
// refused. A service on port 0 with embedded defaults and the colour analyzer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, colourImage, isErrorShape, newClient, startService, type Running } from '../fixtures.ts';

describe('per-session policy', () => {
  let run: Running;
  let token = '';
  before(async () => {
    run = await startService({ name: 'embedded' });
    token = (await newClient(run)).token;
  });
  after(async () => {
    await run?.close();
  });

  it('timeout_seconds shortens the session; a longer one is capped at the node setting', async () => {
    const ttl = run.service.config.service.sessionTtlS;
    const short = await call(run.url, 'POST', '/api/auth/authentication/', { token, json: { metadata: { timeout_seconds: 30 } } });
    assert.equal(short.status, 201, JSON.stringify(short.body));
    const config = short.body.config as Record<string, unknown>;
    assert.equal(config.timeout_seconds, 30);
    const left = (Date.parse(String(short.body.expires_at)) - Date.now()) / 1000;
    assert.ok(left > 25 && left <= 30, String(left));
    const long = await call(run.url, 'POST', '/api/auth/authentication/', { token, json: { timeout_seconds: ttl + 600 } });
    assert.equal((long.body.config as Record<string, unknown>).timeout_seconds, ttl);
  });

  it('max_frames fails the session after that many frames; min_confidence is never below the node threshold', async () => {
    const s = await call(run.url, 'POST', '/api/auth/authentication/', { token, json: { metadata: { max_frames: 2, min_confidence: 0.01 } } });
    const config = s.body.config as Record<string, unknown>;
    assert.equal(config.max_frames, 2);
    assert.equal(config.min_confidence, run.service.config.service.matchThreshold);
    const noFace = await colourImage(0, 0, 0);
    const first = await call(run.url, 'POST', '/api/auth/authentication/process-frame/', { json: { session_token: s.body.session_token, frame_data: noFace } });
    assert.equal(first.body.decision, null, JSON.stringify(first.body));
    const second = await call(run.url, 'POST', '/api/auth/authentication/process-frame/', { json: { session_token: s.body.session_token, frame_data: noFace } });
    assert.equal((second.body.decision as Record<string, unknown>).reason, 'too_many_frames', JSON.stringify(second.body));
    const stricter = await call(run.url, 'POST', '/api/auth/authentication/', { token, json: { metadata: { min_confidence: 0.99 } } });
    assert.equal((stricter.body.config as Record<string, unknown>).min_confidence, 0.99);
  });

  it("no_gesture_path: 'step_up' is kept in the session's policy and shown in config; absent it is 'deny'; another value is a validation_error", async () => {
    const stepUp = await call(run.url, 'POST', '/api/auth/authentication/', { token, json: { metadata: { no_gesture_path: 'step_up' } } });
    assert.equal(stepUp.status, 201, JSON.stringify(stepUp.body));
    assert.equal((stepUp.body.config as Record<string, unknown>).no_gesture_path, 'step_up');
    const rec = await run.service.sessions.get(String(stepUp.body.session_token));
    assert.equal(rec.policy?.noGesturePath, 'step_up');
    const plain = await call(run.url, 'POST', '/api/auth/enrollment/', { token, json: { user_id: 'u-ng' } });
    assert.equal((plain.body.config as Record<string, unknown>).no_gesture_path, 'deny');
    assert.equal((await run.service.sessions.get(String(plain.body.session_token))).policy?.noGesturePath, undefined);
    const bad = await call(run.url, 'POST', '/api/auth/authentication/', { token, json: { no_gesture_path: 'always' } });
    assert.equal(bad.status, 422);
    assert.ok(isErrorShape(bad.body));
  });

  it('require_liveness: false is refused with forbidden; unknown settings with validation_error', async () => {
    const off = await call(run.url, 'POST', '/api/auth/authentication/', { token, json: { require_liveness: false } });
    assert.equal(off.status, 403);
    assert.ok(isErrorShape(off.body));
    assert.equal((off.body.details as Record<string, unknown>).field, 'require_liveness');
    const unknown = await call(run.url, 'POST', '/api/auth/enrollment/', { token, json: { user_id: 'u1', metadata: { turbo: true } } });
    assert.equal(unknown.status, 422);
    const on = await call(run.url, 'POST', '/api/auth/enrollment/', { token, json: { user_id: 'u1', require_liveness: true, metadata: { target_samples: 5 } } });
    assert.equal(on.status, 201, JSON.stringify(on.body));
  });
});
