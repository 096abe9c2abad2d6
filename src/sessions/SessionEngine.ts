// The seam between session bookkeeping (SessionService: state, store,
// gallery, audit) and frame analysis. The REST fallback uses FrameEngine
// (src/sessions/FrameEngine.ts); the liveness engine can implement the same
// interface and be passed to SessionService instead.
import type { RawFrame } from '../../models/types.ts';
import type { EncodedImage } from './frameDecoder.ts';
import type { LivenessMessage as ClientMessage } from '../../common/protocol/dataChannel.ts';
import type { DecisionReason, SessionRecord, SessionVerdict } from '../../common/session.ts';

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
  | DecidedStep;

/**
 * An engine with its own state machine reached its verdict (with per-signal
 * scores). The engine decides; the service writes: a succeeded enrollment
 * carries the template, which the service commits once, and only if the
 * session is still open.
 */
export interface DecidedStep {
  readonly kind: 'decided';
  readonly verdict: SessionVerdict;
  /** Succeeded enrollment: the L2-normalised template to store for the session's user. */
  readonly template?: Float32Array;
}

/**
 * A frame handed to an engine: pixels, or an upload decoded on first use. An
 * engine that analyses here calls pixels(); one that sends the frame to
 * another node (AffinityFrameEngine) sends `source`, the few encoded bytes the
 * client sent, and never decodes them here.
 */
export interface FrameInput {
  /** The upload as the client sent it (mime checked, within the size limit), when the frame came from one. */
  readonly source?: EncodedImage;
  /** The pixels: an upload is decoded once, on the first call; a bad image rejects with its typed error. */
  pixels(): Promise<RawFrame>;
}

/** Pixels already decoded (the live path, a forwarded raw frame, tests). */
export function rawFrameInput(frame: RawFrame): FrameInput {
  const p = Promise.resolve(frame);
  return { pixels: () => p };
}

/** An upload, decoded by `decode` on the first pixels() call and only then. */
export function encodedFrameInput(source: EncodedImage, decode: (source: EncodedImage) => Promise<RawFrame>): FrameInput {
  let p: Promise<RawFrame> | undefined;
  return { source, pixels: () => (p ??= decode(source)) };
}

export interface SessionEngine {
  /** `input` gives the frame's pixels and, for an upload, the encoded bytes (see FrameInput). */
  processFrame(session: SessionRecord, input: FrameInput): Promise<FrameStep>;
  /**
   * The service cancelled the session (DELETE, from any node): an engine that
   * keeps per-session state ends it, wherever it runs. Best-effort; the
   * service's record is already decided.
   */
  cancel?(session: SessionRecord): Promise<void>;
}
