// The injection signals (src/engine/injection/): each scorer on hand-made
// transport facts, the policy (flag, step_up, block) as the assessment and a
// live LivenessSession apply it. The facts come through the one seam the
// session has for them (InjectionSource.facts), from a plain object here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameTimingFacts, InjectionPolicy, InjectionSignal, TransportFacts } from '../../../common/injection.ts';
import type { CaptureReport } from '../../../common/protocol/capture.ts';
import type { PlannedChallenge } from '../../../src/engine/challengePlan.ts';
import { assessInjection, DEFAULT_INJECTION_OPTIONS, InjectionGate } from '../../../src/engine/injection/index.ts';
import { virtualCameraMatch } from '../../../src/engine/injection/captureFacts.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessSession } from '../../../src/engine/LivenessSession.ts';
import { obs, RecordingSink } from './fixtures.ts';

const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const camera = (over: Partial<CaptureReport> = {}): CaptureReport => ({
  label: 'Integrated Webcam (0c45:6713)',
  settings: { width: 640, height: 480, frameRate: 15, deviceId: 'abc', groupId: 'g' },
  capabilities: { width: { min: 1, max: 1280 }, frameRate: { min: 1, max: 30 } },
  frameTiming: { source: 'track_processor', frames: 30, meanIntervalMs: 66.7, jitterMs: 1.8 },
  userAgent: CHROME_UA,
  ...over,
});

const timing = (over: Partial<FrameTimingFacts> = {}): FrameTimingFacts => ({
  frames: 120,
  spanMs: 8000,
  meanIntervalMs: 66.7,
  arrivalJitterMs: 6,
  mediaIntervalCv: 0.04,
  distinctMediaIntervals: 20,
  driftPpm: 300,
  residualMs: 8,
  ...over,
});

const clean = (over: Partial<TransportFacts> = {}): TransportFacts => ({
  capture: camera(),
  rtp: timing(),
  decoded: timing({ residualMs: 40 }),
  encoder: {
    mimeType: 'video/VP8',
    fmtp: '',
    headerExtensions: ['http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', 'urn:ietf:params:rtp-hdrext:sdes:mid'],
    rtcpFeedback: ['nack', 'nack pli', 'transport-cc'],
    userAgent: CHROME_UA,
    hash: '0123456789abcdef',
  },
  peer: { fingerprint: 'sha-256 AB:CD', transportsConnected: 2, refused: 0 },
  ...over,
});

const policy = (over: Partial<Record<InjectionSignal, InjectionPolicy>>) => ({ ...DEFAULT_INJECTION_OPTIONS, policy: { ...DEFAULT_INJECTION_OPTIONS.policy, ...over } });

describe('injection signals', () => {
  it('assessInjection() fires nothing on a camera, a browser and steady clocks, and reports every signal', () => {
    const a = assessInjection(clean());
    assert.deepEqual(a.fired, []);
    assert.equal(a.action, 'none');
    assert.equal(a.report.evaluated, true);
    assert.equal(a.report.passed, true);
    assert.equal(a.report.score, 0);
    for (const s of ['capture_facts', 'rtp_timing', 'frame_timing', 'encoder', 'peer_binding']) assert.equal(a.report.values[s], 0, s);
  });

  it('capture_facts fires on virtual-camera labels, Chromium fake devices and file paths, not on real cameras', () => {
    for (const label of ['OBS Virtual Camera', 'ManyCam Virtual Webcam', 'XSplit VCam', 'Snap Camera', 'CamTwist', 'e2eSoft VCam', 'Dummy video device (0x0000)', 'fake_device_0', '/tmp/x/d0.y4m']) {
      assert.notEqual(virtualCameraMatch(label), null, label);
      const a = assessInjection(clean({ capture: camera({ label }) }));
      assert.equal(a.scores.capture_facts.why, 'virtual_camera', label);
      assert.deepEqual(a.fired, ['capture_facts'], label);
    }
    for (const label of ['Integrated Webcam (0c45:6713)', 'FaceTime HD Camera', 'Logitech BRIO (046d:085e)', 'HD Pro Webcam C920']) assert.equal(virtualCameraMatch(label), null, label);
  });

  it('capture_facts fires on a track without label or device id, on perfectly periodic page frames, and on no report only when final', () => {
    assert.equal(assessInjection(clean({ capture: camera({ label: '' }) })).scores.capture_facts.why, 'no_label');
    assert.equal(assessInjection(clean({ capture: camera({ settings: { width: 640 } }) })).scores.capture_facts.why, 'no_device_id');
    const steady = camera({ frameTiming: { source: 'video_frame_callback', frames: 30, meanIntervalMs: 66.7, jitterMs: 0.001 } });
    assert.equal(assessInjection(clean({ capture: steady })).scores.capture_facts.why, 'periodic_page_frames');
    const none = camera({ frameTiming: { source: 'none', frames: 0, meanIntervalMs: 0, jitterMs: 0 } });
    assert.equal(assessInjection(clean({ capture: none })).scores.capture_facts.why, null);
    // The report comes a few seconds into the session: missing counts only once it decides.
    assert.equal(assessInjection(clean({ capture: null }), DEFAULT_INJECTION_OPTIONS, false).scores.capture_facts.evaluated, false);
    assert.equal(assessInjection(clean({ capture: null })).scores.capture_facts.why, 'not_reported');
  });

  it('rtp_timing fires on a counter clock and on drift, needs minTimingFrames, and frame_timing on drift and bursty delivery', () => {
    assert.equal(assessInjection(clean({ rtp: timing({ distinctMediaIntervals: 1, mediaIntervalCv: 0 }) })).scores.rtp_timing.why, 'periodic_clock');
    assert.equal(assessInjection(clean({ rtp: timing({ driftPpm: 200_000 }) })).scores.rtp_timing.why, 'clock_drift');
    assert.equal(assessInjection(clean({ rtp: timing({ driftPpm: -200_000 }) })).scores.rtp_timing.why, 'clock_drift');
    // A short span's slope is jitter, not drift.
    assert.equal(assessInjection(clean({ rtp: timing({ driftPpm: 200_000, spanMs: 2000 }) })).scores.rtp_timing.why, null);
    assert.equal(assessInjection(clean({ rtp: timing({ frames: 10, distinctMediaIntervals: 1, mediaIntervalCv: 0 }) })).scores.rtp_timing.evaluated, false);
    // Decoded frames tolerate more drift (this server's load moves decode times).
    assert.equal(assessInjection(clean({ decoded: timing({ driftPpm: 60_000 }) })).scores.frame_timing.why, null);
    assert.equal(assessInjection(clean({ decoded: timing({ driftPpm: 200_000 }) })).scores.frame_timing.why, 'clock_drift');
    assert.equal(assessInjection(clean({ decoded: timing({ residualMs: 1500 }) })).scores.frame_timing.why, 'bursty_delivery');
  });

  it('encoder fires on no user agent, a non-browser agent and a browser claim without browser RTP', () => {
    const e = clean().encoder!;
    assert.equal(assessInjection(clean({ encoder: { ...e, userAgent: null } })).scores.encoder.why, 'no_user_agent');
    assert.equal(assessInjection(clean({ encoder: { ...e, userAgent: 'python-socketio/5.11' } })).scores.encoder.why, 'not_a_browser');
    assert.equal(assessInjection(clean({ encoder: { ...e, headerExtensions: ['urn:ietf:params:rtp-hdrext:sdes:mid'] } })).scores.encoder.why, 'browser_claim_without_browser_rtp');
  });

  it('peer_binding fires once a connect with another fingerprint was refused', () => {
    assert.equal(assessInjection(clean({ peer: { fingerprint: 'sha-256 AB', transportsConnected: 2, refused: 1 } })).scores.peer_binding.why, 'other_peer_refused');
    assert.equal(assessInjection(clean({ peer: { fingerprint: null, transportsConnected: 0, refused: 0 } })).scores.peer_binding.evaluated, false);
  });

  it('the action is the strongest policy among fired signals; flagged signals never block', () => {
    const facts = clean({ capture: camera({ label: 'OBS Virtual Camera' }), peer: { fingerprint: 'sha-256 AB', transportsConnected: 2, refused: 1 } });
    assert.equal(assessInjection(facts).action, 'flag');
    assert.equal(assessInjection(facts).report.passed, true);
    assert.equal(assessInjection(facts, policy({ capture_facts: 'step_up' })).action, 'step_up');
    const blocked = assessInjection(facts, policy({ capture_facts: 'step_up', peer_binding: 'block' }));
    assert.equal(blocked.action, 'block');
    assert.equal(blocked.report.passed, false);
    assert.equal(blocked.report.values['fired'], 'capture_facts,peer_binding');
    // A policy on a signal that did not fire does nothing.
    assert.equal(assessInjection(clean(), policy({ rtp_timing: 'block' })).action, 'none');
  });

  it('InjectionGate.stepUp() answers true once, for a final step_up; a facts source that throws reads as no facts', () => {
    const g = new InjectionGate(() => clean({ capture: camera({ label: 'ManyCam' }) }), policy({ capture_facts: 'step_up' }));
    assert.equal(g.blocks(false), false);
    assert.equal(g.stepUp(), true);
    assert.equal(g.stepUp(), false);
    assert.equal(g.report().values['steppedUp'], true);
    const broken = new InjectionGate(() => {
      throw new Error('transport gone');
    }, policy({ capture_facts: 'block' }));
    assert.equal(broken.blocks(false), false);
    assert.equal(broken.blocks(true), true, 'no report at all, once deciding, is a fired capture_facts');
  });
});

describe('LivenessSession with injection signals', () => {
  const BLINK: PlannedChallenge[] = [{ kind: 'blink', delayMs: 300, windowMs: 3000 }];
  const session = (facts: () => TransportFacts, options = DEFAULT_INJECTION_OPTIONS) => {
    const sink = new RecordingSink();
    const s = new LivenessSession({ id: 's1', kind: 'enrollment', subjectId: 'a', createdAt: 0, rttMs: 80, plan: BLINK, injection: { facts, options } }, new InMemoryGallery(), sink);
    return { s, sink };
  };
  /** Frames answering each challenge with its count of blinks (the first 400 ms after it, then every 500 ms), until the session ends or `until`. */
  const run = async (s: LivenessSession, sink: RecordingSink, until = 20_000, onFrame: (t: number) => void = () => undefined) => {
    for (let t = 0; t < until && !s.terminal; t += 100) {
      onFrame(t);
      const c = sink.of('challenge').at(-1)?.challenge;
      const k = c === undefined ? -1 : Math.floor((t - c.issuedAt - 400) / 500);
      const closed = c !== undefined && t >= c.issuedAt + 400 && k < (c.count ?? 1) && (t - c.issuedAt - 400) % 500 < 200;
      await s.process(obs(t, { closed: closed ? 0.95 : 0.05 }));
    }
  };

  it('process() fails with injection_suspected as soon as a blocking signal fires, and the verdict says which', async () => {
    let facts = clean({ capture: null });
    const { s, sink } = session(() => facts, policy({ capture_facts: 'block' }));
    await run(s, sink, 20_000, (t) => {
      if (t === 1000) facts = clean({ capture: camera({ label: 'OBS Virtual Camera' }) });
    });
    const d = s.decision!;
    assert.equal(d.outcome, 'failed');
    assert.equal(d.reason, 'injection_suspected');
    assert.equal(d.timings.verdictAt, 1000, 'refused at the first frame after the report');
    assert.equal(d.signals.injection.passed, false);
    assert.equal(d.signals.injection.values['capture_facts.why'], 'virtual_camera');
  });

  it('under the default policy (flag) the same stream passes, with the signal reported', async () => {
    const { s, sink } = session(() => clean({ capture: camera({ label: 'OBS Virtual Camera' }) }));
    await run(s, sink);
    const d = s.decision!;
    assert.equal(d.outcome, 'succeeded', d.reason);
    assert.equal(d.signals.injection.evaluated, true);
    assert.equal(d.signals.injection.score, 1);
    assert.equal(d.signals.injection.values['action'], 'flag');
  });

  it('a step_up policy asks for one more challenge before deciding, and the session passes once it is answered', async () => {
    const { s, sink } = session(() => clean({ capture: camera({ label: 'OBS Virtual Camera' }) }), policy({ capture_facts: 'step_up' }));
    await run(s, sink);
    const d = s.decision!;
    assert.equal(d.outcome, 'succeeded', d.reason);
    assert.equal(sink.of('challenge').length, 2);
    assert.equal(s.plan.length, 2);
    assert.equal(d.signals.injection.values['steppedUp'], true);
  });

  it('a session without an injection source does not evaluate the signal and decides as before', async () => {
    const sink = new RecordingSink();
    const s = new LivenessSession({ id: 's2', kind: 'enrollment', subjectId: 'a', createdAt: 0, rttMs: 80, plan: BLINK }, new InMemoryGallery(), sink);
    await run(s, sink);
    assert.equal(s.decision?.outcome, 'succeeded');
    assert.equal(s.decision?.signals.injection.evaluated, false);
  });
});
