// Connects the liveness engine to the live WebRTC path. The media layer calls a
// FrameSinkFactory per publishing client (media/FrameSink.ts); this returns one
// that opens an engine session, analyses decoded frames at the session cadence
// and sends prompts / progress / the result over the data channel. Challenge
// prompts are stamped with their send time on the engine clock (markSent):
// reactions and the colour-flash schedule, which the page paints on receipt,
// are timed from when the prompt left, not from the frame that triggered it.
// Typed structurally against the media seam (the data-channel messages are
// the shared protocol's types) so neither layer imports the other; the
// composition root passes liveSinkFactory's result as the factory.
import type { RawFrame } from '../../models/types.ts';
import type { LivenessEngine } from '../engine/LivenessEngine.ts';
import type { ServerMessage } from '../../common/protocol/dataChannel.ts';
import type { EngineMessage, EngineMode } from '../engine/types.ts';
import { toClientMessage } from '../engine/wire.ts';

/** What the bridge needs of media's LiveSessionHandle. */
export interface LiveHandle {
  readonly sessionId: string;
  readonly rttMs: number | undefined;
  send(message: ServerMessage): boolean;
  close(reason?: 'closed_by_server'): Promise<void>;
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
}

export interface LiveBridgeOptions {
  /** Which session the publishing client is running (from the signaling token / REST session). */
  readonly resolve: (handle: LiveHandle) => Promise<LiveSessionSpec>;
  /** Wall clock the capture times are on (default Date.now). */
  readonly wallNow?: () => number;
  readonly onError?: (err: unknown, handle: LiveHandle) => void;
  /** Decision hook for the service (store the verdict, audit, webhooks). */
  readonly onDecision?: (message: Extract<EngineMessage, { type: 'result' }>, handle: LiveHandle) => void;
  /**
   * Whether sessions may draw the colour-flash challenge (the page paints the
   * colours). Default: the engine's plan option (config LIVENESS_FLASH).
   */
  readonly flash?: boolean;
}

/**
 * Returns a FrameSinkFactory-compatible function. Live sessions draw their
 * challenges from blink, head turn and (unless turned off) colour flash: the
 * prompt carries the colours and the page paints them on receipt.
 */
export function liveSinkFactory(engine: LivenessEngine, options: LiveBridgeOptions): (handle: LiveHandle) => LiveSink {
  const wallNow = options.wallNow ?? Date.now;
  return (handle) => {
    let id: string | null = null;
    let ended = false;
    let finished = false;
    let lastT = Number.NEGATIVE_INFINITY;
    const ready = (async () => {
      const spec = await options.resolve(handle);
      const rec = await engine.create({
        kind: spec.kind,
        ...(spec.subjectId !== undefined ? { subjectId: spec.subjectId } : {}),
        ...(options.flash !== undefined ? { flash: options.flash } : {}),
        ...(handle.rttMs !== undefined ? { rttMs: handle.rttMs } : {}),
        sink: {
          send(m: EngineMessage): void {
            const out = toClientMessage(m);
            const sent = out !== null && handle.send(out);
            if (sent && m.type === 'challenge' && id !== null) {
              // Issued while its frame was analysed; it leaves now.
              try {
                engine.markSent(id, m.challenge.id, engine.clock.now());
              } catch {
                // The session finished meanwhile: nothing to time.
              }
            }
            if (m.type === 'result') {
              finished = true;
              options.onDecision?.(m, handle);
              void handle.close('closed_by_server').catch(() => undefined);
            }
          },
        },
      });
      await engine.connect(rec.id);
      id = rec.id;
      if (ended) await engine.cancel(rec.id);
    })().catch((err: unknown) => {
      options.onError?.(err, handle);
      void handle.close('closed_by_server').catch(() => undefined);
    });
    return {
      async onFrame(frame: LiveFrame): Promise<void> {
        await ready;
        if (id === null || ended || finished) return;
        // Capture times are wall-clock; the engine's deadlines run on its own
        // clock. Carry the capture delay over so both share one time base.
        const t = Math.max(lastT + 1, engine.clock.now() - Math.max(0, wallNow() - frame.captureTimeMs));
        lastT = t;
        try {
          if (handle.rttMs !== undefined) engine.setRtt(id, handle.rttMs);
          await engine.pushFrame(id, frame.image, t);
        } catch (err) {
          // A finished session rejects further frames; other errors are reported once and end it.
          if (!ended && !finished) options.onError?.(err, handle);
        }
      },
      onMessage(): void {
        // Acks and pings are handled by the media layer; the engine needs only the RTT.
      },
      onEnd(): void {
        ended = true;
        if (id !== null) void engine.cancel(id).catch(() => undefined);
      },
    };
  };
}
