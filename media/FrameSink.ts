// The seam between a live session and whatever consumes it (the liveness
// engine): decoded frames and client messages flow out through a FrameSink,
// server messages flow back through the LiveSessionHandle. Neither side
// imports the other's implementation; the composition root wires them.
import type { ClientMessage, ServerMessage } from '../common/protocol/dataChannel.ts';
import type { DecodedFrame, SessionEndReason } from './types.ts';

export interface LiveSessionHandle {
  readonly sessionId: string;
  readonly clientId: string | undefined;
  /** Sends a message to the client over the data channel; false if it cannot be sent (closed or full), TypeError if invalid. */
  send(message: ServerMessage): boolean;
  /** Latest data channel round-trip time, ms (ping/pong), if measured yet. */
  readonly rttMs: number | undefined;
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
