// The liveness engine on real recorded clips (../shared/video) with the real
// face analyzer and ffmpeg: the targets of the liveness issue, plus a photo
// held still, a spliced identity swap and an unanswered challenge.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../../models/decodeImage.ts';
import { FaceAnalyzer } from '../../../models/FaceAnalyzer.ts';
import { ClipEvaluator, LIVENESS_REASONS, verdictTimes } from '../../../scripts/eval/lib/clipEval.ts';
import { CLIP_SCHEDULES, runTape } from '../../../scripts/eval/lib/clipRunner.ts';
import { decodeClip, type TimedFrame } from '../../../scripts/eval/lib/decodeClip.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessEngine } from '../../../src/engine/LivenessEngine.ts';
import { ManualClock } from '../../../src/engine/ManualClock.ts';
import { ObservationTape } from '../../../scripts/eval/lib/ObservationTape.ts';
import { RecordingSink } from './fixtures.ts';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared');
const VIDEO = path.join(SHARED, 'video');
const present = existsSync(path.join(VIDEO, 'genuine')) && existsSync(path.join(VIDEO, 'attack'));

describe('liveness on recorded clips', { skip: present ? false : 'needs ../shared/video' }, () => {
  let analyzer: FaceAnalyzer;
  let evaluator: ClipEvaluator;
  const tapes: ObservationTape[] = [];

  before(async () => {
    analyzer = await FaceAnalyzer.create({});
    evaluator = new ClipEvaluator(analyzer);
  });
  after(async () => {
    for (const t of tapes) await t.close();
    await evaluator?.close();
    await analyzer?.close();
  });

  it('ClipEvaluator.directory() rejects every attack clip and accepts the genuine clips within BPCER 15%', async () => {
    const r = await evaluator.directory(VIDEO);
    const attacks = r.clips.filter((c) => c.label === 'attack');
    const genuine = r.clips.filter((c) => c.label === 'genuine');
    // ../shared/video: 16 genuine and 7 attack clips (MANIFEST.tsv); injection/ is reported apart.
    assert.equal(attacks.length, 7);
    assert.equal(genuine.length, 16);
    for (const a of attacks) assert.equal(a.verdict, 'reject', `${a.name} accepted`);
    // Every attack is rejected by a liveness signal, also where a quality gate stopped its session first.
    for (const a of attacks) {
      assert.ok(a.liveness && a.liveness.verdict === 'reject' && a.liveness.reason !== null && LIVENESS_REASONS.includes(a.liveness.reason), `${a.name}: ${JSON.stringify(a.liveness)}`);
    }
    assert.equal(r.apcer, 0);
    assert.ok(r.bpcer <= 0.15, `BPCER ${r.bpcer}: ${genuine.filter((g) => g.verdict === 'reject').map((g) => `${g.name}:${g.reason}`).join(', ')}`);
    for (const c of genuine) {
      for (const k of ['passive', 'artefacts', 'motion', 'identity']) assert.equal(typeof c.scores[k], 'number', `${c.name} has no ${k} score`);
    }
    // Cooperative genuine clips reach a verdict quickly (the clip decides when the blink/turn happens).
    // Measured on the seven clips this bar was set on: of the nine added, four only blink or
    // turn after 3 s (vdotup_face 3.25 s, fellway_me 3.5 s, per MANIFEST.tsv), which moves the
    // all-clip p50 by content, not by the engine; eval:liveness reports that p50 too.
    const cooperative = new Set(['blinkdetector_video', 'liveportrait_d0', 'liveportrait_d9', 'liveportrait_d13', 'liveportrait_d18', 'tranvanluyt_real', 'zubaircrackscode_real']);
    const p50 = verdictTimes(r.clips.filter((c) => cooperative.has(c.name))).p50;
    assert.ok(p50 <= 2500, `p50 ${p50} ms`);
  });

  it('a still photo repeated as frames fails with liveness_failed', async () => {
    const frame = await decodeImage(new Uint8Array(readFileSync(path.join(SHARED, 'stills', 'silentface_image_T1.jpg'))));
    async function* still(): AsyncGenerator<TimedFrame> {
      for (let i = 0; i < 40; i++) yield { frame, t: i * 100 };
    }
    const tape = ObservationTape.fromFrames(analyzer, still());
    tapes.push(tape);
    const { decision } = await runTape(tape, CLIP_SCHEDULES.blink);
    assert.equal(decision.outcome, 'failed');
    assert.equal(decision.reason, 'liveness_failed');
    assert.equal(decision.signals.motion.passed, false);
    assert.ok(decision.timings.firstFrameToVerdictMs! <= 2000);
  });

  it('a clip whose first half is one person and second half another fails with identity_changed', async () => {
    // Both clips are 9:16 portrait selfies; the session asks for a head turn,
    // which neither segment contains, so only the identity check can end it early.
    const size = { width: 360, height: 640 };
    async function* spliced(): AsyncGenerator<TimedFrame> {
      let last = 0;
      for await (const f of decodeClip(path.join(VIDEO, 'genuine', 'liveportrait_d13.mp4'), { size, startSeconds: 4, maxSeconds: 2.5 })) {
        last = f.t;
        yield f;
      }
      for await (const f of decodeClip(path.join(VIDEO, 'genuine', 'blinkdetector_video.mp4'), { size, startSeconds: 9.6, maxSeconds: 2.5 })) {
        yield { frame: f.frame, t: last + 100 + f.t };
      }
    }
    const tape = ObservationTape.fromFrames(analyzer, spliced());
    tapes.push(tape);
    const { decision } = await runTape(tape, CLIP_SCHEDULES.turn);
    assert.equal(decision.reason, 'identity_changed');
    assert.ok(decision.signals.identity.score < 0.4);
    assert.ok(decision.timings.verdictAt! > 2500, 'the change is caught after the splice, not before');
    // Control: the same person throughout keeps identity (the session ends for want of a turn when the clip runs out).
    const same = ObservationTape.fromFrames(analyzer, decodeClip(path.join(VIDEO, 'genuine', 'liveportrait_d13.mp4'), { size, startSeconds: 4, maxSeconds: 5 }));
    tapes.push(same);
    const control = (await runTape(same, CLIP_SCHEDULES.turn)).decision;
    assert.equal(control.outcome, 'failed');
    assert.notEqual(control.reason, 'identity_changed');
    assert.equal(control.signals.identity.passed, true);
    assert.ok(control.signals.identity.score > 0.6);
  });

  it('a challenge not answered within its window fails with challenge_timeout', async () => {
    // liveportrait_d18 first blinks at ~3.1 s; the window closes at 1.5 s.
    const { decision } = await runTape(evaluator.tape(path.join(VIDEO, 'genuine', 'liveportrait_d18.mp4')), [{ kind: 'blink', delayMs: 0, windowMs: 1500 }]);
    assert.equal(decision.reason, 'challenge_timeout');
    assert.equal(decision.timings.challenges[0]?.passed, false);
  });

  it('LivenessEngine.pushFrame() analyses live frames and succeeds an enrolment on a genuine blink clip', async (t) => {
    const clock = new ManualClock(0);
    const gallery = new InMemoryGallery();
    const engine = new LivenessEngine({ gallery, analyzer, clock });
    t.after(() => engine.close());
    const sink = new RecordingSink();
    const rec = await engine.create({ kind: 'enrollment', subjectId: 'd9', sink, fixedSchedule: CLIP_SCHEDULES.blink });
    await engine.connect(rec.id);
    for await (const { frame, t: ts } of decodeClip(path.join(VIDEO, 'genuine', 'liveportrait_d9.mp4'), { maxSeconds: 5 })) {
      clock.set(ts);
      assert.equal(await engine.pushFrame(rec.id, frame, ts), true);
      if (sink.of('result').length) break;
    }
    const d = sink.of('result')[0]?.decision;
    assert.equal(d?.outcome, 'succeeded', `reason ${d?.reason}`);
    // The engine never writes templates: the caller commits the decision's.
    assert.equal(await gallery.size(), 0);
    assert.equal(await gallery.commit(d!), true);
    assert.equal(await gallery.size(), 1);
    assert.ok(d!.timings.analyzeMsTotal > 0);
    assert.deepEqual(
      sink.of('state').map((m) => m.state),
      ['connected', 'capturing', 'challenging', 'deciding', 'succeeded'],
    );
  });
});
