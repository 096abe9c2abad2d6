// Joins the service's sessions to the live WebRTC path. As the signaling
// SessionAuthorizer it checks a session token with SessionService and
// remembers which service session (token, client, kind, user) a live
// session id belongs to; as the FrameSinkFactory it runs each publishing
// client's frames through that client's LivenessEngine (liveBridge.ts) and
// hands the engine's verdict to SessionService, which commits it, with an
// enrollment's template, only while the session is still open (status,
// audit, webhooks, metrics, analytics all observe it there).
import type { Logger } from 'pino';
import type { FrameSink, FrameSinkFactory, LiveSessionHandle } from '../../media/index.ts';
import type { AuthorizedSession, JoinPreferences, SessionAuthorizer } from '../../signaling/index.ts';
import type { Decision, InjectionOptions } from '../engine/index.ts';
import { liveSinkFactory, type LiveSessionSpec } from './liveBridge.ts';
import type { SessionService } from '../sessions/SessionService.ts';
import { isTerminal, type SessionKind, type SessionPolicy } from '../../common/session.ts';
import type { ClientEngines } from './ClientEngines.ts';
import { liveSessionSpec } from './liveSessionSpec.ts';
import { decidedStep } from './decidedStep.ts';
import { decisionSealWire, type DecisionSealWire } from '../sessions/decisionSeal.ts';

/** How often a live session checks that its service session is still open (a DELETE or expiry on any node ends it). */
const SESSION_WATCH_MS = 1000;

interface Joined {
  readonly token: string;
  readonly clientId: string;
  readonly kind: SessionKind;
  readonly externalUserId: string | null;
  readonly expiresAt: number;
  /** The user opted out of the colour flash at join. */
  readonly noFlash: boolean;
  /** The no-gesture path: the user said at join they cannot follow the prompts, and the session's policy is step_up. */
  readonly noGesture: boolean;
}

export interface LiveSessionLinkDeps {
  readonly sessions: SessionService;
  readonly engines: ClientEngines;
  /** Loads the client's data key (TenantService.loadClientKey) before its gallery is used. */
  readonly loadClientKey: (clientId: string) => Promise<unknown>;
  readonly log: Logger;
  /** Server policy: whether a client's flash opt-out at join is honoured (LIVENESS_FLASH_OPT_OUT; default true). */
  readonly allowFlashOptOut?: boolean;
  /** Thresholds and policies of the injection signals (sessionOptions.ts injectionOptionsFromConfig); default: every signal flags. */
  readonly injection?: InjectionOptions;
}

/**
 * What a join's preferences change, under the node's and the session's policy: the flash
 * opt-out where the node honours it (LIVENESS_FLASH_OPT_OUT); the no-gesture path (no flash
 * either) only where the client created the session with no_gesture_path 'step_up'.
 */
export function joinChoices(preferences: JoinPreferences, policy: SessionPolicy | undefined, allowFlashOptOut: boolean): { noFlash: boolean; noGesture: boolean } {
  const noGesture = preferences.gestures === 'off' && policy?.noGesturePath === 'step_up';
  return { noFlash: noGesture || (preferences.flash === 'off' && allowFlashOptOut), noGesture };
}

export class LiveSessionLink implements SessionAuthorizer {
  readonly #deps: LiveSessionLinkDeps;
  /** Live session id (= service session id) -> the service session it runs. */
  readonly #joined = new Map<string, Joined>();
  /** Joins whose verdict this link is recording itself (the watch must not close those). */
  readonly #recording = new WeakSet<Joined>();
  readonly sinkFactory: FrameSinkFactory;

  constructor(deps: LiveSessionLinkDeps) {
    this.#deps = deps;
    this.sinkFactory = (handle) => this.#sink(handle);
  }

  async authorize(token: string, preferences: JoinPreferences = {}): Promise<AuthorizedSession | null> {
    const auth = await this.#deps.sessions.authorize(token);
    if (auth === null) return null;
    const rec = await this.#deps.sessions.get(token);
    await this.#deps.loadClientKey(rec.clientId);
    this.#sweep();
    this.#joined.set(rec.id, {
      token,
      clientId: rec.clientId,
      kind: rec.kind,
      externalUserId: rec.externalUserId,
      expiresAt: rec.expiresAt,
      ...joinChoices(preferences, rec.policy, this.#deps.allowFlashOptOut !== false),
    });
    return { sessionId: auth.sessionId, clientId: auth.clientId };
  }

  #sink(handle: LiveSessionHandle): FrameSink {
    const joined = this.#joined.get(handle.sessionId);
    const log = this.#deps.log;
    if (joined === undefined) {
      // Signaling only opens sessions this authorizer accepted; end it if that ever breaks.
      log.warn({ sessionId: handle.sessionId }, 'live session without an authorized service session');
      void handle.close('closed_by_server').catch(() => undefined);
      return { onFrame: () => undefined };
    }
    const engine = this.#deps.engines.for(joined.clientId);
    // A service session cancelled (DELETE, on any node: the record is shared), expired or
    // decided elsewhere ends its live session too, so the page stops prompting for nothing.
    const watch = setInterval(() => void this.#watch(handle, joined), SESSION_WATCH_MS);
    watch.unref();
    handle.observer.once('close', () => clearInterval(watch));
    // The bridge closes the session right after sending the result; that is safe
    // because LiveSession.close() flushes the data channel before tearing down.
    return liveSinkFactory(engine, {
      resolve: async (): Promise<LiveSessionSpec> => ({
        ...liveSessionSpec(joined.kind, joined.externalUserId),
        ...(joined.noFlash ? { flash: false } : {}),
        ...(joined.noGesture ? { noGesture: true } : {}),
      }),
      onError: (err) => log.warn({ err, sessionId: handle.sessionId }, 'live liveness session failed'),
      onDecision: (m) => this.#record(handle.sessionId, joined, m.decision),
      ...(this.#deps.injection !== undefined ? { injection: this.#deps.injection } : {}),
    })(handle);
  }

  /** Commits the verdict; resolves to the decision's seal (verdict token, face-login tokens) for the page's result. */
  async #record(sessionId: string, joined: Joined, d: Decision): Promise<DecisionSealWire | undefined> {
    // A dropped connection cancels the engine session; the service session
    // stays open so the user can reconnect with the same token until it expires.
    if (d.outcome === 'cancelled') return undefined;
    this.#recording.add(joined);
    this.#joined.delete(sessionId);
    try {
      const rec = await this.#deps.sessions.recordLiveVerdict(joined.token, decidedStep(d), d.timings.frames);
      return rec.decision ? decisionSealWire(rec.decision) : undefined;
    } catch (err) {
      this.#deps.log.error({ err, sessionId }, 'could not record the live verdict');
      return undefined;
    }
  }

  /** Ends the live session whose service session is no longer open (not after this link recorded its own verdict). */
  async #watch(handle: LiveSessionHandle, joined: Joined): Promise<void> {
    if (this.#recording.has(joined)) return;
    const open = await this.#deps.sessions.get(joined.token).then(
      (rec) => !isTerminal(rec.status),
      (err: unknown) => (err as { code?: unknown }).code !== 'not_found',
    );
    if (open || this.#recording.has(joined)) return;
    this.#recording.add(joined);
    if (this.#joined.get(handle.sessionId) === joined) this.#joined.delete(handle.sessionId);
    this.#deps.log.info({ sessionId: handle.sessionId }, 'service session ended elsewhere: closing its live session');
    await handle.close('session_ended').catch(() => undefined);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, j] of this.#joined) if (j.expiresAt <= now) this.#joined.delete(id);
  }
}
