// The challenge registry and its plug-ins as the plan and the wire see them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redraw, planChallenges } from '../../../src/engine/challengePlan.ts';
import { CHALLENGES, challengeFor } from '../../../src/engine/challenges/index.ts';
import { DEFAULT_PLAN_OPTIONS } from '../../../src/engine/options.ts';
import type { ChallengeKind } from '../../../src/engine/types.ts';

const KINDS: readonly ChallengeKind[] = ['blink', 'turn_left', 'turn_right', 'turn_any', 'color_flash'];

describe('challenge registry', () => {
  it('challengeFor() finds exactly one registered challenge for every kind, with a prompt text', () => {
    for (const kind of KINDS) {
      const owners = CHALLENGES.filter((c) => (c.kinds as readonly ChallengeKind[]).includes(kind));
      assert.equal(owners.length, 1, kind);
      assert.equal(challengeFor(kind), owners[0]);
      assert.ok(challengeFor(kind).prompt(kind).length > 0, kind);
    }
    assert.throws(() => challengeFor('wink' as ChallengeKind), TypeError);
  });

  it('planChallenges() draws the colour flash only where the transport can paint it', () => {
    for (let i = 0; i < 50; i++) {
      assert.ok(planChallenges({ count: 2, flash: false }).every((p) => p.kind !== 'color_flash'));
      assert.equal(planChallenges({ count: 3, flash: true }).filter((p) => p.kind === 'color_flash').length, 1);
    }
    assert.throws(() => planChallenges({ count: 3, flash: false }), TypeError);
  });

  it('redraw() draws a fresh challenge of the same family with its window', () => {
    for (let i = 0; i < 50; i++) {
      const turn = redraw('turn_any', DEFAULT_PLAN_OPTIONS);
      assert.ok(turn && (turn.kind === 'turn_left' || turn.kind === 'turn_right'));
      assert.equal(turn.windowMs, DEFAULT_PLAN_OPTIONS.turnWindowMs);
      assert.equal(redraw('blink', DEFAULT_PLAN_OPTIONS)?.kind, 'blink');
      // Where the plan's default is no flash, a flash retry draws two of the three families: a flash or nothing.
      const flash = redraw('color_flash', DEFAULT_PLAN_OPTIONS);
      assert.ok(flash === undefined || flash.kind === 'color_flash', flash?.kind);
      assert.equal(redraw('color_flash', { ...DEFAULT_PLAN_OPTIONS, flash: true })?.kind, 'color_flash');
    }
  });
});
