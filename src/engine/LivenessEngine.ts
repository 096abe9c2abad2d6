// The liveness engine: owns the live sessions (Map<id, LivenessSession>), their
// TTL timers and the SessionStore records, and runs frames through the face
// analyzer. Transport-agnostic: the live path calls pushFrame() from its frame
// source and forwards EngineMessages over the data channel; the REST fallback
// calls the same methods per uploaded frame and returns the messages.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { decodeImage } from '../../models/decodeImage.ts';
import type { FaceAnalyzerLike, FaceStage, RawFrame } from '../../models/types.ts';
import { FacegateError } from '../../common/errors.ts';
import { LivenessSession } from './LivenessSession.ts';
import type { SessionInit } from './LivenessSessionTypes.ts';
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from './options.ts';
import { InMemorySessionStore } from './InMemorySessionStore.ts';
import { DetectSchedule, observeFrame } from './observe.ts';
import type { FaceGrid } from './signals/artefacts.ts';
import { SystemClock } from './SystemClock.ts';
import type { Clock, EngineMode, EngineSessionRecord, EngineSink, Observation, SessionState, SessionStore, SubjectMatcher } from './types.ts';

export interface LivenessEngineOptions {
  /** Enrolled templates, read only: the engine matches against them and never writes (the caller commits enrollments). */
  readonly gallery: SubjectMatcher;
  /** Needed for pushFrame(); pushObservation() works without. */
  readonly analyzer?: FaceAnalyzerLike;
  readonly store?: SessionStore;
  readonly clock?: Clock;
  readonly session?: Partial<SessionOptions>;
  /** Most concurrent live sessions; create() beyond it fails with service_unavailable. */
  readonly maxSessions?: number;
  /** Structured log; each session gets a child logger with its id. */
  readonly log?: Logger;
  /** Told about every frame pushFrame() analyses or drops (per-frame metrics). */
  readonly onFrame?: (stats: EngineFrameStats) => void;
}

/** One frame pushFrame() saw. */
export interface EngineFrameStats {
  /** 'dropped': the session's previous frame was still in analysis (the live path does not queue). */
  readonly outcome: 'analysed' | 'dropped';
  readonly transport: 'live' | 'upload';
  readonly sessionId: string;
  /** Frame in -> its consequences settled (analysis and the session's step), ms; 0 when dropped. */
  readonly analysisMs: number;
  /** Of which waiting for the shared face analyzer, ms. */
  readonly queueMs: number;
  /** Capture (the frame's `t`) -> its consequences settled, on the engine clock, ms; 0 when dropped. */
  readonly captureToDoneMs: number;
}

/** What a caller gives for a new session: SessionInit's transport and plan fields (documented there), an id if it has one. */
export interface CreateSessionInput extends Pick<SessionInit, 'subjectId' | 'flash' | 'rttMs' | 'fixedSchedule' | 'plan' | 'uploaded' | 'injection' | 'noGesture'> {
  readonly kind: EngineMode;
  readonly sink: EngineSink;
  readonly id?: string;
}

/** Deadline check period while frames do not arrive. */
const TICK_MS = 500;

interface Entry {
  readonly session: LivenessSession;
  readonly log: Logger | undefined;
  readonly cancelTtl: () => void;
  cancelTick: (() => void) | null;
  grid: FaceGrid | undefined;
  readonly detect: DetectSchedule;
  readonly transport: EngineFrameStats['transport'];
  busy: boolean;
  dropped: number;
  storedState: SessionState;
}

export class LivenessEngine {
  readonly #gallery: SubjectMatcher;
  readonly #analyzer: FaceAnalyzerLike | undefined;
  readonly #store: SessionStore;
  readonly #ownsStore: boolean;
  readonly #clock: Clock;
  readonly #options: SessionOptions;
  readonly #maxSessions: number;
  readonly #log: Logger | undefined;
  readonly #onFrame: ((stats: EngineFrameStats) => void) | undefined;
  readonly #sessions = new Map<string, Entry>();
  #closed = false;

  constructor(options: LivenessEngineOptions) {
    if (!options || !options.gallery) throw new TypeError('LivenessEngine needs a gallery');
    this.#gallery = options.gallery;
    this.#analyzer = options.analyzer;
    this.#clock = options.clock ?? new SystemClock();
    this.#ownsStore = options.store === undefined;
    this.#store = options.store ?? new InMemorySessionStore(this.#clock);
    this.#options = { ...DEFAULT_SESSION_OPTIONS, ...options.session };
    this.#maxSessions = options.maxSessions ?? 1000;
    this.#log = options.log;
    this.#onFrame = options.onFrame;
  }

  get clock(): Clock {
    return this.#clock;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Opens a session in state `created`; its TTL starts now. */
  async create(input: CreateSessionInput): Promise<EngineSessionRecord> {
    this.#assertOpen();
    if (!input || !input.sink || typeof input.sink.send !== 'function') throw new TypeError('create() needs a sink');
    if (input.kind !== 'enrollment' && input.kind !== 'verification' && input.kind !== 'identification') {
      throw new FacegateError('validation_error', 'kind must be enrollment, verification or identification');
    }
    if ((input.kind === 'verification' || input.kind === 'enrollment') && !input.subjectId) {
      throw new FacegateError('validation_error', `${input.kind} needs a subjectId`);
    }
    if (this.#sessions.size >= this.#maxSessions) throw new FacegateError('service_unavailable', 'too many live sessions');
    const id = input.id ?? randomUUID();
    if (this.#sessions.has(id)) throw new FacegateError('conflict', 'session id already in use');
    const now = this.#clock.now();
    const log = this.#log?.child({ sessionId: id, kind: input.kind });
    const userSink = input.sink;
    const sink: EngineSink = {
      send(m) {
        if (m.type === 'result') {
          const d = m.decision;
          // Outcome and timings only: scores and identities stay out of logs.
          log?.info({ outcome: d.outcome, reason: d.reason ?? null, frames: d.timings.frames, firstFrameToVerdictMs: d.timings.firstFrameToVerdictMs }, 'liveness session decided');
        } else if (m.type === 'challenge') {
          log?.debug({ challenge: m.challenge.kind, index: m.index }, 'challenge issued');
        }
        userSink.send(m);
      },
    };
    const session = new LivenessSession(
      {
        id,
        kind: input.kind,
        ...(input.subjectId !== undefined ? { subjectId: input.subjectId } : {}),
        createdAt: now,
        ...(input.rttMs !== undefined ? { rttMs: input.rttMs } : {}),
        ...(input.flash !== undefined ? { flash: input.flash } : {}),
        ...(input.fixedSchedule ? { fixedSchedule: input.fixedSchedule } : {}),
        ...(input.plan ? { plan: input.plan } : {}),
        ...(input.uploaded !== undefined ? { uploaded: input.uploaded } : {}),
        ...(input.injection ? { injection: input.injection } : {}),
        ...(input.noGesture ? { noGesture: true } : {}),
      },
      this.#gallery,
      sink,
      this.#options,
    );
    const cancelTtl = this.#clock.setTimer(this.#options.ttlMs, () => {
      session.expire(this.#clock.now());
      void this.#settle(id);
    });
    this.#sessions.set(id, { session, log, cancelTtl, cancelTick: null, grid: undefined, detect: new DetectSchedule(this.#options.detectIntervalMs, this.#options.detectMinFrames), transport: input.uploaded === true ? 'upload' : 'live', busy: false, dropped: 0, storedState: session.state });
    log?.debug('liveness session created');
    await this.#store.put(session.record, this.#options.ttlMs);
    return session.record;
  }

  /** The transport is up (live path: media flowing; REST: first upload). */
  async connect(id: string): Promise<EngineSessionRecord> {
    const e = this.#live(id);
    e.session.connect(this.#clock.now());
    await this.#store.put(e.session.record, this.#options.ttlMs);
    e.storedState = e.session.state;
    return e.session.record;
  }

  setRtt(id: string, rttMs: number): void {
    this.#live(id).session.setRtt(rttMs);
  }

  /**
   * The transport sent a challenge to the page at `t` (engine clock, default
   * now): its reaction floor and colour-flash schedule are timed from here.
   */
  markSent(id: string, challengeId: string, t: number = this.#clock.now()): void {
    if (typeof challengeId !== 'string') throw new TypeError('challengeId must be a string');
    this.#live(id).session.markSent(challengeId, t);
  }

  /** The model stages session `id` needs on a frame captured at `t` (what pushFrame runs). */
  wantedStages(id: string, t: number): FaceStage[] {
    return this.#live(id).session.wantedStages(t);
  }

  /** Whether session `id`'s next frame may follow the face on its previous box (pushFrame detects otherwise). */
  followsFace(id: string): boolean {
    return this.#live(id).session.followsFace;
  }

  /**
   * Analyses one frame captured at `t` (engine clock, ms) and feeds the session.
   * Returns false when the frame was dropped because the previous one is still
   * being analysed (the live path must not queue up latency).
   */
  async pushFrame(id: string, frame: RawFrame, t: number): Promise<boolean> {
    const e = this.#live(id);
    if (!this.#analyzer) throw new FacegateError('service_unavailable', 'this engine has no face analyzer');
    if (e.busy) {
      e.dropped++;
      this.#onFrame?.({ outcome: 'dropped', transport: e.transport, sessionId: id, analysisMs: 0, queueMs: 0, captureToDoneMs: 0 });
      return false;
    }
    e.busy = true;
    const t0 = performance.now();
    let queueMs = 0;
    try {
      const st = e.session.scheduleTime(t);
      const track = e.session.followsFace ? e.detect.trackFor(st) : undefined;
      const o = await observeFrame(this.#analyzer, frame, t, e.session.wantedStages(t), e.grid, track);
      queueMs = o.queueMs ?? 0;
      e.grid = o.grid;
      e.detect.update(o, st);
      await e.session.process(o.observation);
    } finally {
      e.busy = false;
    }
    await this.#afterFrame(id, e);
    this.#onFrame?.({ outcome: 'analysed', transport: e.transport, sessionId: id, analysisMs: performance.now() - t0, queueMs, captureToDoneMs: this.#clock.now() - t });
    return true;
  }

  /**
   * The REST fallback: one uploaded JPEG/PNG/WebP image, captured at `t`
   * (default: now on the engine clock). Undecodable bytes reject with the
   * models layer's typed image error and leave the session as it was.
   */
  async pushImage(id: string, bytes: Uint8Array, t: number = this.#clock.now()): Promise<boolean> {
    this.#live(id);
    if (!(bytes instanceof Uint8Array)) throw new TypeError('pushImage() needs the image bytes as a Uint8Array');
    const frame = await decodeImage(bytes);
    return this.pushFrame(id, frame, t);
  }

  /** Feeds an already analysed frame (recorded observations, tests, a remote analyzer). */
  async pushObservation(id: string, obs: Observation): Promise<void> {
    const e = this.#live(id);
    await e.session.process(obs);
    await this.#afterFrame(id, e);
  }

  /** Cancels a session (user left, page closed). Idempotent on finished sessions. */
  async cancel(id: string): Promise<EngineSessionRecord> {
    const e = this.#sessions.get(id);
    if (!e) return this.get(id);
    e.session.cancel(this.#clock.now());
    await this.#settle(id);
    return e.session.record;
  }

  /** The stored record (live or finished while the store keeps it). */
  async get(id: string): Promise<EngineSessionRecord> {
    this.#assertOpen();
    const live = this.#sessions.get(id);
    if (live) return live.session.record;
    const r = await this.#store.get(id);
    if (!r) throw new FacegateError('session_not_found', 'no such session', { sessionId: id });
    return r;
  }

  /** Cancels every live session and releases timers; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#sessions.keys()]) {
      const e = this.#sessions.get(id)!;
      e.session.cancel(this.#clock.now());
      await this.#settle(id);
    }
    if (this.#ownsStore) await this.#store.close();
  }

  async #afterFrame(id: string, e: Entry): Promise<void> {
    if (e.session.terminal) {
      await this.#settle(id);
      return;
    }
    // One store write per state change, not per frame (the store may be Redis).
    if (e.session.state !== e.storedState) {
      await this.#store.put(e.session.record, this.#options.ttlMs);
      e.storedState = e.session.state;
    }
    // If frames stop, challenge and gate deadlines must still fire.
    e.cancelTick?.();
    this.#armTick(id, e);
  }

  #armTick(id: string, e: Entry): void {
    e.cancelTick = this.#clock.setTimer(TICK_MS, () => {
      e.session.tick(this.#clock.now());
      if (e.session.terminal) void this.#settle(id);
      else this.#armTick(id, e);
    });
  }

  /** Removes a finished session from memory; its record (with the decision) stays in the store for the TTL. */
  async #settle(id: string): Promise<void> {
    const e = this.#sessions.get(id);
    if (!e || !e.session.terminal) return;
    this.#sessions.delete(id);
    e.cancelTtl();
    e.cancelTick?.();
    try {
      await this.#store.put(e.session.record, this.#options.ttlMs);
    } catch {
      // The store may be closing with the engine; the sink already has the result.
    }
  }

  #live(id: string): Entry {
    this.#assertOpen();
    if (typeof id !== 'string') throw new TypeError('session id must be a string');
    const e = this.#sessions.get(id);
    if (!e) throw new FacegateError('session_not_found', 'no live session with this id (unknown or finished)', { sessionId: id });
    return e;
  }

  #assertOpen(): void {
    if (this.#closed) throw new FacegateError('session_closed', 'the liveness engine is closed');
  }
}
