import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectBlinks, scoreBlink, type EyeSample } from '../../../src/engine/signals/blink.ts';
import { flashSearchReachMs, generateFlashSequence, minFlashStepMs, scoreFlash, DEFAULT_FLASH_OPTIONS, FLASH_PALETTE, type SkinSample } from '../../../src/engine/signals/colorFlash.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../../src/engine/options.ts';
import { noseOutlineRatio, scoreTurn, type TurnSample } from '../../../src/engine/signals/headTurn.ts';
import { IdentityTracker } from '../../../src/engine/signals/identity.ts';
import { aggregatePassive } from '../../../src/engine/signals/passive.ts';
import { identity, landmarksFor } from './fixtures.ts';

/** Eye series at 10 fps from a list of both-eye closed probabilities. */
function eyes(values: readonly number[], step = 100): EyeSample[] {
  return values.map((v, i) => ({ t: i * step, leftClosed: v, rightClosed: v }));
}

describe('blink', () => {
  it('scoreBlink() passes a closed-then-open transition of 100-300 ms', () => {
    const s = scoreBlink(eyes([0.05, 0.05, 0.1, 0.9, 0.95, 0.1, 0.05]));
    assert.equal(s.passed, true);
    assert.equal(s.plausibleCount, 1);
    assert.equal(s.firstAt, 500);
    assert.ok(s.firstDurationMs! >= 100 && s.firstDurationMs! <= 300);
  });

  it('scoreBlink() rejects a two-second eye closure (not a blink)', () => {
    const v = [0.05, 0.05, ...Array(20).fill(0.95), 0.05, 0.05];
    const s = scoreBlink(eyes(v));
    assert.equal(s.passed, false);
    assert.equal(s.count, 1);
  });

  it('scoreBlink() ignores a wink (one eye closed)', () => {
    const series = [0.05, 0.9, 0.9, 0.05].map((v, i) => ({ t: i * 100, leftClosed: v, rightClosed: 0.05 }));
    assert.equal(scoreBlink(series).passed, false);
  });

  it('detectBlinks() needs an open baseline before the closure', () => {
    assert.equal(detectBlinks(eyes([0.9, 0.9, 0.05, 0.05])).length, 0);
  });

  it('scoreBlink() ignores blinks that began before notBefore', () => {
    const v = eyes([0.05, 0.9, 0.05, 0.05, 0.05]);
    assert.equal(scoreBlink(v, 0).passed, true);
    assert.equal(scoreBlink(v, 150).passed, false);
  });

  it('detectBlinks() does not count flicker between the thresholds as reopening', () => {
    // 0.4 is neither closed (>=0.5) nor open (<0.3): the closure continues.
    const e = detectBlinks(eyes([0.05, 0.9, 0.4, 0.9, 0.4, 0.9, 0.05]));
    assert.equal(e.length, 1);
    assert.equal(e[0]!.closedFrom, 100);
    assert.equal(e[0]!.reopenedAt, 600);
  });
});

describe('head turn', () => {
  const turn = (ratios: readonly number[], yaw: number | null = null): TurnSample[] => ratios.map((r, i) => ({ t: i * 100, ratio: r, yaw }));

  it('noseOutlineRatio() is 0.5 for a centred nose and null without landmarks', () => {
    assert.equal(noseOutlineRatio(landmarksFor(0.5, 0, 0, 100)), 0.5);
    assert.equal(noseOutlineRatio(undefined), null);
  });

  it('scoreTurn() passes a turn to the left that comes back to frontal', () => {
    const s = scoreTurn(turn([0.5, 0.52, 0.65, 0.78, 0.8, 0.7, 0.55, 0.5]), 'left', 0.5, null);
    assert.equal(s.passed, true);
    assert.equal(s.imageSide, 1);
    assert.ok(s.parallax >= 0.28);
    assert.equal(s.turnedAt, 300);
    assert.equal(s.returnedAt, 600);
  });

  it('scoreTurn() fails a turn in the other direction than asked', () => {
    const r = [0.5, 0.35, 0.22, 0.2, 0.3, 0.45, 0.5];
    assert.equal(scoreTurn(turn(r), 'left', 0.5, null).passed, false);
    assert.equal(scoreTurn(turn(r), 'right', 0.5, null).passed, true);
    assert.equal(scoreTurn(turn(r), 'any', 0.5, null).imageSide, -1);
  });

  it('scoreTurn() fails a turn that never returns to frontal', () => {
    const s = scoreTurn(turn([0.5, 0.7, 0.8, 0.8, 0.8]), 'left', 0.5, null);
    assert.equal(s.passed, false);
    assert.equal(s.turnedAt, 100 + 100);
  });

  it('scoreTurn() fails a flat image tilted in front of the camera (pose yaw changes, no parallax)', () => {
    const samples: TurnSample[] = [0, 10, 25, 35, 25, 10, 0].map((yaw, i) => ({ t: i * 100, ratio: 0.5 + (i % 2) * 0.01, yaw }));
    const s = scoreTurn(samples, 'any', 0.5, 0);
    assert.equal(s.passed, false);
    assert.ok(s.parallax < 0.05);
  });

  it('scoreTurn() is not fooled by one outlier frame', () => {
    assert.equal(scoreTurn(turn([0.5, 0.5, 0.95, 0.5, 0.5, 0.5]), 'any', 0.5, null).passed, false);
  });
});

describe('colour flash', () => {
  const seeded = (seed: number) => {
    let s = seed;
    return (max: number): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return Math.floor((s / 2147483648) * max);
    };
  };

  /** Skin that reflects `gain` of each painted colour, `lagMs` after it was painted. */
  function reflect(seq: ReturnType<typeof generateFlashSequence>, issuedAt: number, lagMs: number, gain: number, fps = 10): SkinSample[] {
    const out: SkinSample[] = [];
    const total = seq.reduce((m, c) => Math.max(m, c.startMs + c.durationMs), 0);
    for (let t = issuedAt; t < issuedAt + total + 1000; t += 1000 / fps) {
      const rel = t - issuedAt - lagMs;
      const c = seq.find((x) => rel >= x.startMs && rel < x.startMs + x.durationMs);
      const base = [150, 110, 90];
      const rgb = base.map((b, k) => b + (c ? gain * c.rgb[k]! : 0)) as [number, number, number];
      out.push({ t, rgb });
    }
    return out;
  }

  it('generateFlashSequence() draws distinct palette colours, so no shift of the sequence lines up with itself', () => {
    const rnd = seeded(7);
    const seen = new Set<string>();
    for (let n = 0; n < 200; n++) {
      const seq = generateFlashSequence({ steps: 5, stepMs: 300, randomInt: rnd });
      assert.equal(seq.length, 5);
      for (const c of seq) assert.ok(FLASH_PALETTE.includes(c.rgb));
      assert.equal(new Set(seq.map((c) => c.rgb)).size, 5);
      assert.equal(seq[3]!.startMs, 900);
      seen.add(seq.map((c) => c.rgb.join()).join('|'));
    }
    // 720 possible sequences: 200 draws give well over a hundred different ones.
    assert.ok(seen.size > 150, `${seen.size} distinct sequences`);
  });

  it('generateFlashSequence() rejects fewer than two steps or more than the palette', () => {
    assert.throws(() => generateFlashSequence({ steps: 1, stepMs: 300 }), TypeError);
    assert.throws(() => generateFlashSequence({ steps: FLASH_PALETTE.length + 1, stepMs: 300 }), TypeError);
  });

  it('scoreFlash() passes skin that follows the painted sequence after a display lag', () => {
    const seq = generateFlashSequence({ steps: 4, stepMs: 300, randomInt: seeded(3) });
    const s = scoreFlash(reflect(seq, 1000, 180, 0.08), seq, 1000, 100);
    assert.equal(s.passed, true);
    assert.ok(s.correlation > 0.8, `correlation ${s.correlation}`);
    // Lag resolution is one frame interval (100 ms at 10 fps).
    assert.ok(Math.abs(s.lagMs - 180) <= 100, `lag ${s.lagMs}`);
  });

  it('scoreFlash() fails a face that does not react (a replay or a screen)', () => {
    const seq = generateFlashSequence({ steps: 4, stepMs: 300, randomInt: seeded(3) });
    assert.equal(scoreFlash(reflect(seq, 1000, 180, 0), seq, 1000, 100).passed, false);
  });

  it('scoreFlash() fails skin that followed a different sequence', () => {
    const asked = generateFlashSequence({ steps: 4, stepMs: 300, randomInt: seeded(3) });
    const other = generateFlashSequence({ steps: 4, stepMs: 300, randomInt: seeded(11) });
    assert.notDeepEqual(asked.map((c) => c.rgb), other.map((c) => c.rgb));
    const s = scoreFlash(reflect(other, 1000, 150, 0.08), asked, 1000, 100);
    assert.equal(s.passed, false, `correlation ${s.correlation}`);
  });

  it('scoreFlash() fails a response faster than half the RTT allows (answered before the colours arrived)', () => {
    const seq = generateFlashSequence({ steps: 4, stepMs: 300, randomInt: seeded(3) });
    const samples = reflect(seq, 1000, 0, 0.08);
    assert.equal(scoreFlash(samples, seq, 1000, 0).passed, true);
    const s = scoreFlash(samples, seq, 1000, 500);
    assert.equal(s.passed, false, `correlation ${s.correlation} at lag ${s.lagMs}`);
    // Nothing earlier than half a step before the window is searched.
    assert.ok(s.lagMs >= 250 + DEFAULT_FLASH_OPTIONS.minLagMs - flashSearchReachMs(seq), `lag ${s.lagMs}`);
  });

  it('scoreFlash() fails the sequence one step late at the session step, which a step shorter than the lag window would have passed', () => {
    // A relay exactly one step behind paints, during the asked step k, the
    // colour of step k - 1: at a lag one step later all but one step line up.
    const late = (stepMs: number): ReturnType<typeof scoreFlash> => {
      const seq = generateFlashSequence({ steps: 5, stepMs, randomInt: seeded(3) });
      return scoreFlash(reflect(seq, 1000, 60 + stepMs, 0.08), seq, 1000, 20);
    };
    assert.equal(late(300).passed, true, 'a 300 ms step sits inside the 440 ms lag window');
    const step = Math.max(DEFAULT_SESSION_OPTIONS.flashStepMs, minFlashStepMs());
    assert.ok(step > DEFAULT_FLASH_OPTIONS.maxLagMs - DEFAULT_FLASH_OPTIONS.minLagMs);
    const s = late(step);
    assert.equal(s.passed, false, `correlation ${s.correlation} at lag ${s.lagMs}, ${s.stepsMatched} steps`);
    // The same step on time passes.
    const seq = generateFlashSequence({ steps: 5, stepMs: step, randomInt: seeded(3) });
    assert.equal(scoreFlash(reflect(seq, 1000, 60, 0.08), seq, 1000, 20).passed, true);
  });

  it('scoreFlash() fails a response just past the window, though most of every step still overlaps it', () => {
    const step = Math.max(DEFAULT_SESSION_OPTIONS.flashStepMs, minFlashStepMs());
    const seq = generateFlashSequence({ steps: 5, stepMs: step, randomInt: seeded(9) });
    const edge = 10 + DEFAULT_FLASH_OPTIONS.maxLagMs;
    const inside = scoreFlash(reflect(seq, 1000, edge - 30, 0.08), seq, 1000, 20);
    assert.equal(inside.passed, true, `inside: correlation ${inside.correlation} at lag ${inside.lagMs}`);
    // 120 ms past the edge: at the edge 3/4 of each step lines up, but the best alignment lies outside.
    const late = scoreFlash(reflect(seq, 1000, edge + 120, 0.08), seq, 1000, 20);
    assert.equal(late.passed, false, `late: correlation ${late.correlation} at lag ${late.lagMs}`);
    assert.ok(late.lagMs > edge, `best lag ${late.lagMs} beyond the window edge ${edge}`);
  });

  it('scoreFlash() fails a guess that paints the asked colours one step off, at every timing the window allows', () => {
    const step = Math.max(DEFAULT_SESSION_OPTIONS.flashStepMs, minFlashStepMs());
    const asked = generateFlashSequence({ steps: 5, stepMs: step, randomInt: seeded(5) });
    const unused = FLASH_PALETTE.find((p) => !asked.some((c) => c.rgb === p))!;
    // [unused, a0, a1, a2, a3]: right for four steps, one step late.
    const shifted = asked.map((c, i) => ({ ...c, rgb: i === 0 ? unused : asked[i - 1]!.rgb }));
    for (let lag = 0; lag <= 600; lag += 25) {
      const s = scoreFlash(reflect(shifted, 1000, lag, 0.08), asked, 1000, 20);
      assert.equal(s.passed, false, `painted ${lag} ms after the send: correlation ${s.correlation} at lag ${s.lagMs}, ${s.stepsMatched} steps`);
    }
  });

  it('scoreFlash() caps the RTT it honours: a client holding its pongs back cannot buy time for a relayed reflection', () => {
    const seq = generateFlashSequence({ steps: 4, stepMs: 300, randomInt: seeded(3) });
    // Reflected 950 ms after the send: inside the window a claimed 1.4 s RTT would open, past the capped one.
    const samples = reflect(seq, 1000, 950, 0.08);
    const uncapped = scoreFlash(samples, seq, 1000, 1400, { ...DEFAULT_FLASH_OPTIONS, maxRttMs: Number.POSITIVE_INFINITY });
    assert.equal(uncapped.passed, true, `uncapped correlation ${uncapped.correlation}`);
    const capped = scoreFlash(samples, seq, 1000, 1400);
    assert.equal(capped.passed, false, `capped correlation ${capped.correlation} at lag ${capped.lagMs}`);
    assert.ok(capped.lagMs <= DEFAULT_FLASH_OPTIONS.maxRttMs / 2 + DEFAULT_FLASH_OPTIONS.maxLagMs + flashSearchReachMs(seq));
  });
});

describe('identity continuity', () => {
  it('IdentityTracker stays unchanged for one person with noisy samples', () => {
    const t = new IdentityTracker();
    for (let i = 0; i < 10; i++) assert.equal(t.add(identity(3, 0.02, i + 1)), false);
    assert.ok(t.state.minSimilarity > 0.9);
  });

  it('IdentityTracker reports a change after two consecutive samples of another person', () => {
    const t = new IdentityTracker();
    t.add(identity(3, 0.02, 1));
    t.add(identity(3, 0.02, 2));
    assert.equal(t.add(identity(9, 0.02, 3)), false);
    assert.equal(t.add(identity(9, 0.02, 4)), true);
    assert.equal(t.state.changed, true);
  });

  it('IdentityTracker forgives one bad sample', () => {
    const t = new IdentityTracker();
    t.add(identity(3, 0.02, 1));
    t.add(identity(3, 0.02, 2));
    t.add(identity(9, 0.02, 3));
    assert.equal(t.add(identity(3, 0.02, 4)), false);
  });
});

describe('passive', () => {
  it('aggregatePassive() reports a median that one outlier frame cannot move', () => {
    const a = aggregatePassive([0.9, 0.92, 0.91, 0.02, 0.93]);
    assert.equal(a.frames, 5);
    assert.equal(a.median, 0.91);
    assert.ok(a.p25 >= 0.9);
  });

  it('aggregatePassive() of no frames is NaN, not a pass', () => {
    assert.ok(Number.isNaN(aggregatePassive([]).median));
  });
});
