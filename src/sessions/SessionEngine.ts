// The seam between session bookkeeping (SessionService: state, store,
// gallery, audit) and frame analysis. The REST fallback uses FrameEngine
// (src/sessions/FrameEngine.ts); the liveness engine can implement the same
// interface and be passed to SessionService instead.
import type { RawFrame } from '../../models/types.ts';
import type { DecisionReason, SessionRecord } from './SessionRecord.ts';

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
    };

export interface SessionEngine {
  processFrame(session: SessionRecord, frame: RawFrame): Promise<FrameStep>;
}
