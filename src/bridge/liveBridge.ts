// A live frame's way from the browser's track to the session's verdict, in
// the order it happens:
//   1. media/LiveSession receives the track, decodes it and hands each frame
//      at the session cadence to its FrameSink (dropping frames while the
//      previous one is still being analysed). The sink is made here, one per
//      publishing client; signaling only connects it and is off this path.
//   2. onFrame() carries the capture time onto the engine clock and pushes
//      the frame into the engine session (LivenessEngine.pushFrame).
//   3. The engine answers through this file's EngineSink: prompts, progress
//      and challenges go out on the data channel (handle.send); a challenge
//      is stamped with the time it left (markSent), because reactions and the
//      colour-flash schedule, which the page paints on receipt, are timed
//      from then, not from the frame that triggered it.
//   4. The result goes to onDecision (LiveSessionLink: SessionService commits
//      the verdict and, for an enrollment, the template) and the session is
//      closed (LiveSession.close() flushes the data channel first).
// Beside the path: the session's observer announces RTT changes (the engine
// uses the RTT to time reactions) and the sink's onEnd cancels the engine
// session when the client goes. Typed structurally against the media seam so
// neither layer imports the other; the composition root passes the factory.
import type { RawFrame } from '../../models/types.ts';
import type { LivenessEngine } from '../engine/LivenessEngine.ts';
import type { EngineMessage, EngineMode } from '../engine/types.ts';
import type { InjectionOptions } from '../engine/injection/index.ts';
import type { TransportFacts } from '../../common/injection.ts';
import type { ServerMessage } from '../../common/protocol/dataChannel.ts';
import { toClientMessage } from '../engine/wire.ts';

/** What the bridge needs of media's LiveSessionHandle. */
export interface LiveHandle {
  readonly sessionId: string;
  /** The RTT when the session starts; later changes arrive as the observer's 'rtt' events. */
  readonly rttMs: number | undefined;
  readonly observer: {
    on(event: 'rtt', listener: (rttMs: number) => void): unknown;
    off(event: 'rtt', listener: (rttMs: number) => void): unknown;
  };
  send(message: ServerMessage): boolean;
  close(reason?: 'closed_by_server'): Promise<void>;
  /** What the transport measured for the injection signals; without it they are not evaluated. */
  transportFacts?(): TransportFacts;
}

/** What the bridge needs of media's DecodedFrame. */
export interface LiveFrame {
  readonly image: RawFrame;
  /** Capture time, wall-clock ms. */
  readonly captureTimeMs: number;
}

export interface LiveSink {
  onFrame(frame: LiveFrame): Promise<void>;
  onMessage(message: unknown): void;
  onEnd(reason: string): void;
}

export interface LiveSessionSpec {
  readonly kind: EngineMode;
  readonly subjectId?: string;
  /** false: the user opted out of the colour flash (the plan draws from the other families). */
  readonly flash?: boolean;
  /** true: the no-flash/no-gesture path (the engine's SessionInit.noGesture): no challenge, at best step_up_required. */
  readonly noGesture?: boolean;
}

export interface LiveBridgeOptions {
  /** Which session the publishing client is running (from the signaling token / REST session). */
  readonly resolve: (handle: LiveHandle) => Promise<LiveSessionSpec>;
  /** Wall clock the capture times are on (default Date.now). */
  readonly wallNow?: () => number;
  readonly onError?: (err: unknown, handle: LiveHandle) => void;
  /** Decision hook for the service (commit the verdict, audit, webhooks). */
  /** Resolves to fields the result carries to the page beside the engine's (the verdict token, face-login tokens). */
  readonly onDecision?: (message: Extract<EngineMessage, { type: 'result' }>, handle: LiveHandle) => void | Promise<Readonly<Record<string, unknown>> | void>;
  /**
   * Whether sessions may draw the colour-flash challenge (the page paints the
   * colours). Default: the engine's plan option (config LIVENESS_FLASH).
   */
  readonly flash?: boolean;
  /** Thresholds and the policy of each injection signal (config LIVENESS_INJECTION_*); default: every signal flags. */
  readonly injection?: InjectionOptions;
}

/**
 * Returns a FrameSinkFactory-compatible function. Live sessions draw their
 * challenges from blink, head turn and (unless turned off) colour flash: the
 * prompt carries the colours and the page paints them on receipt.
 */
export function liveSinkFactory(engine: LivenessEngine, options: LiveBridgeOptions): (handle: LiveHandle) => LiveSink {
  return (handle) => new LiveEngineSink(engine, options, handle);
}

/** One publishing client's sink: steps 2 to 4 above. */
class LiveEngineSink implements LiveSink {
  readonly #engine: LivenessEngine;
  readonly #options: LiveBridgeOptions;
  readonly #handle: LiveHandle;
  readonly #wallNow: () => number;
  readonly #ready: Promise<void>;
  readonly #onRtt = (rttMs: number): void => this.#setRtt(rttMs);
  #id: string | null = null;
  #ended = false;
  #finished = false;
  #lastT = Number.NEGATIVE_INFINITY;

  constructor(engine: LivenessEngine, options: LiveBridgeOptions, handle: LiveHandle) {
    this.#engine = engine;
    this.#options = options;
    this.#handle = handle;
    this.#wallNow = options.wallNow ?? Date.now;
    handle.observer.on('rtt', this.#onRtt);
    this.#ready = this.#open().catch((err: unknown) => {
      this.#stopListening();
      options.onError?.(err, handle);
      void handle.close('closed_by_server').catch(() => undefined);
    });
  }

  async onFrame(frame: LiveFrame): Promise<void> {
    await this.#ready;
    const id = this.#id;
    if (id === null || this.#ended || this.#finished) return;
    // Capture times are wall-clock; the engine's deadlines run on its own
    // clock. Carry the capture delay over so both share one time base.
    const t = Math.max(this.#lastT + 1, this.#engine.clock.now() - Math.max(0, this.#wallNow() - frame.captureTimeMs));
    this.#lastT = t;
    try {
      await this.#engine.pushFrame(id, frame.image, t);
    } catch (err) {
      // A finished session rejects further frames; other errors are reported once and end it.
      if (!this.#ended && !this.#finished) this.#options.onError?.(err, this.#handle);
    }
  }

  onMessage(): void {
    // Acks and pings are handled by the media layer; the RTT arrives on the observer.
  }

  onEnd(): void {
    this.#ended = true;
    this.#stopListening();
    if (this.#id !== null) void this.#engine.cancel(this.#id).catch(() => undefined);
  }

  async #open(): Promise<void> {
    const spec = await this.#options.resolve(this.#handle);
    const rttMs = this.#handle.rttMs;
    const handle = this.#handle;
    const injection = handle.transportFacts === undefined ? undefined : { facts: () => handle.transportFacts!(), ...(this.#options.injection ? { options: this.#options.injection } : {}) };
    const rec = await this.#engine.create({
      kind: spec.kind,
      ...(spec.subjectId !== undefined ? { subjectId: spec.subjectId } : {}),
      ...(spec.flash === false ? { flash: false } : this.#options.flash !== undefined ? { flash: this.#options.flash } : {}),
      ...(rttMs !== undefined ? { rttMs } : {}),
      ...(injection !== undefined ? { injection } : {}),
      ...(spec.noGesture === true ? { noGesture: true } : {}),
      sink: { send: (m: EngineMessage) => this.#send(m) },
    });
    await this.#engine.connect(rec.id);
    this.#id = rec.id;
    if (this.#ended) return void (await this.#engine.cancel(rec.id));
    // A change announced while the session was being created.
    if (this.#handle.rttMs !== undefined && this.#handle.rttMs !== rttMs) this.#setRtt(this.#handle.rttMs);
  }

  #send(m: EngineMessage): void {
    if (m.type === 'result') return void this.#finish(m);
    const out = toClientMessage(m);
    const sent = out !== null && this.#handle.send(out);
    if (sent && m.type === 'challenge' && this.#id !== null) {
      // Issued while its frame was analysed; it leaves now.
      try {
        this.#engine.markSent(this.#id, m.challenge.id, this.#engine.clock.now());
      } catch {
        // The session finished meanwhile: nothing to time.
      }
    }
  }

  /** The result leaves once the service has committed (and sealed) it, with the seal in its data; then the session closes. */
  async #finish(m: Extract<EngineMessage, { type: 'result' }>): Promise<void> {
    this.#finished = true;
    this.#stopListening();
    let extra: Readonly<Record<string, unknown>> | void = undefined;
    try {
      extra = await this.#options.onDecision?.(m, this.#handle);
    } catch (err) {
      this.#options.onError?.(err, this.#handle);
    }
    const out = toClientMessage(m);
    if (out !== null && out.type === 'result') this.#handle.send(extra ? { ...out, data: { ...out.data, ...extra } } : out);
    await this.#handle.close('closed_by_server').catch(() => undefined);
  }

  #setRtt(rttMs: number): void {
    if (this.#id === null || this.#ended || this.#finished) return;
    try {
      this.#engine.setRtt(this.#id, rttMs);
    } catch {
      // The session finished meanwhile.
    }
  }

  #stopListening(): void {
    this.#handle.observer.off('rtt', this.#onRtt);
  }
}
