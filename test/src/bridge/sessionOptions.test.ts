import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { injectionOptionsFromConfig, sessionOptionsFromConfig } from '../../../src/bridge/sessionOptions.ts';
import { loadConfig } from '../../../src/config.ts';

describe('sessionOptionsFromConfig', () => {
  it('maps the service and liveness settings onto session options', () => {
    const o = sessionOptionsFromConfig(loadConfig({ SESSION_TTL_S: '60', LIVENESS_CHALLENGES: '1', LIVENESS_MAX_ATTEMPTS: '3', MATCH_THRESHOLD: '0.5' }));
    assert.equal(o.ttlMs, 60_000);
    assert.equal(o.plan.count, 1);
    assert.equal(o.maxAttempts, 3);
    assert.equal(o.matchThreshold, 0.5);
    assert.throws(() => loadConfig({ LIVENESS_CHALLENGES: '7' }), /LIVENESS_CHALLENGES/);
  });

  it('LIVENESS_FLASH turns the live path\'s colour-flash challenge on (default) or off', () => {
    assert.equal(sessionOptionsFromConfig(loadConfig({})).plan.flash, true);
    assert.equal(sessionOptionsFromConfig(loadConfig({ LIVENESS_FLASH: 'off' })).plan.flash, false);
    assert.throws(() => loadConfig({ LIVENESS_FLASH: 'yes' }), /LIVENESS_FLASH/);
  });

  it('LIVENESS_INJECTION_POLICY sets every injection signal (default flag) and LIVENESS_INJECTION_OVERRIDES single ones', () => {
    assert.deepEqual(Object.values(injectionOptionsFromConfig(loadConfig({})).policy), ['flag', 'flag', 'flag', 'flag', 'flag']);
    assert.equal(injectionOptionsFromConfig(loadConfig({ LIVENESS_INJECTION_POLICY: 'block' })).policy.rtp_timing, 'block');
    const o = injectionOptionsFromConfig(loadConfig({ LIVENESS_INJECTION_POLICY: 'step_up', LIVENESS_INJECTION_OVERRIDES: ' capture_facts=block, encoder = flag ' }));
    assert.deepEqual(o.policy, { capture_facts: 'block', rtp_timing: 'step_up', frame_timing: 'step_up', encoder: 'flag', peer_binding: 'step_up' });
    assert.throws(() => loadConfig({ LIVENESS_INJECTION_POLICY: 'deny' }), /LIVENESS_INJECTION_POLICY/);
    assert.throws(() => loadConfig({ LIVENESS_INJECTION_OVERRIDES: 'webcam=block' }), /LIVENESS_INJECTION_OVERRIDES.*"webcam=block" is not signal=policy/);
    assert.throws(() => loadConfig({ LIVENESS_INJECTION_OVERRIDES: 'encoder=maybe' }), /LIVENESS_INJECTION_OVERRIDES/);
  });
});
