import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedChallenge } from '../../../src/engine/challengePlan.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessSession, type SessionInit } from '../../../src/engine/LivenessSession.ts';
import { DEFAULT_PLAN_OPTIONS, DEFAULT_SESSION_OPTIONS } from '../../../src/engine/options.ts';
import { minFlashStepMs } from '../../../src/engine/signals/colorFlash.ts';
import type { Observation } from '../../../src/engine/types.ts';
import { identity, obs, RecordingSink, type FaceSpec } from './fixtures.ts';

const BLINK: PlannedChallenge[] = [{ kind: 'blink', delayMs: 300, windowMs: 3000 }];
const TURN_LEFT: PlannedChallenge[] = [{ kind: 'turn_left', delayMs: 300, windowMs: 3000 }];

/** A session whose random plan is replaced by `plan` (still live: prompts and reaction floor apply). */
function liveSession(kind: SessionInit['kind'], plan: PlannedChallenge[], opts: { subjectId?: string; rttMs?: number; gallery?: InMemoryGallery } = {}) {
  const sink = new RecordingSink();
  const gallery = opts.gallery ?? new InMemoryGallery();
  const s = new LivenessSession(
    { id: 's1', kind, createdAt: 0, ...(opts.subjectId ? { subjectId: opts.subjectId } : {}), rttMs: opts.rttMs ?? 80, plan },
    gallery,
    sink,
  );
  return { s, sink, gallery };
}

async function feed(s: LivenessSession, from: number, to: number, spec: (t: number) => FaceSpec, step = 100): Promise<number> {
  let t = from;
  for (; t < to && !s.terminal; t += step) await s.process(obs(t, spec(t)));
  return t;
}

/** Feeds frames until a challenge is issued; returns its issue time. */
async function untilChallenge(s: LivenessSession, sink: RecordingSink, spec: FaceSpec = {}): Promise<number> {
  let t = 0;
  while (sink.of('challenge').length === 0) {
    await s.process(obs(t, spec));
    t += 100;
    assert.ok(t < 5000, 'no challenge was issued');
  }
  return sink.of('challenge')[0]!.challenge.issuedAt;
}

describe('LivenessSession', () => {
  it('process() walks created -> capturing -> challenging -> deciding -> succeeded for an enrolment with a blink', async () => {
    const { s, sink, gallery } = liveSession('enrollment', BLINK, { subjectId: 'alice' });
    const issued = await untilChallenge(s, sink);
    // Blink 400 ms after the prompt (a human reaction), then keep looking.
    await feed(s, issued + 100, issued + 3000, (t) => ({ closed: t >= issued + 400 && t < issued + 600 ? 0.95 : 0.05 }));
    const states = sink.of('state').map((m) => m.state);
    assert.deepEqual(states, ['connected', 'capturing', 'challenging', 'deciding', 'succeeded']);
    const d = s.decision!;
    assert.equal(d.outcome, 'succeeded');
    assert.equal(d.reason, undefined);
    assert.equal(d.signals.blink.passed, true);
    assert.equal(d.signals.artefacts.passed, true);
    assert.equal(d.signals.motion.passed, true);
    assert.equal(d.template?.length, 512);
    // The engine never writes templates: the caller commits the decision's.
    assert.equal(await gallery.size(), 0);
    assert.equal(await gallery.commit(d), true);
    assert.equal(await gallery.size(), 1);
    assert.ok(d.timings.firstFrameToVerdictMs! > 0);
    assert.equal(d.timings.challenges[0]!.passed, true);
    assert.ok(d.timings.challenges[0]!.reactionMs! >= DEFAULT_SESSION_OPTIONS.minReactionMs);
    // Every signal is in the decision, evaluated or not.
    assert.deepEqual(Object.keys(d.signals).sort(), ['artefacts', 'blink', 'color_flash', 'depth', 'head_turn', 'identity', 'injection', 'motion', 'passive', 'reaction'].sort());
    assert.equal(d.signals.color_flash.evaluated, false);
  });

  it('process() ignores a blink earlier than the prompt could arrive plus a human reaction', async () => {
    const { s, sink } = liveSession('enrollment', BLINK, { subjectId: 'a', rttMs: 400 });
    const issued = await untilChallenge(s, sink);
    // Blink 100-200 ms after sending: before rtt/2 (200) + 120 ms reaction: too fast to be an answer.
    await feed(s, issued + 100, issued + 15_000, (t) => ({ closed: t >= issued + 100 && t < issued + 200 ? 0.95 : 0.05 }));
    assert.equal(s.decision?.reason, 'challenge_timeout');
  });

  it('process() fails with challenge_timeout when the challenge is not answered in time and attempts run out', async () => {
    const { s, sink } = liveSession('enrollment', BLINK, { subjectId: 'a' });
    await untilChallenge(s, sink);
    await feed(s, 1000, 20_000, () => ({}));
    assert.equal(s.state, 'failed');
    assert.equal(s.decision?.reason, 'challenge_timeout');
    // maxAttempts = 2: a second challenge was drawn after the first timed out.
    assert.equal(sink.of('challenge').length, 2);
    assert.equal(s.decision?.timings.challenges.every((c) => !c.passed), true);
  });

  it('tick() fails an unanswered challenge when frames stop arriving', async () => {
    const { s, sink } = liveSession('enrollment', BLINK, { subjectId: 'a' });
    const issued = await untilChallenge(s, sink);
    s.tick(issued + 3000 + 200);
    assert.equal(s.terminal, false, 'first attempt failed, a retry is scheduled');
    await feed(s, issued + 3300, issued + 4500, () => ({}));
    const second = sink.of('challenge')[1]!.challenge;
    s.tick(second.deadline + 1);
    assert.equal(s.decision?.reason, 'challenge_timeout');
  });

  it('process() passes a turn to the asked side and fails one to the other side', async () => {
    for (const [side, expect] of [
      [0.85, 'succeeded'],
      [0.15, 'failed'],
    ] as const) {
      const { s, sink } = liveSession('enrollment', TURN_LEFT, { subjectId: 'a' });
      const issued = await untilChallenge(s, sink);
      await feed(s, issued + 100, issued + 15_000, (t) => {
        const k = t - issued;
        return k > 400 && k < 1200 ? { ratio: side, frontalness: 0.3 } : {};
      });
      assert.equal(s.decision?.outcome, expect, `ratio ${side}`);
      if (expect === 'succeeded') {
        assert.equal(s.decision?.signals.head_turn.passed, true);
        assert.equal(s.decision?.signals.depth.passed, true);
      }
    }
  });

  describe('a live turn counts only when the prompt caused it', () => {
    const TURNED = { ratio: 0.85, frontalness: 0.3 };
    /**
     * Frames every 100 ms: `before(k)` relative to entering `challenging` until the
     * prompt (2 s later), then `after(k)` relative to the prompt. Returns the session's first challenge issue time.
     */
    async function run(plan: PlannedChallenge[], before: (k: number) => FaceSpec, after: (k: number) => FaceSpec) {
      const { s, sink } = liveSession('enrollment', plan, { subjectId: 'a' });
      let challengingAt: number | null = null;
      for (let t = 0; t < 30_000 && !s.terminal; t += 100) {
        const issued = sink.of('challenge')[0]?.challenge.issuedAt;
        await s.process(obs(t, issued !== undefined ? after(t - issued) : challengingAt !== null ? before(t - challengingAt) : {}));
        challengingAt ??= sink.of('state').find((m) => m.state === 'challenging')?.t ?? null;
      }
      return { d: s.decision!, sink, issued: sink.of('challenge')[0]!.challenge.issuedAt };
    }
    const LEFT: PlannedChallenge[] = [{ kind: 'turn_left', delayMs: 2000, windowMs: 3000 }];
    const turnAt = (from: number, to: number, spec: FaceSpec = TURNED) => (k: number): FaceSpec => (k > from && k < to ? spec : {});

    it('process() passes a turn to the asked side 400 ms after the prompt, and back', async () => {
      const { d } = await run(LEFT, () => ({}), turnAt(400, 1200));
      assert.equal(d.outcome, 'succeeded', `reason ${d.reason}`);
      assert.equal(d.signals.head_turn.passed, true);
    });

    it('process() fails the same turn when the face already turned in the 1.5 s before the prompt', async () => {
      // (The retry comes after a random delay, which the turn may answer: only the first prompt is judged here.)
      const { d } = await run(LEFT, turnAt(800, 1400), turnAt(400, 1200));
      assert.equal(d.timings.challenges[0]?.passed, false, 'the prompted turn did not answer the first prompt');
    });

    it('process() fails a turn to the other side at once, before the window closes', async () => {
      const { d, sink, issued } = await run(LEFT, () => ({}), turnAt(400, 1200, { ratio: 0.15, frontalness: 0.3 }));
      assert.equal(d.outcome, 'failed');
      assert.equal(d.timings.challenges[0]?.passed, false);
      const retry = sink.of('challenge')[1];
      assert.ok(retry && retry.challenge.issuedAt < issued + 3000, 'the wrong side failed the first prompt before its deadline');
    });

    it('process() fails a turn that never comes back', async () => {
      const { d } = await run(LEFT, () => ({}), (k) => (k > 400 ? TURNED : {}));
      assert.equal(d.outcome, 'failed');
      assert.equal(d.signals.head_turn.passed, false);
    });

    it('process() fails a turn that starts later than a human reaction after the prompt', async () => {
      const slow: PlannedChallenge[] = [{ kind: 'turn_left', delayMs: 2000, windowMs: 8000 }];
      const { d, sink, issued } = await run(slow, () => ({}), turnAt(3500, 4300));
      assert.equal(d.timings.challenges[0]?.passed, false);
      const retry = sink.of('challenge')[1];
      // The retry is issued 200-800 ms (DEFAULT_PLAN_OPTIONS min/maxDelayMs) after the failure, on the next
      // frame: a retry before issued + 3500 + 200 proves the first prompt failed before the late turn began.
      assert.ok(retry && retry.challenge.issuedAt < issued + 3500 + DEFAULT_PLAN_OPTIONS.minDelayMs, 'the first prompt failed before the late turn, not at its 8 s deadline');
    });
  });

  it('process() takes no identity sample from a turned face the pose model calls frontal (regression: low-bitrate profile read as identity_changed)', async () => {
    const { s, sink } = liveSession('enrollment', TURN_LEFT, { subjectId: 'a' });
    const issued = await untilChallenge(s, sink);
    await feed(s, issued + 100, issued + 15_000, (t) => {
      const k = t - issued;
      // Turned well past turnRatio, yet frontalness 0.9 and an embedding far from the reference.
      return k > 400 && k < 1600 ? { ratio: 0.85, frontalness: 0.9, embedding: identity(7, 0.02, t) } : {};
    });
    assert.equal(s.decision?.outcome, 'succeeded', `reason ${s.decision?.reason}`);
    assert.equal(s.decision?.signals.identity.passed, true);
  });

  it('process() fails with identity_changed when the face becomes another person', async () => {
    const { s, sink } = liveSession('enrollment', BLINK, { subjectId: 'a' });
    const issued = await untilChallenge(s, sink, { embedding: identity(1, 0.02, 5) });
    await feed(s, issued + 100, issued + 5000, (t) => ({ embedding: identity(t < issued + 1000 ? 1 : 7, 0.02, t) }));
    assert.equal(s.decision?.reason, 'identity_changed');
    assert.equal(s.decision?.signals.identity.passed, false);
  });

  it('process() fails with multiple_faces after three frames with two faces', async () => {
    const { s } = liveSession('identification', BLINK);
    await feed(s, 0, 1000, (t) => ({ faceCount: t >= 300 ? 2 : 1 }));
    assert.equal(s.decision?.reason, 'multiple_faces');
    assert.equal(s.decision?.timings.verdictAt, 500);
  });

  it('process() fails a still image (no pixel change) with liveness_failed', async () => {
    const { s } = liveSession('identification', BLINK);
    const still = obs(0);
    for (let t = 0; t < 3000 && !s.terminal; t += 100) {
      const a = still.artefacts!;
      await s.process({ ...still, t, artefacts: { ...a, temporalDiff: t === 0 ? Number.NaN : 0, cellDiff: t === 0 ? Number.NaN : 0 } });
    }
    assert.equal(s.decision?.reason, 'liveness_failed');
    assert.equal(s.decision?.signals.motion.passed, false);
  });

  it('process() fails with spoof_suspected when screen edges frame the face', async () => {
    // A displayed face: the passive model does not vouch for it (replays read 0.00-0.22 on the clips).
    const { s } = liveSession('identification', BLINK);
    await feed(s, 0, 3000, () => ({ artefacts: { edgeFrame: 0.8 }, live: 0.1 }));
    assert.equal(s.decision?.reason, 'spoof_suspected');
    assert.ok(s.decision!.spoofScore >= 0.5);
  });

  it('process() does not count straight edges around a face the passive model vouches for (a window or door frame)', async () => {
    const { s, sink } = liveSession('enrollment', BLINK, { subjectId: 'a' });
    const issued = await untilChallenge(s, sink, { artefacts: { edgeFrame: 0.8 }, live: 0.95 });
    await feed(s, issued + 100, issued + 3000, (t) => ({ artefacts: { edgeFrame: 0.8 }, live: 0.95, closed: t >= issued + 400 && t < issued + 600 ? 0.95 : 0.05 }));
    assert.equal(s.decision?.outcome, 'succeeded', `reason ${s.decision?.reason}`);
    assert.equal(s.decision?.signals.artefacts.values['edgeFrame'], 0.8, 'the cue is still measured and reported');
    // Glare is no room feature: the vouch leaves it counting.
    const glare = liveSession('identification', BLINK);
    await feed(glare.s, 0, 3000, () => ({ artefacts: { glare: 0.2 }, live: 0.95 }));
    assert.equal(glare.s.decision?.reason, 'spoof_suspected');
  });

  it('process() fails with the commonest gate reason when no good frame arrives', async () => {
    const { s, sink } = liveSession('identification', BLINK);
    await feed(s, 0, 12_000, () => ({ size: 40 }));
    assert.equal(s.decision?.reason, 'face_too_small');
    assert.equal(sink.of('prompt')[0]?.prompt, 'move_closer');
    const { s: s2 } = liveSession('identification', BLINK);
    await feed(s2, 0, 12_000, () => ({ faceCount: 0 }));
    assert.equal(s2.decision?.reason, 'no_face');
  });

  it('process() gates eyes covered for 500 ms as occluded with the eye-crop values, a blink-long dip not', async () => {
    const { s, sink } = liveSession('identification', [{ kind: 'blink', delayMs: 300, windowMs: 30_000 }]);
    const open = { eyeLuma: 0.6, eyeContrast: 0.25 };
    const covered = { eyeLuma: 0.12, eyeContrast: 0.01 };
    // A 300 ms dip (closed eyes read flat too) is not an occlusion.
    await feed(s, 0, 1000, (t) => ({ eyeCrop: t >= 400 && t < 700 ? { eyeLuma: 0.7, eyeContrast: 0.05 } : open }));
    assert.equal(sink.of('prompt').length, 0);
    await feed(s, 1000, 12_000, () => ({ eyeCrop: covered }));
    const p = sink.of('prompt')[0];
    assert.equal(p?.gate, 'occluded');
    assert.equal(p?.prompt, 'uncover_face');
    assert.equal(p?.t, 1500, 'after 500 ms of covered eyes');
    assert.deepEqual(p?.values, { eyeLuma: 0.12, eyeContrast: 0.01 });
    assert.equal(s.decision?.reason, 'occluded');
    assert.equal(s.decision?.gate?.values.eyeLuma, 0.12);
    assert.ok((s.decision?.gate?.verdicts.occluded ?? 0) > 50);
  });

  it('process() fails with poor_quality when challenges pass but no frame is frontal enough for an identity sample', async () => {
    const { s, sink } = liveSession('enrollment', BLINK, { subjectId: 'a' });
    // Frontal enough for the gate (0.45) but never for an embedding sample (0.6).
    const issued = await untilChallenge(s, sink, { frontalness: 0.5 });
    await feed(s, issued + 100, issued + 15_000, (t) => ({ frontalness: 0.5, closed: t >= issued + 400 && t < issued + 600 ? 0.95 : 0.05 }));
    assert.equal(s.decision?.signals.blink.passed, true);
    assert.equal(s.decision?.reason, 'poor_quality');
  });

  it('verification succeeds for the enrolled subject and fails with no_match for another', async () => {
    const gallery = new InMemoryGallery();
    await gallery.add('alice', identity(2));
    await gallery.add('bob', identity(4));
    for (const [who, k, expect] of [
      ['alice', 2, 'succeeded'],
      ['alice', 4, 'failed'],
    ] as const) {
      const { s, sink } = liveSession('verification', BLINK, { subjectId: who, gallery });
      const issued = await untilChallenge(s, sink, { embedding: identity(k, 0.02, 1) });
      await feed(s, issued + 100, issued + 3000, (t) => ({ embedding: identity(k, 0.02, t), closed: t >= issued + 400 && t < issued + 600 ? 0.95 : 0.05 }));
      assert.equal(s.decision?.outcome, expect);
      if (expect === 'failed') assert.equal(s.decision?.reason, 'no_match');
      else assert.equal(s.decision?.match?.subjectId, 'alice');
    }
  });

  it('identification returns the best subject above threshold and no one below (open set)', async () => {
    const gallery = new InMemoryGallery();
    await gallery.add('alice', identity(2));
    await gallery.add('bob', identity(4));
    for (const [k, expect] of [
      [4, 'bob'],
      [9, null],
    ] as const) {
      const { s, sink } = liveSession('identification', BLINK, { gallery });
      const issued = await untilChallenge(s, sink, { embedding: identity(k, 0.02, 1) });
      await feed(s, issued + 100, issued + 3000, (t) => ({ embedding: identity(k, 0.02, t), closed: t >= issued + 400 && t < issued + 600 ? 0.95 : 0.05 }));
      assert.equal(s.decision?.match?.subjectId ?? null, expect);
      if (expect === null) {
        assert.equal(s.decision?.reason, 'no_match');
        assert.ok(s.decision!.bestSimilarity! < DEFAULT_SESSION_OPTIONS.matchThreshold);
      }
    }
  });

  it('cancel() and expire() end a live session once, with their reason', () => {
    const { s, sink } = liveSession('identification', BLINK);
    s.cancel(5);
    s.expire(6);
    assert.equal(s.state, 'cancelled');
    assert.equal(s.decision?.reason, 'cancelled');
    assert.equal(sink.of('result').length, 1);
  });

  it('process() rejects an observation without a finite time and drops out-of-order frames', async () => {
    const { s } = liveSession('identification', BLINK);
    await assert.rejects(s.process({ ...obs(0), t: Number.NaN } as Observation), TypeError);
    await s.process(obs(500));
    await s.process(obs(400));
    assert.equal(s.decision, undefined);
  });

  it('the constructor rejects verification without a subject', () => {
    assert.throws(() => new LivenessSession({ id: 'x', kind: 'verification', createdAt: 0 }, new InMemoryGallery(), new RecordingSink()), TypeError);
  });

  it('a colour-flash challenge passes when the skin follows the sequence and fails when it does not', async () => {
    const FLASH: PlannedChallenge[] = [{ kind: 'color_flash', delayMs: 200, windowMs: 4000 }];
    for (const react of [true, false]) {
      const { s, sink } = liveSession('identification', FLASH, { rttMs: 100 });
      const issued = await untilChallenge(s, sink);
      const colors = sink.of('challenge')[0]!.challenge.colors!;
      assert.ok(colors.length >= 2);
      await feed(s, issued + 100, issued + 12_000, (t) => {
        const rel = t - issued - 150;
        const c = colors.find((x) => rel >= x.startMs && rel < x.startMs + x.durationMs);
        const rgb = [150, 110, 90].map((b, k) => b + (react && c ? 0.1 * c.rgb[k]! : 0)) as [number, number, number];
        return { artefacts: { skinRgb: rgb } };
      });
      const f = s.decision!.signals.color_flash;
      assert.equal(f.evaluated, true);
      assert.equal(f.passed, react);
      if (!react) assert.equal(s.decision!.reason, 'challenge_failed');
    }
  });

  it('markSent() times the colour flash from when the prompt left: a reflection 500 ms after the issuing frame passes only when the send is reported', async () => {
    const FLASH: PlannedChallenge[] = [{ kind: 'color_flash', delayMs: 200, windowMs: 4000 }];
    for (const reported of [true, false]) {
      const { s, sink } = liveSession('identification', FLASH, { rttMs: 100 });
      const issued = await untilChallenge(s, sink);
      const c = sink.of('challenge')[0]!.challenge;
      // Analysis and queueing held the prompt back 500 ms after its frame's capture.
      const sentAt = issued + 500;
      if (reported) s.markSent(c.id, sentAt);
      s.markSent('not-this-challenge', issued + 3000);
      await feed(s, issued + 100, issued + 12_000, (t) => {
        const rel = t - sentAt - 50 - 120; // rtt/2, then display + camera latency
        const step = c.colors!.find((x) => rel >= x.startMs && rel < x.startMs + x.durationMs);
        return { artefacts: { skinRgb: [150, 110, 90].map((b, k) => b * (1 + (step ? 0.15 * (step.rgb[k]! / 255) : 0))) as [number, number, number] } };
      });
      const f = s.decision!.signals.color_flash;
      assert.equal(f.passed, reported, JSON.stringify(f.values));
      if (reported) {
        assert.ok(Math.abs((f.values['latencyMs'] as number) - 120) <= 60, JSON.stringify(f.values));
        // The flash's lag is optics, not a human reaction: no reaction time is recorded for it.
        assert.equal(s.decision!.timings.challenges[0]!.reactionMs, null);
      } else {
        assert.equal(s.decision!.reason, 'challenge_failed');
      }
    }
  });

  it('the colour-flash window follows the session\'s fastest RTT: a slow sample (held-back pongs) does not let a reflection 700 ms late pass', async () => {
    const FLASH: PlannedChallenge[] = [{ kind: 'color_flash', delayMs: 200, windowMs: 4000 }];
    const { s, sink } = liveSession('identification', FLASH, { rttMs: 40 });
    const issued = await untilChallenge(s, sink);
    const c = sink.of('challenge')[0]!.challenge;
    s.markSent(c.id, issued);
    s.setRtt(1000);
    // Long enough for the flash, its retry and both notices (flash.noticeMs before each first colour).
    await feed(s, issued + 100, issued + 12_000, (t) => {
      const rel = t - issued - 20 - 700;
      const step = c.colors!.find((x) => rel >= x.startMs && rel < x.startMs + x.durationMs);
      return { artefacts: { skinRgb: [150, 110, 90].map((b, k) => b * (1 + (step ? 0.15 * (step.rgb[k]! / 255) : 0))) as [number, number, number] } };
    });
    const f = s.decision!.signals.color_flash;
    assert.equal(f.passed, false, JSON.stringify(f.values));
    assert.equal(f.values['rttMs'], 40);
    assert.equal(f.values['rttLastMs'], 1000);
  });

  it('colour-flash steps stretch to the analysed cadence: frames every 300 ms give 750 ms steps, and the deadline covers the sequence', async () => {
    const FLASH: PlannedChallenge[] = [{ kind: 'color_flash', delayMs: 200, windowMs: 4000 }];
    const { s, sink } = liveSession('identification', FLASH, { rttMs: 40 });
    for (let t = 0; sink.of('challenge').length === 0; t += 300) {
      await s.process(obs(t));
      assert.ok(t < 10_000, 'no challenge was issued');
    }
    const c = sink.of('challenge')[0]!.challenge;
    assert.deepEqual(c.colors!.map((x) => x.durationMs), [750, 750, 750, 750, 750]);
    assert.ok(c.deadline - c.issuedAt >= 5 * 750 + DEFAULT_SESSION_OPTIONS.flash.maxLagMs + 750 / 2, `deadline ${c.deadline - c.issuedAt} ms after issue`);
    const fast = liveSession('identification', FLASH, { rttMs: 40 });
    await untilChallenge(fast.s, fast.sink);
    // At 10 fps the session's shortest step: longer than the flash's lag window is wide.
    const shortest = fast.sink.of('challenge')[0]!.challenge.colors![0]!.durationMs;
    assert.equal(shortest, DEFAULT_SESSION_OPTIONS.flashStepMs);
    assert.ok(shortest >= minFlashStepMs(DEFAULT_SESSION_OPTIONS.flash));
  });
});
