// Sessions: created server-side by an authenticated client, driven by frames
// (REST uploads here; the live path through the same engine seam), decided
// once, then observed (audit, webhooks, metrics, analytics). Session state
// lives in the StateStore (memory or Redis) under the session token. Engines
// decide; this service owns the session's writes: its only durable effect,
// an enrollment, is committed through the TemplateGallery once, after the
// session was claimed while still open (a session cancelled or expired
// meanwhile never leaves a template behind), and before it reports success.
import crypto from 'node:crypto';
import { FacegateError } from '../../common/errors.ts';
import { cosine, meanTemplate } from '../../common/vector.ts';
import {
  isTerminal,
  SERVICE_FAULT_REASONS,
  statusOf,
  type DecisionSeal,
  type SessionKind,
  type SessionRecord,
  type SessionVerdict,
} from '../../common/session.ts';
import type { TemplateGallery } from '../gallery/TemplateGallery.ts';
import type { StateStore } from '../state/StateStore.ts';
import type { Store } from '../store/Store.ts';
import { sessionPolicy, type PolicyBounds, type RequestedPolicy } from './sessionPolicy.ts';
import type { DecidedStep, EnginePrompt, FrameInput, FrameStep, SessionEngine } from './SessionEngine.ts';

export interface SessionServiceOptions {
  readonly sessionTtlS: number;
  readonly matchThreshold: number;
  readonly enrollSamples: number;
  /** Frames a session may submit before it fails with too_many_frames. */
  readonly maxFrames?: number;
}

/** Failed-attempt accounting per external user (lockout). */
export interface AttemptLimiter {
  isLockedOut(clientId: string, externalUserId: string): Promise<boolean>;
  recordFailure(clientId: string, externalUserId: string): Promise<void>;
  reset(clientId: string, externalUserId: string): Promise<void>;
}

/** Called after state changes; failures are the observer's to log (they never fail a session). */
export interface SessionObserver {
  onCreated?(session: SessionRecord): void | Promise<void>;
  onFrame?(session: SessionRecord, step: { outcome: string; timings: Readonly<Record<string, number>> }): void | Promise<void>;
  onDecided?(session: SessionRecord): void | Promise<void>;
}

export interface FrameResult {
  readonly session: SessionRecord;
  /** 'accepted' (sample taken), a retry reason, a prompt action (liveness engine), or 'decided'. */
  readonly feedback: string;
  /** Liveness engine: prompts and challenges issued while processing this frame. */
  readonly prompts?: readonly EnginePrompt[];
}

/**
 * Seals a decision before it is written: the signed verdict token and, for a
 * face login, the account's tokens. A failing sealer leaves the decision unsealed.
 */
export type DecisionSealer = (session: SessionRecord, verdict: SessionVerdict) => Promise<DecisionSeal>;

export interface SessionAuthorization {
  readonly sessionId: string;
  readonly clientId: string;
  readonly kind: SessionKind;
}

/** A match the engine accepted that is under the session's own (stricter) min_confidence. */
function belowMinConfidence(rec: SessionRecord, v: SessionVerdict): boolean {
  const min = rec.policy?.minConfidence;
  return rec.kind === 'authentication' && v.outcome === 'succeeded' && min !== undefined && (v.similarity ?? 0) < min;
}

/** The service's own verdicts (expiry, cancel, frame cap): failed, no match figures. */
function failure(reason: 'expired' | 'cancelled' | 'too_many_frames', scores: Readonly<Record<string, number>> = {}, timings: Readonly<Record<string, number>> = {}): SessionVerdict {
  return { outcome: 'failed', reason, externalUserId: null, similarity: null, scores, timings };
}

export class SessionService {
  readonly #store: Store;
  readonly #state: StateStore;
  readonly #templates: TemplateGallery;
  readonly #engine: SessionEngine;
  readonly #limiter: AttemptLimiter;
  readonly #opts: Required<SessionServiceOptions>;
  readonly #observers: SessionObserver[] = [];
  readonly #loadClientKey: (clientId: string) => Promise<unknown>;
  readonly #seal: DecisionSealer | undefined;

  constructor(deps: {
    store: Store;
    state: StateStore;
    templates: TemplateGallery;
    engine: SessionEngine;
    limiter: AttemptLimiter;
    loadClientKey: (clientId: string) => Promise<unknown>;
    options: SessionServiceOptions;
    seal?: DecisionSealer;
  }) {
    this.#store = deps.store;
    this.#state = deps.state;
    this.#templates = deps.templates;
    this.#engine = deps.engine;
    this.#limiter = deps.limiter;
    this.#loadClientKey = deps.loadClientKey;
    this.#seal = deps.seal;
    this.#opts = { maxFrames: 60, ...deps.options };
  }

  observe(o: SessionObserver): void {
    this.#observers.push(o);
  }

  get ttlMs(): number {
    return this.#opts.sessionTtlS * 1000;
  }

  /** The node's settings, which bound every session's policy. */
  get policyBounds(): PolicyBounds {
    return { sessionTtlS: this.#opts.sessionTtlS, maxFrames: this.#opts.maxFrames, matchThreshold: this.#opts.matchThreshold };
  }

  async create(input: {
    clientId: string;
    /** The creating API key (rate limits on the session's uploads); null or absent when none. */
    keyId?: string | null;
    kind: SessionKind;
    externalUserId: string | null;
    ipHash: string | null;
    /** Documented per-session settings; bounded by the node's (sessionPolicy.ts). */
    settings?: RequestedPolicy;
  }): Promise<SessionRecord> {
    const { clientId, kind, externalUserId } = input;
    const policy = sessionPolicy(input.settings ?? {}, this.policyBounds);
    if (kind === 'enrollment' && externalUserId === null) {
      throw new FacegateError('validation_error', 'external_user_id is required for enrollment', { field: 'external_user_id' });
    }
    if (kind === 'authentication' && externalUserId !== null) {
      if (!(await this.#store.getUser(clientId, externalUserId))) throw new FacegateError('not_found', 'no such user');
      if (await this.#limiter.isLockedOut(clientId, externalUserId)) {
        throw new FacegateError('rate_limit_exceeded', 'too many failed attempts for this user; try later', { reason: 'locked_out' });
      }
    }
    const now = Date.now();
    const rec: SessionRecord = {
      id: `ses_${crypto.randomBytes(12).toString('hex')}`,
      token: crypto.randomBytes(32).toString('base64url'),
      clientId,
      keyId: input.keyId ?? null,
      kind,
      externalUserId,
      status: 'created',
      createdAt: now,
      expiresAt: now + policy.timeoutS * 1000,
      framesProcessed: 0,
      samples: [],
      lastFeedback: null,
      decision: null,
      ipHash: input.ipHash,
      policy,
      version: 1,
    };
    // Keep decided sessions readable a while after expiry so clients can poll the result.
    if (!(await this.#state.createSession(rec, this.ttlMs * 2))) {
      throw new FacegateError('conflict', 'session token collision');
    }
    await this.#notify('onCreated', rec);
    return rec;
  }

  /** Current session, with expiry applied; not_found for unknown tokens. */
  async get(token: string): Promise<SessionRecord> {
    const rec = await this.#state.getSession(token);
    if (!rec) throw new FacegateError('not_found', 'unknown or expired session');
    if (!isTerminal(rec.status) && rec.expiresAt <= Date.now()) return this.#decide(rec, failure('expired'));
    return rec;
  }

  /** Session token -> identity, for the signaling layer's SessionAuthorizer seam. */
  async authorize(token: string): Promise<SessionAuthorization | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 200) return null;
    const rec = await this.#state.getSession(token);
    if (!rec || isTerminal(rec.status) || rec.expiresAt <= Date.now()) return null;
    return { sessionId: rec.id, clientId: rec.clientId, kind: rec.kind };
  }

  /**
   * Settles a session with an engine verdict reached on the live path, after
   * `frames` analysed frames. A session already decided (cancelled or expired
   * meanwhile) keeps its first decision, and its enrollment is not committed.
   */
  async recordLiveVerdict(token: string, step: DecidedStep, frames: number): Promise<SessionRecord> {
    const rec = await this.get(token);
    if (isTerminal(rec.status)) return rec;
    return (await this.#settle({ ...rec, framesProcessed: rec.framesProcessed + frames }, step)) ?? this.get(token);
  }

  async cancel(token: string, clientId?: string): Promise<SessionRecord> {
    const rec = await this.get(token);
    if (clientId !== undefined && rec.clientId !== clientId) throw new FacegateError('not_found', 'unknown or expired session');
    if (isTerminal(rec.status)) return rec;
    const next = await this.#decide(rec, failure('cancelled'));
    // The engine's own session (timers, history) ends too, on whichever node holds it.
    await this.#engine.cancel?.(next).catch(() => {});
    return next;
  }

  /** `input`: the frame, or the upload it is decoded from on first use (see FrameInput). */
  async processFrame(token: string, kind: SessionKind, input: FrameInput): Promise<FrameResult> {
    const rec = await this.get(token);
    if (rec.kind !== kind) {
      throw new FacegateError('invalid_request', `session is an ${rec.kind} session`, { reason: 'wrong_session_kind' });
    }
    if (isTerminal(rec.status)) throw this.#alreadyDecided(rec);
    await this.#loadClientKey(rec.clientId);
    const step = await this.#engine.processFrame(rec, input);
    const frames = rec.framesProcessed + 1;
    const outcome = step.kind === 'sample' ? 'sample' : step.kind === 'pending' ? step.feedback : step.kind === 'retry' ? step.reason : 'decided';
    await this.#notify('onFrame', rec, { outcome, timings: step.kind === 'decided' ? step.verdict.timings : step.timings });
    if (step.kind === 'decided') return this.#decided(token, await this.#settle({ ...rec, framesProcessed: frames }, step));
    if (step.kind === 'sample') return this.#sample(token, { ...rec, framesProcessed: frames }, step);
    const feedback = step.kind === 'pending' ? step.feedback : step.reason;
    if (frames >= (rec.policy?.maxFrames ?? this.#opts.maxFrames)) {
      const scores = step.kind === 'retry' ? step.scores : {};
      return { session: await this.#decide({ ...rec, framesProcessed: frames }, failure('too_many_frames', scores, step.timings)), feedback: 'decided' };
    }
    const next: SessionRecord = { ...rec, status: 'capturing', framesProcessed: frames, lastFeedback: feedback, version: rec.version + 1, updatedAt: Date.now() };
    await this.#write(next);
    return step.kind === 'pending' ? { session: next, feedback, prompts: step.prompts } : { session: next, feedback };
  }

  /** A usable frame from a per-frame engine: one enrollment sample more, or the 1:1 / 1:N match. */
  async #sample(token: string, rec: SessionRecord, step: Extract<FrameStep, { kind: 'sample' }>): Promise<FrameResult> {
    const { embedding: emb, scores, timings } = step;
    if (rec.kind === 'authentication') return this.#decided(token, await this.#settle(rec, { kind: 'decided', verdict: await this.#match(rec, emb, scores, timings) }));
    const samples = [...rec.samples, Array.from(emb)];
    if (samples.length < this.#opts.enrollSamples) {
      const next: SessionRecord = { ...rec, status: 'capturing', samples, lastFeedback: 'accepted', version: rec.version + 1, updatedAt: Date.now() };
      await this.#write(next);
      return { session: next, feedback: 'accepted' };
    }
    // All samples must be one person: each close to the mean.
    const vectors = samples.map((x) => Float32Array.from(x));
    const template = meanTemplate(vectors);
    const consistency = Math.min(...vectors.map((v) => cosine(template, v)));
    const ok = consistency >= this.#opts.matchThreshold;
    const verdict: SessionVerdict = {
      outcome: ok ? 'succeeded' : 'failed',
      reason: ok ? null : 'poor_quality',
      externalUserId: rec.externalUserId,
      similarity: consistency,
      scores: { ...scores, consistency },
      timings,
    };
    return this.#decided(token, await this.#settle({ ...rec, samples: [] }, ok ? { kind: 'decided', verdict, template } : { kind: 'decided', verdict }));
  }

  /** 1:1 against the session's user's own templates, else 1:N over the client's gallery. */
  async #match(rec: SessionRecord, emb: Float32Array, scores: Readonly<Record<string, number>>, timings: Readonly<Record<string, number>>): Promise<SessionVerdict> {
    let best: { externalUserId: string; score: number } | null = null;
    if (rec.externalUserId !== null) {
      const score = await this.#templates.compare(rec.clientId, rec.externalUserId, emb);
      if (score !== null) best = { externalUserId: rec.externalUserId, score };
    } else {
      const hit = (await this.#templates.search(rec.clientId, emb, 1))[0];
      if (hit) best = { externalUserId: hit.subjectId, score: hit.similarity };
    }
    const matched = best !== null && best.score >= this.#opts.matchThreshold;
    const all = { ...scores, similarity: best?.score ?? 0, threshold: this.#opts.matchThreshold };
    return matched
      ? { outcome: 'succeeded', reason: null, externalUserId: best!.externalUserId, similarity: best!.score, scores: all, timings }
      : { outcome: 'failed', reason: 'no_match', externalUserId: null, similarity: best?.score ?? null, scores: all, timings };
  }

  /**
   * Decides a session from an engine verdict: lockout accounting for 1:1,
   * then, for a succeeded enrollment, the claim and the one commit of its
   * template. Null when the session was decided meanwhile (nothing written).
   */
  async #settle(base: SessionRecord, step: DecidedStep): Promise<SessionRecord | null> {
    const v = belowMinConfidence(base, step.verdict) ? { ...step.verdict, outcome: 'failed' as const, reason: 'no_match' as const, externalUserId: null } : step.verdict;
    const succeeded = v.outcome === 'succeeded';
    const verdict: SessionVerdict = {
      ...v,
      reason: succeeded ? null : (v.reason ?? 'liveness_failed'),
      externalUserId: base.kind === 'enrollment' ? base.externalUserId : succeeded ? v.externalUserId : null,
    };
    const status = statusOf(verdict);
    const userFault = !(verdict.reason !== null && SERVICE_FAULT_REASONS.includes(verdict.reason));
    if (base.kind === 'authentication' && base.externalUserId !== null && userFault && (status === 'succeeded' || status === 'failed')) {
      // Checked again here, not only at creation: sessions opened before the
      // lockout (or many opened in advance) must not get attempts past it,
      // and a success during it must not reset the counter.
      if (await this.#limiter.isLockedOut(base.clientId, base.externalUserId)) {
        return this.#decide(base, { ...verdict, outcome: 'failed', reason: 'locked_out', externalUserId: null, similarity: null });
      }
      if (succeeded) await this.#limiter.reset(base.clientId, base.externalUserId);
      // A step-up is no failed try: every check of the no-gesture path held (the face matched), the client confirms the rest.
      else if (verdict.reason !== 'step_up_required') await this.#limiter.recordFailure(base.clientId, base.externalUserId);
    }
    if (base.kind !== 'enrollment' || !succeeded) return this.#decide(base, verdict);
    if (step.template === undefined) return this.#decide(base, { ...verdict, outcome: 'failed', reason: 'poor_quality' });
    const claimed = await this.#claim(base);
    if (claimed === null) return null;
    await this.#templates.enroll(claimed.clientId, claimed.externalUserId!, step.template);
    return this.#decide(claimed, verdict);
  }

  /**
   * Takes the session for the enrollment commit: a compare-and-set write that
   * fails when anything (a cancel, an expiry, another frame) wrote it since
   * `base` was read. After it, a concurrent cancel loses instead.
   */
  async #claim(base: SessionRecord): Promise<SessionRecord | null> {
    const claimed: SessionRecord = { ...base, status: 'capturing', lastFeedback: 'committing', version: base.version + 1 };
    return (await this.#state.updateSession(claimed, this.#ttlFor(claimed))) ? claimed : null;
  }

  /** A REST frame's answer once its session is decided; conflict when it was decided by someone else meanwhile. */
  async #decided(token: string, rec: SessionRecord | null): Promise<FrameResult> {
    if (rec === null) throw this.#alreadyDecided(await this.get(token));
    return { session: rec, feedback: 'decided' };
  }

  #alreadyDecided(rec: SessionRecord): FacegateError {
    if (!isTerminal(rec.status)) return new FacegateError('conflict', 'session was changed concurrently; retry', { reason: 'concurrent_update' });
    return new FacegateError('conflict', `session is already ${rec.status}`, { status: rec.status });
  }

  async #decide(rec: SessionRecord, v: SessionVerdict): Promise<SessionRecord> {
    const seal = this.#seal ? await this.#seal(rec, v).catch((): DecisionSeal => ({})) : {};
    const next: SessionRecord = {
      ...rec,
      status: statusOf(v),
      samples: [],
      lastFeedback: v.reason ?? 'decided',
      decision: { ...v, ...seal, decidedAt: Date.now() },
      version: rec.version + 1,
      updatedAt: Date.now(),
    };
    await this.#write(next);
    await this.#notify('onDecided', next);
    return next;
  }

  #ttlFor(next: SessionRecord): number {
    return Math.max(1000, next.expiresAt - Date.now() + this.ttlMs);
  }

  async #write(next: SessionRecord): Promise<void> {
    if (!(await this.#state.updateSession(next, this.#ttlFor(next)))) {
      throw new FacegateError('conflict', 'session was changed concurrently; retry', { reason: 'concurrent_update' });
    }
  }

  async #notify<K extends keyof SessionObserver>(hook: K, ...args: Parameters<NonNullable<SessionObserver[K]>>): Promise<void> {
    for (const o of this.#observers) {
      const fn = o[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (!fn) continue;
      try {
        await fn.apply(o, args);
      } catch {
        // Observers own their error handling; a failing observer must not fail the session.
      }
    }
  }
}
