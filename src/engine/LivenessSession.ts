// One liveness session's state machine: created -> connected -> capturing ->
// challenging -> deciding -> succeeded | failed | expired | cancelled. It feeds
// each analysed observation (live path, REST fallback or recorded clip alike)
// once to its FrameEvidence, issues the planned challenges, lets the active one
// (a plug-in, challenges/) score the evidence and reaches one Decision through
// a read-only SubjectMatcher (an enrollment's template goes out in the
// decision; the caller commits it). No transport, no timers: its owner
// (LivenessEngine) feeds it frames and clock ticks and forwards its messages.
import { meanTemplate } from '../../common/vector.ts';
import type { FaceStage } from '../../models/types.ts';
import { nextDueAt, redraw, sessionPlan, type PlannedChallenge } from './challengePlan.ts';
import type { SessionInit } from './LivenessSessionTypes.ts';
import { challengeFor } from './challenges/index.ts';
import { FrameEvidence, SPARSE_STAGES } from './FrameEvidence.ts';
import { InjectionGate, type InjectionSource } from './injection/index.ts';
import { countedFaces, promptFor, reasonFor } from './frameGate.ts';
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from './options.ts';
import { reactionReport } from './signals/reaction.ts';
import type {
  Challenge, ChallengeTiming, Decision, EngineMessage, EngineMode, EngineSessionRecord, EngineSink, GateVerdict, MatchResult,
  Observation, ReasonCode, SessionState, SignalName, SignalReport, SubjectMatcher, TerminalState,
} from './types.ts';

export type { SessionInit };
const SIGNALS: readonly SignalName[] = ['passive', 'blink', 'head_turn', 'depth', 'color_flash', 'artefacts', 'motion', 'reaction', 'identity', 'injection'];

const notEvaluated = (): SignalReport => ({ evaluated: false, score: 0, passed: false, values: {} });

interface ActiveChallenge {
  readonly challenge: Challenge;
  notBefore: number;
  /** Engine time the prompt left for the page (markSent); issuedAt until the transport reports it. */
  sentAt: number;
}

export class LivenessSession {
  readonly id: string;
  readonly kind: EngineMode;
  readonly subjectId: string | undefined;
  readonly createdAt: number;
  readonly #options: SessionOptions;
  readonly #matcher: SubjectMatcher;
  readonly #sink: EngineSink;
  readonly #plan: PlannedChallenge[];
  readonly #fixed: boolean;
  /** The no-gesture path (SessionInit.noGesture): no challenge; a decision that holds is step_up_required. */
  readonly #noGesture: boolean;
  readonly #evidence: FrameEvidence;
  readonly #injection: InjectionGate | undefined;
  #state: SessionState = 'created';
  #rttMs: number;
  /** Fastest data-channel round trip measured in this session (null until one is). */
  #rttMinMs: number | null;
  #attempts = 0;
  #decision: Decision | undefined;
  #multiRun = 0;
  #lastPrompt: GateVerdict = 'ok';

  // challenges
  #planIndex = 0;
  #active: ActiveChallenge | null = null;
  #nextIssueAt: number | null = null;
  readonly #timings: ChallengeTiming[] = [];
  #challengesDoneAt: number | null = null;
  readonly #results = new Map<SignalName, SignalReport>();
  #counter = 0;

  constructor(init: SessionInit, matcher: SubjectMatcher, sink: EngineSink, options: SessionOptions = DEFAULT_SESSION_OPTIONS) {
    if (init.kind === 'verification' && !init.subjectId) throw new TypeError('verification needs a subjectId');
    if (init.kind === 'enrollment' && !init.subjectId) throw new TypeError('enrollment needs a subjectId');
    this.id = init.id;
    this.kind = init.kind;
    this.subjectId = init.subjectId;
    this.createdAt = init.createdAt;
    this.#matcher = matcher;
    this.#sink = sink;
    this.#options = options;
    this.#rttMs = init.rttMs ?? 0;
    this.#rttMinMs = init.rttMs ?? null;
    this.#fixed = init.fixedSchedule !== undefined;
    this.#noGesture = init.noGesture === true && !this.#fixed;
    this.#plan = this.#noGesture ? [] : [...(init.fixedSchedule ?? init.plan ?? sessionPlan({ ...options.plan, flash: init.flash ?? options.plan.flash }))];
    this.#evidence = new FrameEvidence(options, init.uploaded === true, init.kind === 'enrollment' ? options.enrollmentSamples : 1);
    this.#injection = init.injection && new InjectionGate(init.injection.facts, init.injection.options);
  }

  get state(): SessionState { return this.#state; }
  get terminal(): boolean { return this.#state === 'succeeded' || this.#state === 'failed' || this.#state === 'expired' || this.#state === 'cancelled'; }
  get decision(): Decision | undefined { return this.#decision; }
  get plan(): readonly PlannedChallenge[] { return this.#plan; }

  get record(): EngineSessionRecord {
    const [subject, decision] = [this.subjectId !== undefined ? { subjectId: this.subjectId } : {}, this.#decision ? { decision: this.#decision } : {}];
    const expiresAt = this.createdAt + this.#options.ttlMs;
    return { id: this.id, kind: this.kind, state: this.#state, ...subject, createdAt: this.createdAt, expiresAt, attempts: this.#attempts, rttMs: this.#rttMs, ...decision };
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

  /** Stages for the frame at `t`: the current or next challenge's on every frame (its quiet period too), the rest sparse; the pose model only in a head turn (its yaw is reported, no decision reads it). */
  wantedStages(t: number): FaceStage[] {
    return this.#evidence.wantedStages(t, this.#needs(), this.#turning() ? [...SPARSE_STAGES, 'pose'] : SPARSE_STAGES);
  }

  /** The time the next frame's analysis schedule reads (FrameEvidence.scheduleTime). */
  scheduleTime(t: number): number {
    return this.#evidence.scheduleTime(t);
  }

  /**
   * Whether the next frame may follow the face on its previous box instead of
   * detecting it: not while the active challenge scores eye state, which the eye
   * model reads differently on a followed box's crops (a blink can vanish), nor
   * while the next one's quiet period is read.
   */
  get followsFace(): boolean {
    return !(this.#active !== null && this.#needs().includes('eyes'));
  }

  /** The active challenge asks for a turned face. */
  #turning = (): boolean => this.#active !== null && challengeFor(this.#active.challenge.kind).turnsFace;

  #needs = (): readonly FaceStage[] => {
    const kind = this.#active?.challenge.kind ?? this.#plan[this.#planIndex]?.kind;
    return kind !== undefined ? challengeFor(kind).needs : [];
  };

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
    if (watching && this.#gateTimedOut(t)) {
      this.#failGate(t);
      return;
    }
    // A retry is prompted on time even while no frames arrive: the page shows it.
    if (this.#state === 'challenging') this.#issueDue(t);
  }

  /** Consumes one analysed frame; resolves when its consequences (maybe a decision) are settled. */
  async process(obs: Observation): Promise<void> {
    if (this.terminal) return;
    if (!(Number.isFinite(obs.t) && obs.width > 0 && obs.height > 0)) throw new TypeError('observation needs finite t and a positive size');
    const ev = this.#evidence;
    if (ev.lastT !== null && obs.t < ev.lastT) return; // out of order: drop, time never runs back
    const t = obs.t;
    if (this.#state === 'created') this.#setState('connected', t);
    if (this.#state === 'connected') {
      ev.begin(t);
      this.#setState('capturing', t);
    }
    const verdict = ev.add(obs, { turning: this.#turning(), baseline: !this.#active && this.#timings.length === 0 });

    // Hard failures first: they hold whatever else the frame shows.
    this.#multiRun = countedFaces(obs, this.#options.gate) > 1 ? this.#multiRun + 1 : 0;
    if (this.#multiRun >= this.#options.multiFaceFrames) return this.#fail('multiple_faces', t);
    if (ev.identityChanged) return this.#fail('identity_changed', t);
    if (ev.isStill()) return this.#fail('liveness_failed', t);
    if (this.#injection?.blocks(false)) return this.#fail('injection_suspected', t);
    // Screen or print evidence ends the session as soon as it is robust (a
    // median over enough frames), without waiting for a challenge a replay may answer.
    if (ev.artefactFrames >= this.#options.minEvidenceFrames && ev.spoofScore() >= this.#options.fusion.threshold) {
      return this.#fail('spoof_suspected', t);
    }

    if (verdict === 'ok') {
      ev.accept(t);
      this.#lastPrompt = 'ok';
    } else if (verdict !== this.#lastPrompt) {
      this.#lastPrompt = verdict;
      const e = obs.eyeCrop;
      const values = verdict === 'occluded' && e ? { eyeLuma: e.eyeLuma, eyeContrast: e.eyeContrast } : undefined;
      this.#emit({ type: 'prompt', sessionId: this.id, prompt: promptFor(verdict), gate: verdict, t, ...(values ? { values } : {}) });
    }

    if (this.#state === 'capturing') {
      if (this.#gateTimedOut(t)) return this.#failGate(t);
      if (ev.good >= this.#options.minCaptureFrames) {
        this.#setState('challenging', t);
        this.#nextIssueAt = this.#fixed ? t : t + (this.#plan[0]?.delayMs ?? 0);
      }
    }
    if (this.#state === 'challenging') await this.#challenging(t);
  }

  async #challenging(t: number): Promise<void> {
    this.#issueDue(t);
    if (this.#active) this.#evaluateChallenge(t);
    if (this.terminal) return;
    if (this.#gateTimedOut(t)) return this.#failGate(t);
    if (this.#active || this.#planIndex < this.#plan.length) return;
    // A step-up policy asks once for a fresh draw of the first family before deciding.
    const extra = !this.#fixed && !this.#noGesture && this.#injection?.stepUp() ? redraw(this.#plan[0]!.kind, this.#options.plan) : undefined;
    if (extra) { this.#plan.push(extra); this.#nextIssueAt = t + extra.delayMs; return; }
    this.#challengesDoneAt ??= t;
    if (this.#noGesture && t - this.#challengesDoneAt < this.#options.noGestureObserveMs) return;
    const embeddings = this.kind === 'enrollment' ? this.#options.enrollmentSamples : 1;
    if (this.#evidence.ready(embeddings)) {
      this.#setState('deciding', t);
      await this.#decide(t);
    } else if (t - this.#challengesDoneAt > this.#options.gateTimeoutMs) {
      // Live, but never a frame good enough for an identity sample.
      this.#fail('poor_quality', t);
    }
  }

  #gateTimedOut(t: number): boolean {
    const last = this.#evidence.lastGoodT;
    return last !== null && t - last > this.#options.gateTimeoutMs;
  }

  // ---- challenges --------------------------------------------------------

  #issueDue(t: number): void {
    const due = this.#nextIssueAt;
    if (this.#active || this.#planIndex >= this.#plan.length || due === null || t < due) return;
    // A live prompt may wait for the quiet period its cause check needs (blink: eyes open for quietMs).
    const type = challengeFor(this.#plan[this.#planIndex]!.kind);
    if (this.#fixed || (type.canIssue?.(this.#evidence, t, due, this.#options) ?? true)) this.#issue(t);
  }

  #issue(t: number): void {
    const planned = this.#plan[this.#planIndex]!;
    const setup = challengeFor(planned.kind).setup(this.#evidence, this.#options);
    const challenge: Challenge = {
      id: `${this.id}:${++this.#counter}`,
      kind: planned.kind,
      issuedAt: t,
      deadline: t + Math.max(planned.windowMs, setup.minWindowMs) + (this.#fixed ? 0 : this.#rttMs),
      ...(setup.colors ? { colors: setup.colors } : {}),
      ...(planned.count !== undefined && planned.count > 1 ? { count: planned.count } : {}),
    };
    // A fixed (recorded) schedule is active from the first frame; a live prompt
    // only counts answers that could follow it: half an RTT to reach the page plus a human reaction.
    const notBefore = this.#fixed ? t : t + this.#rttMs / 2 + this.#options.minReactionMs;
    this.#active = { challenge, notBefore, sentAt: t };
    this.#emit({ type: 'challenge', sessionId: this.id, challenge, index: this.#planIndex, of: this.#plan.length });
  }

  #evaluateChallenge(t: number): void {
    const a = this.#active!;
    const c = a.challenge;
    const type = challengeFor(c.kind);
    const [rttMs, rttMinMs, evidence, options] = [this.#rttMs, this.#rttMinMs, this.#evidence, this.#options];
    const context = { t, kind: c.kind, challenge: c, notBefore: a.notBefore, count: c.count ?? 1, prompted: !this.#fixed, sentAt: a.sentAt };
    const r = type.evaluate({ ...context, rttMs, rttMinMs, evidence, options });
    for (const [name, report] of Object.entries(r.reports) as [SignalName, SignalReport][]) this.#results.set(name, report);
    if (r.answer) {
      const { answeredAt, respondedAt } = r.answer;
      const reactionMs = this.#fixed || !type.timesReaction ? null : (respondedAt ?? answeredAt) - a.sentAt - this.#rttMs / 2;
      this.#timings.push({ kind: c.kind, issuedAt: c.issuedAt, answeredAt, reactionMs, passed: true });
      this.#answered(t, c, answeredAt);
      return;
    }
    if (r.failed) this.#challengeFailed('challenge_failed', t);
    else if (t > c.deadline) this.#challengeFailed('challenge_timeout', t);
  }

  #answered(t: number, previous: Challenge, answeredAt: number): void {
    this.#active = null;
    this.#planIndex++;
    const next = this.#plan[this.#planIndex];
    this.#nextIssueAt = next ? (this.#fixed ? t : nextDueAt(t, next, previous.kind, answeredAt, this.#options)) : null;
    this.#emit({ type: 'progress', sessionId: this.id, goodFrames: this.#evidence.good, challengesPassed: this.#planIndex, of: this.#plan.length, t });
    if (next && this.#fixed) this.#issue(t);
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
    // Retry with a fresh draw of the same family (new direction / colours / count), after a new delay.
    const replacement = redraw(this.#plan[this.#planIndex]!.kind, this.#options.plan);
    if (replacement) this.#plan[this.#planIndex] = replacement;
    this.#nextIssueAt = t + (replacement?.delayMs ?? 0);
  }

  // ---- verdict -----------------------------------------------------------

  #signals(): Record<SignalName, SignalReport> {
    const out = {} as Record<SignalName, SignalReport>;
    for (const s of SIGNALS) out[s] = this.#results.get(s) ?? notEvaluated();
    for (const type of new Set(this.#plan.map((p) => challengeFor(p.kind)))) {
      for (const [name, report] of Object.entries(type.report()) as [SignalName, SignalReport][]) if (!this.#results.has(name)) out[name] = report;
    }
    Object.assign(out, this.#evidence.reports());
    out.reaction = reactionReport(this.#timings, this.#rttMs, this.#options.minReactionMs);
    if (this.#injection) out.injection = this.#injection.report();
    return out;
  }

  async #decide(t: number): Promise<void> {
    const signals = this.#signals();
    if (!signals.artefacts.passed) return this.#finish('failed', 'spoof_suspected', t, signals);
    if (this.#injection?.blocks(true)) return this.#finish('failed', 'injection_suspected', t, signals);
    if (!signals.motion.passed) return this.#finish('failed', 'liveness_failed', t, signals);
    const probe = meanTemplate(this.#evidence.identitySamples);
    // Enrollment: the decision carries the template; the caller commits it once it knows the session still stands.
    if (this.kind === 'enrollment') return this.#finish('succeeded', undefined, t, signals, null, null, Array.from(probe));
    if (this.kind === 'verification') {
      const sim = await this.#matcher.compare(this.subjectId!, probe);
      const ok = sim !== null && sim >= this.#options.matchThreshold;
      const match = ok ? { subjectId: this.subjectId!, similarity: sim } : null;
      return this.#finish(ok ? 'succeeded' : 'failed', ok ? undefined : 'no_match', t, signals, match, sim);
    }
    const best = (await this.#matcher.search(probe, 1))[0];
    const ok = best !== undefined && best.similarity >= this.#options.matchThreshold;
    return this.#finish(ok ? 'succeeded' : 'failed', ok ? undefined : 'no_match', t, signals, ok ? best : null, best?.similarity ?? null);
  }

  #failGate(t: number): void { this.#fail(reasonFor(this.#evidence.worstGate()), t); }
  #fail(reason: ReasonCode, t: number): void { this.#finish('failed', reason, t); }

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
    // The no-gesture path never succeeds: liveness was not shown, so the client steps up (no template, the match reported).
    if (outcome === 'succeeded' && this.#noGesture) [outcome, reason, template] = ['failed', 'step_up_required', undefined];
    const ev = this.#evidence;
    const decision: Decision = {
      sessionId: this.id,
      kind: this.kind,
      outcome,
      ...(reason ? { reason } : {}),
      signals,
      spoofScore: signals.artefacts.score,
      timings: ev.timings(this.#timings),
      gate: ev.gateReport(),
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
    // A broken transport must not break the state machine; the owner sees the verdict in the store either way.
    try { this.#sink.send(m); } catch { /* above */ }
  }
}
