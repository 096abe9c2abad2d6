// The no-flash/no-gesture path (SessionInit.noGesture): no challenge is asked,
// the session observes noGestureObserveMs after capture and decides on the
// passive checks; where they all hold it ends failed with step_up_required
// (never succeeded, no template), and a failed passive check keeps its own reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessSession, type SessionInit } from '../../../src/engine/LivenessSession.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../../src/engine/options.ts';
import { identity, obs, RecordingSink, type FaceSpec } from './fixtures.ts';

function noGestureSession(kind: SessionInit['kind'], opts: { subjectId?: string; gallery?: InMemoryGallery; init?: Partial<SessionInit> } = {}) {
  const sink = new RecordingSink();
  const gallery = opts.gallery ?? new InMemoryGallery();
  const s = new LivenessSession(
    { id: 'ng1', kind, createdAt: 0, ...(opts.subjectId ? { subjectId: opts.subjectId } : {}), rttMs: 80, noGesture: true, ...opts.init },
    gallery,
    sink,
  );
  return { s, sink, gallery };
}

/** Frames every 100 ms until the session decides (bounded: 10 s of frames). */
async function run(s: LivenessSession, spec: (t: number) => FaceSpec = () => ({})): Promise<number> {
  let t = 0;
  for (; t < 10_000 && !s.terminal; t += 100) await s.process(obs(t, spec(t)));
  assert.ok(s.terminal, 'the session never decided');
  return t;
}

describe('the no-gesture path', () => {
  it('verification of the enrolled subject asks nothing, observes noGestureObserveMs and ends in step_up_required with the match', async () => {
    const gallery = new InMemoryGallery();
    await gallery.add('alice', identity(2));
    const { s, sink } = noGestureSession('verification', { subjectId: 'alice', gallery });
    assert.deepEqual(s.plan, []);
    const end = await run(s, (t) => ({ embedding: identity(2, 0.02, t) }));
    assert.equal(sink.of('challenge').length, 0, 'no challenge is prompted');
    const d = s.decision!;
    assert.equal(d.outcome, 'failed');
    assert.equal(d.reason, 'step_up_required');
    assert.equal(d.match?.subjectId, 'alice');
    assert.ok(d.match!.similarity >= DEFAULT_SESSION_OPTIONS.matchThreshold);
    assert.equal(d.signals.blink.evaluated, false);
    assert.equal(d.signals.color_flash.evaluated, false);
    assert.equal(d.signals.motion.passed, true);
    assert.equal(d.signals.artefacts.passed, true);
    // Capture (3 good frames) then the observation period, not a decision on the first frames.
    assert.ok(end >= DEFAULT_SESSION_OPTIONS.noGestureObserveMs, `decided at ${end} ms`);
    assert.deepEqual(sink.of('state').map((m) => m.state), ['connected', 'capturing', 'challenging', 'deciding', 'failed']);
  });

  it('an enrollment never carries a template: nothing can be committed from the step-up', async () => {
    const { s, gallery } = noGestureSession('enrollment', { subjectId: 'bob' });
    await run(s);
    assert.equal(s.decision?.reason, 'step_up_required');
    assert.equal(s.decision?.template, undefined);
    assert.equal(await gallery.commit(s.decision!), false);
    assert.equal(await gallery.size(), 0);
  });

  it('another face than the claimed subject is no_match, not a step-up', async () => {
    const gallery = new InMemoryGallery();
    await gallery.add('alice', identity(2));
    const { s } = noGestureSession('verification', { subjectId: 'alice', gallery });
    await run(s, (t) => ({ embedding: identity(5, 0.02, t) }));
    assert.equal(s.decision?.reason, 'no_match');
  });

  it('a still picture is liveness_failed and screen edges are spoof_suspected: a failed passive check keeps its reason', async () => {
    const still = noGestureSession('identification');
    const frame = obs(0);
    for (let t = 0; t < 6000 && !still.s.terminal; t += 100) {
      await still.s.process({ ...frame, t, artefacts: { ...frame.artefacts!, temporalDiff: t === 0 ? Number.NaN : 0, cellDiff: t === 0 ? Number.NaN : 0 } });
    }
    assert.equal(still.s.decision?.reason, 'liveness_failed');

    const screen = noGestureSession('identification');
    await run(screen.s, () => ({ artefacts: { edgeFrame: 0.6 }, live: 0.05 }));
    assert.equal(screen.s.decision?.reason, 'spoof_suspected');
  });

  it('a fixed (recorded) schedule wins over noGesture: the flag never removes a test schedule', () => {
    const { s } = noGestureSession('identification', { init: { fixedSchedule: [{ kind: 'blink', delayMs: 0, windowMs: 3000 }] } });
    assert.equal(s.plan.length, 1);
  });
});
