import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionOptionsFromConfig } from '../../../src/bridge/sessionOptions.ts';
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
});
