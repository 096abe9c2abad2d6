import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chanceAcceptance, flashGuessChance, quietSeenChance, sessionChance } from '../../../../scripts/eval/lib/chanceAcceptance.ts';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

describe('chanceAcceptance', () => {
  it('flashGuessChance() counts the arrangements matching in enough places: 6 of the 720 five-step sequences of 6 colours match in 4 or 5', () => {
    close(flashGuessChance(6, 5, 5), 1 / 720);
    close(flashGuessChance(6, 5, 4), 6 / 720);
    close(flashGuessChance(6, 5, 0), 1);
    // Three of three colours: the one arrangement matches in all places.
    close(flashGuessChance(3, 3, 3), 1 / 6);
  });

  it('sessionChance() allows maxAttempts - 1 failures over the whole session', () => {
    close(sessionChance([0.5], 1), 0.5);
    close(sessionChance([0.5], 2), 0.75);
    // Two challenges, one retry between them: pp + 2 p(1-p)p.
    close(sessionChance([0.5, 0.5], 2), 0.25 + 2 * 0.125);
    close(sessionChance([1, 0], 3), 0);
  });

  it('chanceAcceptance() averages over the family draws and bounds a day of sessions with the lockout', () => {
    const on = chanceAcceptance({ challenges: 2, maxAttempts: 2, flash: true, lockoutFailures: 5, lockoutWindowS: 180 });
    const off = chanceAcceptance({ challenges: 2, maxAttempts: 2, flash: false, lockoutFailures: 5, lockoutWindowS: 180 });
    assert.deepEqual(off.families, ['blink', 'turn']);
    assert.ok(on.perSession < off.perSession, 'the flash lowers the chance');
    // Head turn: the worst case over turn rates is an interior maximum below 1/2.
    assert.ok(on.perAttempt.turn! > 0 && on.perAttempt.turn! < 0.5);
    close(off.perSession, sessionChance([off.perAttempt.blink!, off.perAttempt.turn!], 2));
    assert.equal(on.sessionsPerDay, 2400);
    close(on.perLockoutWindow, 1 - (1 - on.perSession) ** 5);
    const always = chanceAcceptance({ challenges: 2, maxAttempts: 2, flash: false, lockoutFailures: 5, lockoutWindowS: 180, blinkRatePerMin: Number.POSITIVE_INFINITY });
    assert.equal(always.perAttempt.blink, 1);
  });

  it('quietSeenChance() is 1 for a source that never blinks and vanishes for one that blinks several times a second', () => {
    close(quietSeenChance(0, 1, 4), 1);
    assert.ok(quietSeenChance(8, 1, 4) < 0.02);
    assert.ok(quietSeenChance(17 / 60, 1, 4) > 0.95, 'a typical blinker shows a quiet second within 4 s');
  });

  it('chanceAcceptance() of the session plans: the flash plus one other, or two blinks and two turns, each under 1 in 200 per session at a typical blink rate', () => {
    const on = chanceAcceptance({ challenges: 2, challengesWithoutFlash: 4, maxAttempts: 2, flash: true, lockoutFailures: 5, lockoutWindowS: 180 });
    const off = chanceAcceptance({ challenges: 2, challengesWithoutFlash: 4, maxAttempts: 2, flash: false, lockoutFailures: 5, lockoutWindowS: 180 });
    assert.deepEqual(on.draws, [['flash', 'blink'], ['flash', 'turn']]);
    assert.deepEqual(off.draws, [['blink', 'turn', 'blink', 'turn']]);
    const { blink, turn } = off.perAttempt;
    close(off.perSession, sessionChance([blink!, turn!, blink!, turn!], 2));
    close(off.perSessionWorst, sessionChance([off.worstBlink, turn!, off.worstBlink, turn!], 2));
    const always = chanceAcceptance({ challenges: 2, challengesWithoutFlash: 4, maxAttempts: 2, flash: false, lockoutFailures: 5, lockoutWindowS: 180, blinkRatePerMin: Number.POSITIVE_INFINITY });
    for (const r of [on, off]) {
      assert.ok(r.worstBlink >= r.perAttempt.blink!, 'the worst blink rate is at least as bad as the typical one');
      assert.ok(r.perSession < 0.005, `${r.perSession}`);
    }
    // The quiet-period wait bounds a source that blinks all the time below the bound with no blink rule.
    assert.ok(off.perSessionWorst < always.perSession, `${off.perSessionWorst} ${always.perSession}`);
  });
});
