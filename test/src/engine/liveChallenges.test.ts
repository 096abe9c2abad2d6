// Live challenges a recording cannot answer by chance: blinks caused by their
// prompt (quiet period, reaction onset, drawn counts), the session plans that
// always include the flash where it can be painted and four challenges where
// it cannot, and the spacing that lets two turns in a row both be caused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextDueAt, sessionPlan, type PlannedChallenge } from '../../../src/engine/challengePlan.ts';
import { challengeFor } from '../../../src/engine/challenges/index.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessSession } from '../../../src/engine/LivenessSession.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../../src/engine/options.ts';
import { blinkQuiet, DEFAULT_BLINK_OPTIONS, scoreLiveBlinks, type EyeSample } from '../../../src/engine/signals/blink.ts';
import { toClientMessage } from '../../../src/engine/wire.ts';
import { obs, RecordingSink, type FaceSpec } from './fixtures.ts';

const B = DEFAULT_BLINK_OPTIONS;

/** 10 fps eye series over [0, endMs): both eyes closed (0.95) inside any of `closures` ([from, to) ms), open (0.05) elsewhere. */
function eyes(endMs: number, closures: readonly (readonly [number, number])[]): EyeSample[] {
  const out: EyeSample[] = [];
  for (let t = 0; t < endMs; t += 100) {
    const c = closures.some(([a, b]) => t >= a && t < b) ? 0.95 : 0.05;
    out.push({ t, leftClosed: c, rightClosed: c });
  }
  return out;
}

// Prompt issued at 2000, floor at 2160 (rtt 80: 40 + 120 ms), first onset by 2160 + 40 + 1500 = 3700.
const PROMPT = { issuedAt: 2000, notBefore: 2160, onsetEnd: 3700, count: 1 };

describe('live blink', () => {
  it('scoreLiveBlinks() passes a blink 400 ms after the prompt and reports when it began', () => {
    const s = scoreLiveBlinks(eyes(4000, [[2400, 2600]]), PROMPT);
    assert.equal(s.passed, true);
    assert.equal(s.cause, null);
    assert.equal(s.firstStart, 2400);
    assert.equal(s.firstAt, 2600);
  });

  it('scoreLiveBlinks() fails with pre_prompt_motion when the eyes closed in the quiet period before the prompt', () => {
    const s = scoreLiveBlinks(eyes(4000, [[1500, 1700], [2400, 2600]]), PROMPT);
    assert.equal(s.cause, 'pre_prompt_motion');
    assert.equal(s.passed, false);
  });

  it('scoreLiveBlinks() ignores a blink before the reaction floor and does not count one after the onset bound', () => {
    // 2100: after the prompt, before the floor (too fast to be a reaction): ignored, not a failure.
    assert.equal(scoreLiveBlinks(eyes(4000, [[2100, 2200]]), PROMPT).passed, false);
    assert.equal(scoreLiveBlinks(eyes(4000, [[2100, 2200]]), PROMPT).cause, null);
    assert.equal(scoreLiveBlinks(eyes(4000, [[2100, 2200], [2500, 2700]]), PROMPT).passed, true);
    // A recording that happens to blink 1.8 s after the floor: too late to be the answer, and later blinks do not count either.
    const late = scoreLiveBlinks(eyes(6000, [[3900, 4100], [4600, 4800]]), PROMPT);
    assert.equal(late.passed, false);
    assert.equal(late.chained, 0);
  });

  it('scoreLiveBlinks() answers "Blink twice" only with two blinks chained within maxGapMs', () => {
    const twice = { ...PROMPT, count: 2 };
    const s = scoreLiveBlinks(eyes(5000, [[2400, 2600], [2900, 3100]]), twice);
    assert.equal(s.passed, true);
    assert.equal(s.chained, 2);
    assert.equal(s.firstStart, 2400);
    assert.equal(s.firstAt, 3100);
    assert.equal(scoreLiveBlinks(eyes(5000, [[2400, 2600]]), twice).passed, false);
    // The second closure 1.4 s after the first reopened: two spontaneous blinks, not the answer.
    const apart = scoreLiveBlinks(eyes(6000, [[2400, 2600], [4000, 4200]]), twice);
    assert.equal(apart.passed, false);
    assert.equal(apart.chained, 1);
  });

  it('blinkQuiet() is false while a blink started within quietMs or the eyes are closing, true after; a long closure is no blink', () => {
    const series = eyes(3000, [[1000, 1200]]);
    assert.equal(blinkQuiet(series, 1100, B), false, 'closing now');
    assert.equal(blinkQuiet(series, 1000 + B.quietMs - 100, B), false);
    assert.equal(blinkQuiet(series, 1000 + B.quietMs + 100, B), true);
    // Eyes read closed for 1.5 s (a look down): not a blink, so no reason to wait once they read open again.
    assert.equal(blinkQuiet(eyes(3000, [[500, 2000]]), 2100, B), true);
    assert.equal(scoreLiveBlinks(eyes(4000, [[500, 1900], [2400, 2600]]), PROMPT).passed, true);
  });
});

/** A live session with `plan`; frames every 100 ms from `spec(t)` until it ends or `endMs`. */
async function runLive(plan: PlannedChallenge[], spec: (t: number, issued: readonly number[]) => FaceSpec, endMs = 30_000) {
  const sink = new RecordingSink();
  const s = new LivenessSession({ id: 'lc', kind: 'enrollment', subjectId: 'a', createdAt: 0, rttMs: 80, plan }, new InMemoryGallery(), sink);
  for (let t = 0; t < endMs && !s.terminal; t += 100) {
    await s.process(obs(t, spec(t, sink.of('challenge').map((m) => m.challenge.issuedAt))));
  }
  return { s, sink, issued: sink.of('challenge').map((m) => m.challenge) };
}

describe('live blink prompts in a session', () => {
  it('process() holds a blink prompt until the eyes stayed open for quietMs, then a caused blink answers it', async () => {
    // Spontaneous blinks at 300 and 900 ms; the prompt is due at 400 (capture done at the third frame, 200, + delay 200).
    const plan: PlannedChallenge[] = [{ kind: 'blink', delayMs: 200, windowMs: 5000 }];
    const { s, issued } = await runLive(plan, (t, at) => {
      const k = at[0] === undefined ? null : t - at[0];
      const closed = (t >= 300 && t < 500) || (t >= 900 && t < 1100) || (k !== null && k >= 500 && k < 700);
      return { closed: closed ? 0.95 : 0.05 };
    });
    assert.ok(issued[0]!.issuedAt >= 900 + B.quietMs, `issued at ${issued[0]!.issuedAt}`);
    assert.equal(s.decision?.outcome, 'succeeded', `reason ${s.decision?.reason}`);
  });

  it('process() fails a source that blinks every 600 ms: the prompt waits maxQuietWaitMs, then the blink before it fails it', async () => {
    const plan: PlannedChallenge[] = [{ kind: 'blink', delayMs: 200, windowMs: 5000 }];
    const { s, issued } = await runLive(plan, (t) => ({ closed: t % 600 >= 300 && t % 600 < 500 ? 0.95 : 0.05 }));
    assert.ok(issued[0]!.issuedAt >= 400 + B.maxQuietWaitMs, `issued at ${issued[0]!.issuedAt}`);
    assert.equal(s.decision?.outcome, 'failed');
    assert.equal(s.decision?.reason, 'challenge_failed');
    assert.equal(s.decision?.signals.blink.values.prePromptMotion, 1);
  });

  it('toClientMessage() words a drawn count: "Blink twice"', async () => {
    const plan: PlannedChallenge[] = [{ kind: 'blink', delayMs: 200, windowMs: 5000, count: 2 }];
    const { sink } = await runLive(plan, () => ({}), 1500);
    const prompt = toClientMessage(sink.of('challenge')[0]!);
    assert.equal(prompt?.type === 'prompt' && prompt.text, 'Blink twice');
    assert.equal(prompt?.type === 'prompt' && prompt.action, 'blink');
    assert.equal(challengeFor('blink').prompt('blink', 3), 'Blink three times');
  });
});

describe('session plans', () => {
  const family = (p: PlannedChallenge): string => (p.kind === 'blink' ? 'blink' : p.kind === 'color_flash' ? 'flash' : 'turn');

  it('sessionPlan() always includes the colour flash where the transport paints, with count - 1 others', () => {
    for (let i = 0; i < 100; i++) {
      const p = sessionPlan({ flash: true, count: 2 });
      assert.equal(p.length, 2);
      assert.equal(p.filter((c) => c.kind === 'color_flash').length, 1);
    }
  });

  it('sessionPlan() draws two blinks and two turns where it cannot paint, blink counts 1..3, order and sides varying', () => {
    const orders = new Set<string>();
    const counts = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const p = sessionPlan({ flash: false });
      assert.equal(p.length, 4);
      assert.deepEqual(p.map(family).sort(), ['blink', 'blink', 'turn', 'turn']);
      for (const c of p) if (c.kind === 'blink') counts.add(c.count ?? 1);
      orders.add(p.map((c) => c.kind).join(','));
    }
    assert.deepEqual([...counts].sort(), [1, 2, 3]);
    assert.ok(orders.size >= 12, [...orders].join(' '));
  });

  it('nextDueAt() puts a turn after a turn no sooner than turn.quietMs after the answer; other families only wait their delay', () => {
    const o = DEFAULT_SESSION_OPTIONS;
    const turn: PlannedChallenge = { kind: 'turn_right', delayMs: 300, windowMs: 6000 };
    assert.equal(nextDueAt(5000, turn, 'turn_left', 4900, o), 4900 + o.turn.quietMs);
    assert.equal(nextDueAt(5000, turn, 'blink', 4900, o), 5300);
  });

  it('process() passes two turns in a row: the first answer never reads as motion before the second prompt', async () => {
    const plan: PlannedChallenge[] = [
      { kind: 'turn_left', delayMs: 300, windowMs: 6000 },
      { kind: 'turn_right', delayMs: 200, windowMs: 6000 },
    ];
    const { s, issued } = await runLive(plan, (t, at) => {
      const k = at.length === 0 ? null : t - at[at.length - 1]!;
      if (k === null || k <= 400 || k >= 1200) return {};
      return { ratio: at.length === 1 ? 0.85 : 0.15, frontalness: 0.3 };
    });
    assert.equal(issued.length, 2);
    assert.equal(s.decision?.outcome, 'succeeded', `reason ${s.decision?.reason} ${JSON.stringify(s.decision?.signals.head_turn.values)}`);
  });
});
