// The seam between a live session and whatever consumes it (the liveness
// engine): decoded frames and client messages flow out through a FrameSink,
// server messages flow back through the LiveSessionHandle. Neither side
// imports the other's implementation; the composition root wires them.
// What the session announces (its end, a new RTT) goes out on its observer,
// as mediasoup's objects announce theirs, for whoever listens (signaling
// tells the client; the engine adapter times reactions).
import type { EventEmitter } from 'node:events';
import type { TransportFacts } from '../common/injection.ts';
import type { ClientMessage, ServerMessage } from '../common/protocol/dataChannel.ts';
import type { DecodedFrame, SessionEndReason } from './types.ts';

/** The live session's observer events. */
export interface LiveSessionEvents {
  /** The session ended and released everything it owned; emitted once, after the sink's onEnd. */
  close: [reason: SessionEndReason];
  /** The data channel round-trip time changed (a pong came back with another value), ms. */
  rtt: [rttMs: number];
}

export interface LiveSessionHandle {
  readonly sessionId: string;
  readonly clientId: string | undefined;
  /** Sends a message to the client over the data channel; false if it cannot be sent (closed or full), TypeError if invalid. */
  send(message: ServerMessage): boolean;
  /** Latest data channel round-trip time, ms (ping/pong), if measured yet; changes are announced as 'rtt'. */
  readonly rttMs: number | undefined;
  /** Announces the session's end and RTT changes (listen only; the session emits). */
  readonly observer: EventEmitter<LiveSessionEvents>;
  /** What the session measured about its stream so far, for the injection signals (common/injection.ts). */
  transportFacts(): TransportFacts;
  /** Ends the session (e.g. after the result was sent). */
  close(reason?: SessionEndReason): Promise<void>;
}

export interface FrameSink {
  /**
   * A decoded frame at the session cadence. If the returned promise is still
   * pending when the next frame comes, that frame is dropped, not queued.
   */
  onFrame(frame: DecodedFrame): void | Promise<void>;
  onMessage?(message: ClientMessage): void;
  /** The session ended; called once. */
  onEnd?(reason: SessionEndReason): void;
}

/** Called when a client starts publishing; returns where that session's frames go. */
export type FrameSinkFactory = (session: LiveSessionHandle) => FrameSink;
