// Sessions: created server-side by an authenticated client, driven by frames
// (REST uploads here; the live path through the same engine seam), decided
// once, then observed (audit, webhooks, metrics, analytics). Session state
// lives in the StateStore (memory or Redis) under the session token; the
// only durable effect, an enrollment, is committed to the store and the
// gallery before the session reports success.
import crypto from 'node:crypto';
import { FacegateError } from '../../common/errors.ts';
import type { KeyRing } from '../crypto/KeyRing.ts';
import type { Gallery } from '../gallery/Gallery.ts';
import type { StateStore } from '../state/StateStore.ts';
import type { Store } from '../store/Store.ts';
import type { EnginePrompt, FrameInput, SessionEngine } from './SessionEngine.ts';
import {
  SERVICE_FAULT_REASONS,
  TERMINAL_STATUSES,
  type DecisionReason,
  type SessionDecision,
  type SessionKind,
  type SessionRecord,
} from './SessionRecord.ts';

export interface SessionServiceOptions {
  readonly sessionTtlS: number;
  readonly matchThreshold: number;
  readonly enrollSamples: number;
  /** Frames a session may submit before it fails with too_many_frames. */
  readonly maxFrames?: number;
  /** Node id stamped on gallery events. */
  readonly nodeId: string;
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
 * A verdict reached outside processFrame (the live WebRTC path's liveness
 * engine), recorded against the service's session. Enrollment templates were
 * already stored by the engine's gallery; this only settles the session.
 */
export interface LiveVerdict {
  readonly outcome: 'succeeded' | 'failed' | 'expired' | 'cancelled';
  readonly reason: DecisionReason | null;
  /** Authentication: the matched external user id; enrollment: ignored (the session's user). */
  readonly matchedUserId: string | null;
  readonly similarity: number | null;
  /** Per-signal scores (passive, blink, ...) and the fused spoof score. */
  readonly scores: Readonly<Record<string, number>>;
  readonly timings: Readonly<Record<string, number>>;
  readonly frames: number;
}

export interface SessionAuthorization {
  readonly sessionId: string;
  readonly clientId: string;
  readonly kind: SessionKind;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

export class SessionService {
  readonly #store: Store;
  readonly #state: StateStore;
  readonly #gallery: Gallery;
  readonly #keys: KeyRing;
  readonly #engine: SessionEngine;
  readonly #limiter: AttemptLimiter;
  readonly #opts: Required<SessionServiceOptions>;
  readonly #observers: SessionObserver[] = [];
  readonly #loadClientKey: (clientId: string) => Promise<unknown>;

  constructor(deps: {
    store: Store;
    state: StateStore;
    gallery: Gallery;
    keys: KeyRing;
    engine: SessionEngine;
    limiter: AttemptLimiter;
    loadClientKey: (clientId: string) => Promise<unknown>;
    options: SessionServiceOptions;
  }) {
    this.#store = deps.store;
    this.#state = deps.state;
    this.#gallery = deps.gallery;
    this.#keys = deps.keys;
    this.#engine = deps.engine;
    this.#limiter = deps.limiter;
    this.#loadClientKey = deps.loadClientKey;
    this.#opts = { maxFrames: 60, ...deps.options };
  }

  observe(o: SessionObserver): void {
    this.#observers.push(o);
  }

  get ttlMs(): number {
    return this.#opts.sessionTtlS * 1000;
  }

  async create(input: {
    clientId: string;
    /** The creating API key (rate limits on the session's uploads); null or absent when none. */
    keyId?: string | null;
    kind: SessionKind;
    externalUserId: string | null;
    ipHash: string | null;
  }): Promise<SessionRecord> {
    const { clientId, kind, externalUserId } = input;
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
      expiresAt: now + this.ttlMs,
      framesProcessed: 0,
      samples: [],
      lastFeedback: null,
      decision: null,
      ipHash: input.ipHash,
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
    if (!TERMINAL_STATUSES.includes(rec.status) && rec.expiresAt <= Date.now()) {
      return this.#decide(rec, { outcome: 'failed', reason: 'expired', externalUserId: null, similarity: null, scores: {}, timings: {} }, 'expired');
    }
    return rec;
  }

  /** Session token -> identity, for the signaling layer's SessionAuthorizer seam. */
  async authorize(token: string): Promise<SessionAuthorization | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 200) return null;
    const rec = await this.#state.getSession(token);
    if (!rec || TERMINAL_STATUSES.includes(rec.status) || rec.expiresAt <= Date.now()) return null;
    return { sessionId: rec.id, clientId: rec.clientId, kind: rec.kind };
  }

  /**
   * Settles a session with a verdict from the live path. A session already
   * decided (cancelled or expired meanwhile) keeps its first decision.
   */
  async recordLiveVerdict(token: string, v: LiveVerdict): Promise<SessionRecord> {
    const rec = await this.get(token);
    if (TERMINAL_STATUSES.includes(rec.status)) return rec;
    return this.#settleVerdict({ ...rec, framesProcessed: rec.framesProcessed + v.frames }, v);
  }

  /** Decides a session from an engine verdict (live path or REST through the liveness engine). */
  async #settleVerdict(base: SessionRecord, v: LiveVerdict): Promise<SessionRecord> {
    const succeeded = v.outcome === 'succeeded';
    const externalUserId = base.kind === 'enrollment' ? base.externalUserId : succeeded ? v.matchedUserId : null;
    const userFault = !(v.reason !== null && SERVICE_FAULT_REASONS.includes(v.reason));
    if (base.kind === 'authentication' && base.externalUserId !== null && userFault && (v.outcome === 'succeeded' || v.outcome === 'failed')) {
      if (succeeded) await this.#limiter.reset(base.clientId, base.externalUserId);
      else await this.#limiter.recordFailure(base.clientId, base.externalUserId);
    }
    return this.#decide(
      base,
      {
        outcome: succeeded ? 'succeeded' : 'failed',
        reason: succeeded ? null : (v.reason ?? (v.outcome === 'failed' ? 'liveness_failed' : v.outcome)),
        externalUserId,
        similarity: v.similarity,
        scores: v.scores,
        timings: v.timings,
      },
      v.outcome,
    );
  }

  async cancel(token: string, clientId?: string): Promise<SessionRecord> {
    const rec = await this.get(token);
    if (clientId !== undefined && rec.clientId !== clientId) throw new FacegateError('not_found', 'unknown or expired session');
    if (TERMINAL_STATUSES.includes(rec.status)) return rec;
    const next = await this.#decide(rec, { outcome: 'failed', reason: 'cancelled', externalUserId: null, similarity: null, scores: {}, timings: {} }, 'cancelled');
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
    if (TERMINAL_STATUSES.includes(rec.status)) {
      throw new FacegateError('conflict', `session is already ${rec.status}`, { status: rec.status });
    }
    await this.#loadClientKey(rec.clientId);
    const step = await this.#engine.processFrame(rec, input);
    const frames = rec.framesProcessed + 1;
    if (step.kind === 'decided') {
      await this.#notify('onFrame', rec, { outcome: 'decided', timings: step.verdict.timings });
      return { session: await this.#settleVerdict({ ...rec, framesProcessed: frames }, step.verdict), feedback: 'decided' };
    }
    await this.#notify('onFrame', rec, { outcome: step.kind === 'sample' ? 'sample' : step.kind === 'pending' ? step.feedback : step.reason, timings: step.timings });
    if (step.kind === 'pending' || step.kind === 'retry') {
      const feedback = step.kind === 'pending' ? step.feedback : step.reason;
      if (frames >= this.#opts.maxFrames) {
        const failed = { ...rec, framesProcessed: frames };
        const scores = step.kind === 'retry' ? step.scores : {};
        return { session: await this.#decide(failed, { outcome: 'failed', reason: 'too_many_frames', externalUserId: null, similarity: null, scores, timings: step.timings }, 'failed'), feedback: 'decided' };
      }
      const next: SessionRecord = { ...rec, status: 'capturing', framesProcessed: frames, lastFeedback: feedback, version: rec.version + 1 };
      await this.#write(next);
      return step.kind === 'pending' ? { session: next, feedback, prompts: step.prompts } : { session: next, feedback };
    }

    if (rec.kind === 'enrollment') return this.#enrollSample(rec, frames, step.embedding, step.scores, step.timings);
    return this.#authenticate(rec, frames, step.embedding, step.scores, step.timings);
  }

  async #enrollSample(
    rec: SessionRecord,
    frames: number,
    emb: Float32Array,
    scores: Readonly<Record<string, number>>,
    timings: Readonly<Record<string, number>>,
  ): Promise<FrameResult> {
    const samples = [...rec.samples, Array.from(emb)];
    if (samples.length < this.#opts.enrollSamples) {
      const next: SessionRecord = { ...rec, status: 'capturing', framesProcessed: frames, samples, lastFeedback: 'accepted', version: rec.version + 1 };
      await this.#write(next);
      return { session: next, feedback: 'accepted' };
    }
    // All samples must be one person: each close to the mean.
    const dim = samples[0]!.length;
    const mean = new Float32Array(dim);
    for (const s of samples) for (let i = 0; i < dim; i++) mean[i]! += s[i]! / samples.length;
    const template = normalise(mean);
    const consistency = Math.min(...samples.map((s) => dot(template, Float32Array.from(s))));
    const base = { ...rec, framesProcessed: frames, samples: [] };
    if (consistency < this.#opts.matchThreshold) {
      return {
        session: await this.#decide(base, { outcome: 'failed', reason: 'poor_quality', externalUserId: rec.externalUserId, similarity: consistency, scores: { ...scores, consistency }, timings }, 'failed'),
        feedback: 'decided',
      };
    }
    const templateId = `tpl_${crypto.randomBytes(12).toString('hex')}`;
    const ciphertext = this.#keys.encryptTemplate(rec.clientId, templateId, template);
    // Store first: the store is the source of truth; the gallery is rebuilt from it.
    await this.#store.enroll(rec.clientId, rec.externalUserId!, [{ id: templateId, ciphertext }]);
    await this.#gallery.add(rec.clientId, [{ templateId, embedding: template }]);
    await this.#state
      .publish({ type: 'gallery.add', clientId: rec.clientId, templateIds: [templateId], origin: this.#opts.nodeId })
      .catch(() => {});
    return {
      session: await this.#decide(base, { outcome: 'succeeded', reason: null, externalUserId: rec.externalUserId, similarity: consistency, scores: { ...scores, consistency }, timings }, 'succeeded'),
      feedback: 'decided',
    };
  }

  async #authenticate(
    rec: SessionRecord,
    frames: number,
    emb: Float32Array,
    scores: Readonly<Record<string, number>>,
    timings: Readonly<Record<string, number>>,
  ): Promise<FrameResult> {
    const base = { ...rec, framesProcessed: frames };
    let best: { externalUserId: string; score: number } | null = null;
    if (rec.externalUserId !== null) {
      // 1:1: compare with this user's own templates only (exact, no gallery needed).
      for (const t of await this.#store.listTemplates(rec.clientId, rec.externalUserId)) {
        const s = dot(this.#keys.decryptTemplate(rec.clientId, t.id, t.ciphertext), emb);
        if (!best || s > best.score) best = { externalUserId: t.externalId, score: s };
      }
    } else {
      const hits = await this.#gallery.search(rec.clientId, emb, 1);
      const hit = hits[0];
      if (hit) {
        const owner = await this.#store.templateOwner(rec.clientId, hit.templateId);
        if (owner !== null) best = { externalUserId: owner, score: hit.score };
      }
    }
    const matched = best !== null && best.score >= this.#opts.matchThreshold;
    const all = { ...scores, similarity: best?.score ?? 0, threshold: this.#opts.matchThreshold };
    if (rec.externalUserId !== null) {
      if (matched) await this.#limiter.reset(rec.clientId, rec.externalUserId);
      else await this.#limiter.recordFailure(rec.clientId, rec.externalUserId);
    }
    const decision = matched
      ? { outcome: 'succeeded' as const, reason: null, externalUserId: best!.externalUserId, similarity: best!.score, scores: all, timings }
      : { outcome: 'failed' as const, reason: 'no_match' as const, externalUserId: null, similarity: best?.score ?? null, scores: all, timings };
    return { session: await this.#decide(base, decision, matched ? 'succeeded' : 'failed'), feedback: 'decided' };
  }

  async #decide(
    rec: SessionRecord,
    d: Omit<SessionDecision, 'decidedAt' | 'reason'> & { reason: DecisionReason | null },
    status: 'succeeded' | 'failed' | 'expired' | 'cancelled',
  ): Promise<SessionRecord> {
    const next: SessionRecord = {
      ...rec,
      status,
      samples: [],
      lastFeedback: d.reason ?? 'decided',
      decision: { ...d, decidedAt: Date.now() },
      version: rec.version + 1,
    };
    await this.#write(next);
    await this.#notify('onDecided', next);
    return next;
  }

  async #write(next: SessionRecord): Promise<void> {
    const ttl = Math.max(1000, next.expiresAt - Date.now() + this.ttlMs);
    if (!(await this.#state.updateSession(next, ttl))) {
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
