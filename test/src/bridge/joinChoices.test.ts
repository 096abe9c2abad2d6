// What a live join's preferences change (LiveSessionLink.joinChoices): the
// user's "no gestures" takes the no-gesture path only where the client's
// session policy offers the step-up; the flash opt-out only where the node
// honours it. The real composition behind it: test/e2e/kioskAccessibility.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionPolicy } from '../../../common/session.ts';
import { joinChoices } from '../../../src/bridge/LiveSessionLink.ts';

const base: SessionPolicy = { timeoutS: 300, maxFrames: 1000, minConfidence: 0.5, requireLiveness: true };
const stepUp: SessionPolicy = { ...base, noGesturePath: 'step_up' };

describe('joinChoices', () => {
  it("gestures 'off' takes the no-gesture path (and no flash) only under no_gesture_path 'step_up'", () => {
    assert.deepEqual(joinChoices({ gestures: 'off' }, stepUp, true), { noFlash: true, noGesture: true });
    assert.deepEqual(joinChoices({ gestures: 'off' }, stepUp, false), { noFlash: true, noGesture: true });
    // The client's policy does not offer it (deny, absent, an older record): the challenges as for everyone.
    assert.deepEqual(joinChoices({ gestures: 'off' }, { ...base, noGesturePath: 'deny' }, true), { noFlash: false, noGesture: false });
    assert.deepEqual(joinChoices({ gestures: 'off' }, base, true), { noFlash: false, noGesture: false });
    assert.deepEqual(joinChoices({ gestures: 'off' }, undefined, true), { noFlash: false, noGesture: false });
  });

  it("flash 'off' is the opt-out where the node honours it, and never the no-gesture path", () => {
    assert.deepEqual(joinChoices({ flash: 'off' }, stepUp, true), { noFlash: true, noGesture: false });
    assert.deepEqual(joinChoices({ flash: 'off' }, stepUp, false), { noFlash: false, noGesture: false });
    assert.deepEqual(joinChoices({}, stepUp, true), { noFlash: false, noGesture: false });
  });
});
