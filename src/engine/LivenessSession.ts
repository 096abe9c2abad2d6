// One liveness session's state machine: created -> connected -> capturing ->
// challenging -> deciding -> succeeded | failed | expired | cancelled.
// It consumes analysed observations (from the live path, the REST fallback or
// a recorded clip alike), issues challenges, scores every signal and reaches
// one Decision. It owns no transport and no timers: its owner (LivenessEngine)
// feeds it frames and clock ticks and forwards its messages.
import { DEFAULT_MATCH_THRESHOLD } from '../../models/similarity.ts';
import type { FaceStage } from '../../models/types.ts';
import { DEFAULT_PLAN_OPTIONS, planChallenges, type PlanOptions, type PlannedChallenge } from './challengePlan.ts';
import { EyeCoverTracker } from './EyeCoverTracker.ts';
import { eyesOccluded, gateFrame, promptFor, reasonFor, DEFAULT_GATE_OPTIONS, type GateOptions } from './frameGate.ts';
import { aggregateArtefacts, fuse, DEFAULT_FUSION_OPTIONS, type FusionOptions } from './fusion.ts';
import { scoreBlink, DEFAULT_BLINK_OPTIONS, type BlinkOptions, type EyeSample } from './signals/blink.ts';
import { flashRtt, flashSettleMs, generateFlashSequence, minFlashStepMs, scoreFlash, DEFAULT_FLASH_OPTIONS, type FlashOptions, type SkinSample } from './signals/colorFlash.ts';
import { noseOutlineRatio, scoreTurn, DEFAULT_TURN_OPTIONS, type TurnOptions, type TurnSample, type TurnScore } from './signals/headTurn.ts';
import type { EyeCropSample } from './signals/eyeCrop.ts';
import { IdentityTracker, DEFAULT_IDENTITY_OPTIONS, type IdentityOptions } from './signals/identity.ts';
import { aggregatePassive } from './signals/passive.ts';
import type {
  ArtefactSample,
  Challenge,
  ChallengeTiming,
  Decision,
  EngineMessage,
  EngineSink,
  Gallery,
  GateVerdict,
  MatchResult,
  Observation,
  ReasonCode,
  SessionKind,
  SessionRecord,
  SessionState,
  SignalName,
  SignalReport,
  TerminalState,
} from './types.ts';
import { meanTemplate, median } from '../../common/vector.ts';

export interface SessionOptions {
  readonly ttlMs: number;
  /** Failed or unanswered challenges tolerated before the session fails (1 = no retry). */
  readonly maxAttempts: number;
  /** Good frames collected before the first challenge (baseline pose, identity reference). */
  readonly minCaptureFrames: number;
  /** Frames with one face needed before a verdict (artefacts, passive, motion). */
  readonly minEvidenceFrames: number;
  /** Without a good frame for this long the session fails with the commonest gate reason. */
  readonly gateTimeoutMs: number;
  /** Consecutive frames with more than one face that fail the session. */
  readonly multiFaceFrames: number;
  /**
   * Below this median cell difference (gray levels, ArtefactSample.cellDiff)
   * over the last `staticFrames` frames the scene is a still picture.
   */
  readonly staticDiff: number;
  readonly staticFrames: number;
  /** Fastest plausible human reaction after the prompt reaches the page, ms. */
  readonly minReactionMs: number;
  readonly embeddingIntervalMs: number;
  readonly enrollmentSamples: number;
  /** Cosine at or above which a probe matches a template (the models layer's measured default). */
  readonly matchThreshold: number;
  readonly gate: GateOptions;
  readonly blink: BlinkOptions;
  readonly turn: TurnOptions;
  readonly flash: FlashOptions;
  readonly identity: IdentityOptions;
  readonly fusion: FusionOptions;
  readonly plan: PlanOptions;
  /** Colour-flash sequence shape: steps, and the shortest and longest step. */
  readonly flashSteps: number;
  readonly flashStepMs: number;
  readonly flashMaxStepMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = Object.freeze({
  ttlMs: 180_000,
  maxAttempts: 2,
  minCaptureFrames: 3,
  minEvidenceFrames: 8,
  gateTimeoutMs: 8000,
  multiFaceFrames: 3,
  // Sliding 10-frame medians of cellDiff (eval:liveness --margins): genuine
  // clips never below 0.32 (liveportrait_d13, 10 fps); a still photo through
  // Chromium's VP8 encoder on the live path 0.012..0.21 while the encoder
  // ramps up, ~0.05 once settled (it fires about 1.1 s in); stills repeated as
  // frames 0. thresholdRules.ts: half the lowest genuine window (0.16), rounded down.
  staticDiff: 0.15,
  staticFrames: 10,
  minReactionMs: 120,
  embeddingIntervalMs: 400,
  enrollmentSamples: 3,
  matchThreshold: DEFAULT_MATCH_THRESHOLD,
  gate: DEFAULT_GATE_OPTIONS,
  blink: DEFAULT_BLINK_OPTIONS,
  turn: DEFAULT_TURN_OPTIONS,
  flash: DEFAULT_FLASH_OPTIONS,
  identity: DEFAULT_IDENTITY_OPTIONS,
  fusion: DEFAULT_FUSION_OPTIONS,
  plan: DEFAULT_PLAN_OPTIONS,
  // 5 of the 6 palette colours: 720 sequences, 5 frames a step at 10 fps.
  flashSteps: 5,
  // Above minFlashStepMs (460 ms with the default window): a shift by a whole step must fall outside the lag window.
  flashStepMs: 500,
  // Steps stretch to ~2.5 analysed frames when the engine keeps up with fewer than 8 a second.
  flashMaxStepMs: 1000,
});

export interface SessionInit {
  readonly id: string;
  readonly kind: SessionKind;
  /** Verification: the claimed subject; enrollment: the subject to enrol. */
  readonly subjectId?: string;
  readonly createdAt: number;
  readonly rttMs?: number;
  /** Whether the transport can paint colour flashes (the live path). */
  readonly flash?: boolean;
  /**
   * Test-only: a fixed schedule that a recording can contain. Challenges are
   * then issued as soon as capture is done and the reaction floor is not applied.
   */
  readonly fixedSchedule?: readonly PlannedChallenge[];
  /** A plan drawn by the caller (live semantics: delays, reaction floor); default: drawn here. */
  readonly plan?: readonly PlannedChallenge[];
}

const SIGNALS: readonly SignalName[] = ['passive', 'blink', 'head_turn', 'depth', 'color_flash', 'artefacts', 'motion', 'reaction', 'identity'];

function notEvaluated(): SignalReport {
  return { evaluated: false, score: 0, passed: false, values: {} };
}

interface ActiveChallenge {
  readonly challenge: Challenge;
  notBefore: number;
  /** Engine time the prompt left for the page (markSent); issuedAt until the transport reports it. */
  sentAt: number;
}

export class LivenessSession {
  readonly id: string;
  readonly kind: SessionKind;
  readonly subjectId: string | undefined;
  readonly createdAt: number;
  readonly #options: SessionOptions;
  readonly #gallery: Gallery;
  readonly #sink: EngineSink;
  readonly #plan: PlannedChallenge[];
  readonly #fixed: boolean;
  #state: SessionState = 'created';
  #rttMs: number;
  /** Fastest data-channel round trip measured in this session (null until one is). */
  #rttMinMs: number | null;
  #attempts = 0;
  #decision: Decision | undefined;

  // evidence
  #frames = 0;
  #good = 0;
  #oneFace = 0;
  #firstT: number | null = null;
  #lastT: number | null = null;
  #lastGoodT: number | null = null;
  #analyzeMs = 0;
  #multiRun = 0;
  #lastPrompt: GateVerdict = 'ok';
  readonly #gateCounts = new Map<GateVerdict, number>();
  readonly #eyes: EyeSample[] = [];
  readonly #eyeCrops: EyeCropSample[] = [];
  readonly #eyeCover: EyeCoverTracker;
  readonly #poses: TurnSample[] = [];
  readonly #frontalYaws: number[] = [];
  readonly #frontalRatios: number[] = [];
  readonly #live: number[] = [];
  readonly #artefacts: ArtefactSample[] = [];
  readonly #skin: SkinSample[] = [];
  readonly #nose: { t: number; x: number; y: number }[] = [];
  readonly #identity: IdentityTracker;
  #lastEmbeddingT = Number.NEGATIVE_INFINITY;

  // challenges
  #planIndex = 0;
  #active: ActiveChallenge | null = null;
  #nextIssueAt: number | null = null;
  readonly #timings: ChallengeTiming[] = [];
  #challengesDoneAt: number | null = null;
  readonly #results = new Map<SignalName, SignalReport>();
  #counter = 0;

  constructor(init: SessionInit, gallery: Gallery, sink: EngineSink, options: SessionOptions = DEFAULT_SESSION_OPTIONS) {
    if (init.kind === 'verification' && !init.subjectId) throw new TypeError('verification needs a subjectId');
    if (init.kind === 'enrollment' && !init.subjectId) throw new TypeError('enrollment needs a subjectId');
    this.id = init.id;
    this.kind = init.kind;
    this.subjectId = init.subjectId;
    this.createdAt = init.createdAt;
    this.#gallery = gallery;
    this.#sink = sink;
    this.#options = options;
    this.#rttMs = init.rttMs ?? 0;
    this.#rttMinMs = init.rttMs ?? null;
    this.#fixed = init.fixedSchedule !== undefined;
    this.#plan = [...(init.fixedSchedule ?? init.plan ?? planChallenges({ ...options.plan, flash: init.flash ?? options.plan.flash }))];
    this.#identity = new IdentityTracker(options.identity);
    this.#eyeCover = new EyeCoverTracker(options.gate);
  }

  get state(): SessionState {
    return this.#state;
  }

  get terminal(): boolean {
    return this.#state === 'succeeded' || this.#state === 'failed' || this.#state === 'expired' || this.#state === 'cancelled';
  }

  get decision(): Decision | undefined {
    return this.#decision;
  }

  get plan(): readonly PlannedChallenge[] {
    return this.#plan;
  }

  get record(): SessionRecord {
    return {
      id: this.id,
      kind: this.kind,
      state: this.#state,
      ...(this.subjectId !== undefined ? { subjectId: this.subjectId } : {}),
      createdAt: this.createdAt,
      expiresAt: this.createdAt + this.#options.ttlMs,
      attempts: this.#attempts,
      rttMs: this.#rttMs,
      ...(this.#decision ? { decision: this.#decision } : {}),
    };
  }

  /** The data-channel round-trip time; reaction times are measured against it. */
  setRtt(ms: number): void {
    if (!(ms >= 0 && ms < 60_000)) throw new TypeError('rtt must be 0..60000 ms');
    this.#rttMs = ms;
    this.#rttMinMs = Math.min(this.#rttMinMs ?? ms, ms);
  }

  /**
   * The transport sent challenge `challengeId` to the page at engine time `t`.
   * A challenge is issued while its frame is processed, which is the frame's
   * capture time; the prompt leaves after analysis, later by the pipeline
   * delay. Reactions and the colour-flash schedule are timed from the send.
   */
  markSent(challengeId: string, t: number): void {
    const a = this.#active;
    if (!Number.isFinite(t)) throw new TypeError('markSent() needs a finite time');
    if (a === null || a.challenge.id !== challengeId || t < a.challenge.issuedAt) return;
    a.sentAt = t;
    if (!this.#fixed) a.notBefore = Math.max(a.notBefore, t + this.#rttMs / 2 + this.#options.minReactionMs);
  }

  /** Which model stages the next frame needs (the eye model always; embeddings at a cadence). */
  wantedStages(t: number): FaceStage[] {
    const s: FaceStage[] = ['landmarks', 'pose', 'eyes', 'liveness', 'quality'];
    if (t - this.#lastEmbeddingT >= this.#options.embeddingIntervalMs) s.push('embedding');
    return s;
  }

  connect(t: number): void {
    if (this.#state !== 'created') return;
    this.#setState('connected', t);
  }

  cancel(t: number): void {
    if (this.terminal) return;
    this.#finish('cancelled', 'cancelled', t);
  }

  expire(t: number): void {
    if (this.terminal) return;
    this.#finish('expired', 'expired', t);
  }

  /** Clock tick without a frame (frames stopped): enforces challenge and gate deadlines. */
  tick(t: number): void {
    if (this.terminal) return;
    if (this.#active && t > this.#active.challenge.deadline) this.#challengeFailed('challenge_timeout', t);
    if (this.terminal) return;
    const watching = this.#state === 'capturing' || this.#state === 'challenging';
    if (watching && this.#lastGoodT !== null && t - this.#lastGoodT > this.#options.gateTimeoutMs) {
      this.#failGate(t);
      return;
    }
    // A retry is prompted on time even while no frames arrive: the page shows it.
    if (this.#state === 'challenging' && !this.#active && this.#planIndex < this.#plan.length && this.#nextIssueAt !== null && t >= this.#nextIssueAt) {
      this.#issue(t);
    }
  }

  /** Consumes one analysed frame; resolves when its consequences (maybe a decision) are settled. */
  async process(obs: Observation): Promise<void> {
    if (this.terminal) return;
    if (!(Number.isFinite(obs.t) && obs.width > 0 && obs.height > 0)) throw new TypeError('observation needs finite t and a positive size');
    if (this.#lastT !== null && obs.t < this.#lastT) return; // out of order: drop, time never runs back
    const t = obs.t;
    if (this.#state === 'created') this.#setState('connected', t);
    if (this.#state === 'connected') {
      this.#firstT = t;
      this.#lastGoodT = t;
      this.#setState('capturing', t);
    }
    this.#frames++;
    this.#lastT = t;
    this.#analyzeMs += obs.analyzeMs ?? 0;

    const turning = this.#active !== null && this.#active.challenge.kind.startsWith('turn');
    const verdict = gateFrame(obs, !turning, this.#options.gate, this.#eyeCover.update(obs));
    this.#gateCounts.set(verdict, (this.#gateCounts.get(verdict) ?? 0) + 1);
    this.#collect(obs, verdict);

    // Hard failures first: they hold whatever else the frame shows.
    this.#multiRun = obs.faceCount > 1 ? this.#multiRun + 1 : 0;
    if (this.#multiRun >= this.#options.multiFaceFrames) return this.#fail('multiple_faces', t);
    if (this.#identity.state.changed) return this.#fail('identity_changed', t);
    if (this.#isStill()) return this.#fail('liveness_failed', t);
    // Screen or print evidence ends the session as soon as it is robust (a
    // median over enough frames), without waiting for a challenge a replay may answer.
    if (this.#artefacts.length >= this.#options.minEvidenceFrames && this.#spoofScore() >= this.#options.fusion.threshold) {
      return this.#fail('spoof_suspected', t);
    }

    if (verdict === 'ok') {
      this.#good++;
      this.#lastGoodT = t;
      if (this.#lastPrompt !== 'ok') this.#lastPrompt = 'ok';
    } else if (verdict !== this.#lastPrompt) {
      this.#lastPrompt = verdict;
      const e = obs.eyeCrop;
      const values = verdict === 'occluded' && e ? { eyeLuma: e.eyeLuma, eyeContrast: e.eyeContrast } : undefined;
      this.#emit({ type: 'prompt', sessionId: this.id, prompt: promptFor(verdict), gate: verdict, t, ...(values ? { values } : {}) });
    }

    if (this.#state === 'capturing') {
      if (this.#lastGoodT !== null && t - this.#lastGoodT > this.#options.gateTimeoutMs) return this.#failGate(t);
      if (this.#good >= this.#options.minCaptureFrames) {
        this.#setState('challenging', t);
        this.#nextIssueAt = this.#fixed ? t : t + (this.#plan[0]?.delayMs ?? 0);
      }
    }
    if (this.#state === 'challenging') {
      if (!this.#active && this.#planIndex < this.#plan.length && this.#nextIssueAt !== null && t >= this.#nextIssueAt) this.#issue(t);
      if (this.#active) this.#evaluateChallenge(t);
      if (this.terminal) return;
      if (this.#lastGoodT !== null && t - this.#lastGoodT > this.#options.gateTimeoutMs) return this.#failGate(t);
      if (!this.#active && this.#planIndex >= this.#plan.length) {
        this.#challengesDoneAt ??= t;
        if (this.#readyToDecide()) {
          this.#setState('deciding', t);
          await this.#decide(t);
        } else if (t - this.#challengesDoneAt > this.#options.gateTimeoutMs) {
          // Live, but never a frame good enough for an identity sample.
          return this.#fail('poor_quality', t);
        }
      }
    }
  }

  // ---- evidence ----------------------------------------------------------

  #collect(obs: Observation, verdict: GateVerdict): void {
    const f = obs.face;
    if (!f || obs.faceCount !== 1) return;
    this.#oneFace++;
    const t = obs.t;
    if (f.eyes) this.#eyes.push({ t, leftClosed: f.eyes.leftClosed, rightClosed: f.eyes.rightClosed });
    if (obs.eyeCrop) this.#eyeCrops.push(obs.eyeCrop);
    const ratio = noseOutlineRatio(f.landmarks);
    this.#poses.push({ t, ratio, yaw: f.pose ? f.pose.yaw : null });
    // Baselines come from frontal frames before the first challenge.
    if (verdict === 'ok' && !this.#active && this.#timings.length === 0) {
      if (f.pose) this.#frontalYaws.push(f.pose.yaw);
      if (ratio !== null) this.#frontalRatios.push(ratio);
    }
    if (typeof f.live === 'number' && verdict === 'ok') this.#live.push(f.live);
    if (obs.artefacts) {
      this.#artefacts.push(obs.artefacts);
      this.#skin.push({ t, rgb: obs.artefacts.skinRgb });
    }
    const nose = f.fivePoints?.[2];
    if (nose) {
      const size = Math.max(1, f.box.y2 - f.box.y1);
      this.#nose.push({ t, x: nose.x / size, y: nose.y / size });
    }
    // The pose model can call a bearded full profile frontal on a poor frame
    // (held-out low-bitrate clip, eval:liveness --robust); the landmark geometry
    // must agree: no identity sample from a face turned as far as a head-turn answer.
    const turnedAway = ratio !== null && this.#frontalRatios.length > 0 && Math.abs(ratio - this.#baselineRatio()) >= this.#options.turn.turnRatio;
    const frontal = (f.quality?.frontalness ?? 1) >= 0.6 && !turnedAway;
    if (f.embedding && frontal && verdict === 'ok' && t - this.#lastEmbeddingT >= this.#options.embeddingIntervalMs) {
      this.#lastEmbeddingT = t;
      this.#identity.add(f.embedding);
    }
  }

  /**
   * A still picture shows no change of the face's cell means across a window of
   * frames. The median ignores the odd encoder key frame or resolution switch;
   * landmark jitter is reported only (on a still it is the detector's noise on
   * codec noise, as large as a calm face's sway).
   */
  #motion(): { diff: number; pointDiff: number; jitter: number; frames: number } {
    const window = this.#artefacts.slice(-this.#options.staticFrames);
    const recent = window.map((a) => a.cellDiff).filter((d) => Number.isFinite(d));
    const points = window.map((a) => a.temporalDiff).filter((d) => Number.isFinite(d));
    const noses = this.#nose.slice(-this.#options.staticFrames);
    let jitter = Number.NaN;
    if (noses.length >= 3) {
      const mx = median(noses.map((n) => n.x));
      const my = median(noses.map((n) => n.y));
      jitter = median(noses.map((n) => Math.hypot(n.x - mx, n.y - my)));
    }
    return { diff: median(recent), pointDiff: median(points), jitter, frames: recent.length };
  }

  #spoofScore(): number {
    return fuse(aggregateArtefacts(this.#artefacts), this.#options.fusion).spoofScore;
  }

  #isStill(): boolean {
    const m = this.#motion();
    return m.frames >= Math.ceil(0.8 * this.#options.staticFrames) && m.diff < this.#options.staticDiff;
  }

  // ---- challenges --------------------------------------------------------

  #issue(t: number): void {
    const planned = this.#plan[this.#planIndex]!;
    const kind = planned.kind;
    const colors = kind === 'color_flash' ? generateFlashSequence({ steps: this.#options.flashSteps, stepMs: this.#flashStepMs() }) : undefined;
    // A flash is judged after its last step plus the latency window: its deadline must not come first.
    const flashMs = colors ? flashSettleMs(colors, this.#options.flash) + 1000 : 0;
    const challenge: Challenge = {
      id: `${this.id}:${++this.#counter}`,
      kind,
      issuedAt: t,
      deadline: t + Math.max(planned.windowMs, flashMs) + (this.#fixed ? 0 : this.#rttMs),
      ...(colors ? { colors } : {}),
    };
    // A fixed (recorded) schedule is active from the first frame; a live prompt
    // only counts answers that could follow it: half an RTT to reach the page plus a human reaction.
    const notBefore = this.#fixed ? t : t + this.#rttMs / 2 + this.#options.minReactionMs;
    this.#active = { challenge, notBefore, sentAt: t };
    this.#emit({ type: 'challenge', sessionId: this.id, challenge, index: this.#planIndex, of: this.#plan.length });
  }

  /**
   * Flash step length for the cadence frames are analysed at: a step needs
   * about 2.5 frames to be decoded, and a loaded engine drops frames (one in
   * flight per session), so the steps stretch when the recent frames are sparse.
   */
  #flashStepMs(): number {
    const ts = this.#skin.slice(-11).map((x) => x.t);
    const gaps = ts.slice(1).map((x, i) => x - ts[i]!);
    const dt = gaps.length >= 3 ? median(gaps) : 0;
    const o = this.#options;
    const floor = Math.max(o.flashStepMs, minFlashStepMs(o.flash));
    return Math.max(floor, Math.min(o.flashMaxStepMs, Math.ceil((2.5 * dt) / 50) * 50));
  }

  #baselineYaw(): number | null {
    return this.#frontalYaws.length > 0 ? median(this.#frontalYaws) : null;
  }

  #baselineRatio(): number {
    return this.#frontalRatios.length > 0 ? median(this.#frontalRatios) : 0.5;
  }

  #evaluateChallenge(t: number): void {
    const a = this.#active!;
    const c = a.challenge;
    let answeredAt: number | null = null;
    // When the response began (blink closing, head leaving frontal): reaction time is measured to it.
    let respondedAt: number | null = null;
    let failed = false;
    switch (c.kind) {
      case 'blink': {
        const s = scoreBlink(this.#eyes, a.notBefore, this.#options.blink);
        this.#results.set('blink', {
          evaluated: true,
          score: s.score,
          passed: s.passed,
          values: { count: s.count, plausible: s.plausibleCount, durationMs: s.firstDurationMs, at: s.firstAt },
        });
        if (s.passed) [answeredAt, respondedAt] = [s.firstAt, s.firstStart];
        break;
      }
      case 'turn_left':
      case 'turn_right':
      case 'turn_any': {
        const dir = c.kind === 'turn_left' ? 'left' : c.kind === 'turn_right' ? 'right' : 'any';
        const s = scoreTurn(this.#poses, dir, this.#baselineRatio(), this.#baselineYaw(), a.notBefore, this.#options.turn);
        this.#reportTurn(s);
        if (s.passed) [answeredAt, respondedAt] = [s.returnedAt, s.turnedAt];
        break;
      }
      case 'color_flash': {
        const seq = c.colors ?? [];
        // The page paints on receipt, rtt/2 after the send; display and camera
        // latency come on top. The fastest RTT of the session sets the window:
        // a slow sample is queueing (or a client holding its pongs back to buy
        // a late response time), not the path the prompt took.
        const rtt = flashRtt(this.#rttMinMs ?? this.#rttMs, this.#options.flash);
        // Scored once the latest alignment searched (the window plus its reach beyond) has all its frames.
        const end = a.sentAt + rtt / 2 + flashSettleMs(seq, this.#options.flash);
        if (t < end) break;
        const s = scoreFlash(this.#skin, seq, a.sentAt, rtt, this.#options.flash);
        this.#results.set('color_flash', {
          evaluated: true,
          score: s.score,
          passed: s.passed,
          values: {
            correlation: s.correlation,
            amplitude: s.amplitude,
            lagMs: s.lagMs,
            latencyMs: s.lagMs - rtt / 2,
            inWindow: s.inWindow,
            stepsMatched: s.stepsMatched,
            stepsCovered: s.stepsCovered,
            steps: seq.length,
            samples: s.samples,
            rttMs: rtt,
            rttLastMs: this.#rttMs,
          },
        });
        // Not a human reaction: the lag is display + camera latency, reported in the signal.
        if (s.passed) [answeredAt, respondedAt] = [t, null];
        else failed = true;
        break;
      }
    }
    if (answeredAt !== null) {
      this.#timings.push({
        kind: c.kind,
        issuedAt: c.issuedAt,
        answeredAt,
        reactionMs: this.#fixed || c.kind === 'color_flash' ? null : (respondedAt ?? answeredAt) - a.sentAt - this.#rttMs / 2,
        passed: true,
      });
      this.#active = null;
      this.#planIndex++;
      const next = this.#plan[this.#planIndex];
      this.#nextIssueAt = next ? (this.#fixed ? t : t + next.delayMs) : null;
      this.#emit({
        type: 'progress',
        sessionId: this.id,
        goodFrames: this.#good,
        challengesPassed: this.#planIndex,
        of: this.#plan.length,
        t,
      });
      if (next && this.#fixed) this.#issue(t);
      return;
    }
    if (failed) this.#challengeFailed('challenge_failed', t);
    else if (t > c.deadline) this.#challengeFailed('challenge_timeout', t);
  }

  #reportTurn(s: TurnScore): void {
    this.#results.set('head_turn', {
      evaluated: true,
      score: s.score,
      passed: s.passed,
      values: { baselineRatio: s.baselineRatio, poseYawPeak: s.poseYawPeak, turnedAt: s.turnedAt, returnedAt: s.returnedAt, side: s.imageSide },
    });
    // The parallax of the nose across the outline is the depth evidence of the turn.
    const depthOk = s.parallax >= this.#options.turn.minParallax;
    this.#results.set('depth', {
      evaluated: true,
      score: Math.min(1, s.parallax / (2 * this.#options.turn.minParallax)),
      passed: depthOk,
      values: { parallax: s.parallax, poseYawPeak: s.poseYawPeak },
    });
  }

  #challengeFailed(reason: 'challenge_timeout' | 'challenge_failed', t: number): void {
    const c = this.#active!.challenge;
    this.#timings.push({ kind: c.kind, issuedAt: c.issuedAt, answeredAt: null, reactionMs: null, passed: false });
    this.#attempts++;
    this.#active = null;
    if (this.#attempts >= this.#options.maxAttempts || this.#fixed) {
      this.#fail(reason, t);
      return;
    }
    // Retry with a fresh draw of the same family (new direction / colours), after a new delay.
    const kind = this.#plan[this.#planIndex]!.kind;
    const family = kind.startsWith('turn') ? 'turn' : kind;
    const replacement = planChallenges({ ...this.#options.plan, count: this.#options.plan.flash ? 3 : 2, flash: this.#options.plan.flash || kind === 'color_flash' }).find(
      (p) => (p.kind.startsWith('turn') ? 'turn' : p.kind) === family,
    );
    if (replacement) this.#plan[this.#planIndex] = replacement;
    this.#nextIssueAt = t + (replacement?.delayMs ?? 0);
  }

  #readyToDecide(): boolean {
    const needEmb = this.kind === 'enrollment' ? this.#options.enrollmentSamples : 1;
    return this.#oneFace >= this.#options.minEvidenceFrames && this.#identity.samples.length >= needEmb;
  }

  // ---- verdict -----------------------------------------------------------

  #signals(): Record<SignalName, SignalReport> {
    const out = {} as Record<SignalName, SignalReport>;
    for (const s of SIGNALS) out[s] = this.#results.get(s) ?? notEvaluated();
    const kinds = new Set(this.#plan.map((p) => p.kind));
    if (kinds.has('blink') && !this.#results.has('blink')) {
      out.blink = { evaluated: true, score: 0, passed: false, values: {} };
    }
    const p = aggregatePassive(this.#live);
    out.passive = {
      evaluated: p.frames > 0,
      score: Number.isFinite(p.median) ? p.median : 0,
      // Reported, not decisive: see signals/passive.ts and fusion.ts.
      passed: p.frames > 0,
      values: { frames: p.frames, median: p.median, p25: p.p25, p75: p.p75 },
    };
    const agg = aggregateArtefacts(this.#artefacts);
    const f = fuse(agg, this.#options.fusion);
    out.artefacts = {
      evaluated: agg.frames > 0,
      score: f.spoofScore,
      passed: f.spoofScore < this.#options.fusion.threshold,
      values: {
        frames: agg.frames,
        hfRatio: agg.hfRatio,
        edgeFrame: agg.edgeFrame,
        glare: agg.glare,
        blueCast: agg.blueCast,
        saturation: agg.saturation,
        ...Object.fromEntries(Object.entries(f.contributions).map(([k, v]) => [`evidence_${k}`, v])),
      },
    };
    const m = this.#motion();
    out.motion = {
      evaluated: m.frames > 0,
      score: Number.isFinite(m.diff) ? Math.min(1, m.diff / (4 * this.#options.staticDiff)) : 0,
      passed: !this.#isStill(),
      values: { cellDiff: m.diff, temporalDiff: m.pointDiff, noseJitter: Number.isFinite(m.jitter) ? m.jitter : null, frames: m.frames },
    };
    const reactions = this.#timings.filter((x) => x.reactionMs !== null).map((x) => x.reactionMs!);
    out.reaction = {
      evaluated: reactions.length > 0,
      score: reactions.length > 0 ? 1 : 0,
      passed: reactions.every((r) => r >= this.#options.minReactionMs),
      values: { rttMs: this.#rttMs, medianMs: reactions.length ? median(reactions) : null, minMs: reactions.length ? Math.min(...reactions) : null },
    };
    const id = this.#identity.state;
    out.identity = {
      evaluated: id.samples > 1,
      score: id.minSimilarity,
      passed: !id.changed,
      values: { samples: id.samples, minSimilarity: id.minSimilarity, lastSimilarity: id.lastSimilarity },
    };
    return out;
  }

  async #decide(t: number): Promise<void> {
    const signals = this.#signals();
    if (!signals.artefacts.passed) return this.#finish('failed', 'spoof_suspected', t, signals);
    if (!signals.motion.passed) return this.#finish('failed', 'liveness_failed', t, signals);
    const samples = this.#identity.samples;
    const probe = meanTemplate(samples);
    if (this.kind === 'enrollment') {
      await this.#gallery.add(this.subjectId!, probe);
      return this.#finish('succeeded', undefined, t, signals, null, null, Array.from(probe));
    }
    if (this.kind === 'verification') {
      const sim = await this.#gallery.compare(this.subjectId!, probe);
      const ok = sim !== null && sim >= this.#options.matchThreshold;
      const match = ok ? { subjectId: this.subjectId!, similarity: sim } : null;
      return this.#finish(ok ? 'succeeded' : 'failed', ok ? undefined : 'no_match', t, signals, match, sim);
    }
    const best = (await this.#gallery.search(probe, 1))[0];
    const ok = best !== undefined && best.similarity >= this.#options.matchThreshold;
    return this.#finish(ok ? 'succeeded' : 'failed', ok ? undefined : 'no_match', t, signals, ok ? best : null, best?.similarity ?? null);
  }

  #gateReport(): NonNullable<Decision['gate']> {
    const crops = this.#eyeCrops;
    const occluded = crops.filter((e) => eyesOccluded(e, this.#options.gate)).length;
    const med = (v: number[]): number | null => (v.length > 0 ? median(v) : null);
    return {
      verdicts: Object.fromEntries(this.#gateCounts),
      values: {
        eyeLuma: med(crops.map((e) => e.eyeLuma)),
        eyeContrast: med(crops.map((e) => e.eyeContrast)),
        eyeCropFrames: crops.length,
        // Frames whose crops alone looked covered (blinks included; the gate needs a run of eyeOcclusionMs).
        eyeCueFrames: occluded,
      },
    };
  }

  #failGate(t: number): void {
    let worst: Exclude<GateVerdict, 'ok'> = 'no_face';
    let n = -1;
    for (const [v, c] of this.#gateCounts) if (v !== 'ok' && c > n) [worst, n] = [v, c];
    this.#fail(reasonFor(worst), t);
  }

  #fail(reason: ReasonCode, t: number): void {
    this.#finish('failed', reason, t);
  }

  #finish(
    outcome: TerminalState,
    reason: ReasonCode | undefined,
    t: number,
    signals: Record<SignalName, SignalReport> = this.#signals(),
    match: MatchResult | null = null,
    bestSimilarity: number | null = null,
    template?: number[],
  ): void {
    if (this.terminal) return;
    const verdictAt = this.#lastT;
    const decision: Decision = {
      sessionId: this.id,
      kind: this.kind,
      outcome,
      ...(reason ? { reason } : {}),
      signals,
      spoofScore: signals.artefacts.score,
      timings: {
        firstFrameAt: this.#firstT,
        verdictAt,
        firstFrameToVerdictMs: this.#firstT !== null && verdictAt !== null ? verdictAt - this.#firstT : null,
        frames: this.#frames,
        goodFrames: this.#good,
        analyzeMsTotal: this.#analyzeMs,
        challenges: [...this.#timings],
      },
      gate: this.#gateReport(),
      match,
      bestSimilarity,
      ...(template ? { template } : {}),
      ...(this.subjectId !== undefined ? { subjectId: this.subjectId } : {}),
    };
    this.#decision = decision;
    this.#active = null;
    this.#setState(outcome, t);
    this.#emit({ type: 'result', sessionId: this.id, decision });
  }

  #setState(state: SessionState, t: number): void {
    this.#state = state;
    this.#emit({ type: 'state', sessionId: this.id, state, t });
  }

  #emit(m: EngineMessage): void {
    try {
      this.#sink.send(m);
    } catch {
      // A broken transport must not break the state machine; the owner sees the
      // verdict in the store either way.
    }
  }
}

