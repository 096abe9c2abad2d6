// The seam between session bookkeeping (SessionService: state, store,
// gallery, audit) and frame analysis. The REST fallback uses FrameEngine
// (src/sessions/FrameEngine.ts); the liveness engine can implement the same
// interface and be passed to SessionService instead.
import type { RawFrame } from '../../models/types.ts';
import type { EncodedImage } from './frameDecoder.ts';
import type { ClientMessage } from '../liveness/index.ts';
import type { LiveVerdict } from './SessionService.ts';
import type { DecisionReason, SessionRecord } from './SessionRecord.ts';

/** What the client should do next (a gate prompt, a challenge) or how far it is. */
export type EnginePrompt = Extract<ClientMessage, { type: 'prompt' | 'progress' }>;

export type FrameStep =
  | {
      /** The frame is usable: one face, good enough; embedding is L2-normalised. */
      readonly kind: 'sample';
      readonly embedding: Float32Array;
      readonly scores: Readonly<Record<string, number>>;
      readonly timings: Readonly<Record<string, number>>;
    }
  | {
      /** The frame is not usable; the reason is guidance for the user, not a session failure. */
      readonly kind: 'retry';
      readonly reason: DecisionReason;
      readonly scores: Readonly<Record<string, number>>;
      readonly timings: Readonly<Record<string, number>>;
    }
  | {
      /**
       * A session engine that runs its own state machine (the liveness engine)
       * took the frame and has not decided yet; `prompts` tell the client what
       * to do next (challenges carry their timeout), `feedback` is the latest one.
       */
      readonly kind: 'pending';
      readonly feedback: string;
      readonly prompts: readonly EnginePrompt[];
      readonly timings: Readonly<Record<string, number>>;
    }
  | {
      /** That engine reached its verdict (with per-signal scores) on this frame. */
      readonly kind: 'decided';
      readonly verdict: LiveVerdict;
    };

export interface SessionEngine {
  /**
   * `frame` is the decoded upload; `source`, when the frame came from an
   * upload, is what the client sent (within the size limit), so an engine that
   * sends the frame elsewhere (AffinityFrameEngine) can send the few encoded
   * bytes instead of the pixels. Engines that analyse here use `frame`.
   */
  processFrame(session: SessionRecord, frame: RawFrame, source?: EncodedImage): Promise<FrameStep>;
  /**
   * The service cancelled the session (DELETE, from any node): an engine that
   * keeps per-session state ends it, wherever it runs. Best-effort; the
   * service's record is already decided.
   */
  cancel?(session: SessionRecord): Promise<void>;
}
