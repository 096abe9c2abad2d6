// Public types of the liveness and decision engine (src/engine/). The live
// path and the REST fallback (both adapted in src/bridge/) talk to the engine
// through these types only: frames or observations go in, EngineMessages come
// out through an EngineSink, a Decision settles each session. The engine reads
// enrolled templates through SubjectMatcher and never writes them: the caller
// commits an enrollment's template. Nothing here depends on a transport.
import type { Box, Point } from '../../models/types.ts';
import type { EyeCropSample } from './signals/eyeCrop.ts';

/** What one engine session decides: enrol a subject, verify a claimed one (1:1) or identify (1:N). */
export type EngineMode = 'enrollment' | 'verification' | 'identification';

export type SessionState =
  | 'created'
  | 'connected'
  | 'capturing'
  | 'challenging'
  | 'deciding'
  | 'succeeded'
  | 'failed'
  | 'expired'
  | 'cancelled';

export type TerminalState = 'succeeded' | 'failed' | 'expired' | 'cancelled';

/** Why a session failed (a Decision's reason); the service maps each one onto its own reasons. */
export const ENGINE_REASONS = [
  'no_face',
  'multiple_faces',
  'face_too_small',
  'poor_quality',
  'occluded',
  'liveness_failed',
  'challenge_failed',
  'challenge_timeout',
  'spoof_suspected',
  /** An injection signal whose policy is block fired (a virtual camera, a synthetic sender, another peer; see injection/). */
  'injection_suspected',
  'identity_changed',
  'no_match',
  'expired',
  'cancelled',
  // The no-gesture path (no flash, no gesture: the user cannot do them and the client's
  // policy allows it): every passive check held, but liveness was not shown; the client steps up.
  'step_up_required',
] as const;

export type ReasonCode = (typeof ENGINE_REASONS)[number];

export type ChallengeKind = 'blink' | 'turn_left' | 'turn_right' | 'turn_any' | 'color_flash';

/** Why a frame was not usable, and the guidance the page shows for it. */
export type GateVerdict =
  | 'ok'
  | 'no_face'
  | 'multiple_faces'
  | 'face_too_small'
  | 'off_center'
  | 'too_dark'
  | 'too_blurry'
  | 'not_frontal'
  | 'occluded';

export type SignalName =
  | 'passive'
  | 'blink'
  | 'head_turn'
  | 'depth'
  | 'color_flash'
  | 'artefacts'
  | 'motion'
  | 'reaction'
  | 'identity'
  /** The transport's injection signals (injection/): score = strongest evidence of an injected stream, 1 = most. */
  | 'injection';

/** One liveness signal as reported in every decision, evaluated or not. */
export interface SignalReport {
  /** False when the session's schedule did not ask for this signal. */
  readonly evaluated: boolean;
  /** Signal-specific score; for pass/fail signals 0..1 where 1 is most convincing. */
  readonly score: number;
  readonly passed: boolean;
  /** The measured values behind the score (named fields, for inspection). */
  readonly values: Readonly<Record<string, number | string | boolean | null>>;
}

/** Pixel cues measured on one raw frame around the face (see signals/artefacts.ts). */
export interface ArtefactSample {
  /** Fraction of the face crop's Laplacian energy at the finest scale (moire, screen grid). */
  readonly hfRatio: number;
  /** Strongest straight edge segment in the ring around the face, normalised 0..1 (bezel, paper edge). */
  readonly edgeFrame: number;
  /** Fraction of face pixels near saturation (specular glare off a screen or glossy print). */
  readonly glare: number;
  /** Blue-minus-red chromaticity of the face region (screen colour cast). */
  readonly blueCast: number;
  /** Saturation of the face region (replays are washed out or oversaturated). */
  readonly saturation: number;
  /** Mean absolute gray difference to the previous frame over the face, 0..255 (NaN on the first). */
  readonly temporalDiff: number;
  /**
   * Mean absolute difference of the face's 8x8 cell means to the previous
   * frame, both taken in the previous frame's face box, 0..255 (NaN on the
   * first): the still cue, blind to codec noise and detector box jitter.
   */
  readonly cellDiff: number;
  /** Mean RGB of the central skin region, 0..255 (colour-flash response). */
  readonly skinRgb: readonly [number, number, number];
}

/** What the engine needs of one face in one frame. */
export interface FaceObservation {
  readonly box: Box;
  readonly landmarks?: readonly Point[];
  readonly fivePoints?: readonly Point[];
  readonly pose?: { readonly yaw: number; readonly pitch: number; readonly roll: number };
  readonly eyes?: { readonly leftClosed: number; readonly rightClosed: number };
  readonly live?: number;
  readonly quality?: {
    readonly faceSize: number;
    readonly sharpness: number;
    readonly brightness: number;
    readonly frontalness: number;
  };
  readonly embedding?: Float32Array;
}

/** One analysed frame: the unit the session state machine consumes. */
export interface Observation {
  /** Capture timestamp, milliseconds (monotonic per session). */
  readonly t: number;
  readonly width: number;
  readonly height: number;
  readonly faceCount: number;
  /** Box height in pixels of the biggest face after `face`, when the detector found more than one. */
  readonly otherFaceSize?: number;
  /** The biggest face, when any. */
  readonly face?: FaceObservation;
  readonly artefacts?: ArtefactSample;
  /** Eye crops against the cheeks (occlusion cue; see signals/eyeCrop.ts), when the face has eye points. */
  readonly eyeCrop?: EyeCropSample;
  /** Milliseconds spent analysing this frame. */
  readonly analyzeMs?: number;
}

export interface ColorStep {
  /** sRGB colour the page paints full-screen. */
  readonly rgb: readonly [number, number, number];
  /** Offset from the challenge start, ms. */
  readonly startMs: number;
  readonly durationMs: number;
}

export interface Challenge {
  readonly id: string;
  readonly kind: ChallengeKind;
  /** Engine time the prompt was sent, ms. */
  readonly issuedAt: number;
  /** Engine time after which an unanswered challenge fails with challenge_timeout. */
  readonly deadline: number;
  /** Colour sequence for color_flash. */
  readonly colors?: readonly ColorStep[];
  /** How many times the prompt asks (blink: "Blink twice"); absent: once. */
  readonly count?: number;
}

export type PromptCode =
  | 'look_at_camera'
  | 'one_face_only'
  | 'move_closer'
  | 'center_face'
  | 'more_light'
  | 'hold_still'
  | 'face_forward'
  | 'uncover_face';

export type EngineMessage =
  | { readonly type: 'state'; readonly sessionId: string; readonly state: SessionState; readonly t: number }
  | {
      readonly type: 'prompt';
      readonly sessionId: string;
      readonly prompt: PromptCode;
      readonly gate: GateVerdict;
      readonly t: number;
      /** The measured values behind the gate verdict (occluded: the eye-crop cue), for inspection; not sent to the page. */
      readonly values?: Readonly<Record<string, number>>;
    }
  | {
      readonly type: 'challenge';
      readonly sessionId: string;
      readonly challenge: Challenge;
      readonly index: number;
      readonly of: number;
    }
  | {
      readonly type: 'progress';
      readonly sessionId: string;
      readonly goodFrames: number;
      readonly challengesPassed: number;
      readonly of: number;
      readonly t: number;
    }
  | { readonly type: 'result'; readonly sessionId: string; readonly decision: Decision };

/** Where the engine sends a session's messages (data channel, HTTP response, test array). */
export interface EngineSink {
  send(message: EngineMessage): void;
}

export interface MatchResult {
  readonly subjectId: string;
  readonly similarity: number;
}

export interface ChallengeTiming {
  readonly kind: ChallengeKind;
  readonly issuedAt: number;
  /** Engine time the response was detected, or null (timeout / failure). */
  readonly answeredAt: number | null;
  /**
   * Start of the response - send time - rtt/2, ms (the user's reaction); null when
   * unanswered, replayed, or a colour flash (its lag is optics, reported in the signal).
   */
  readonly reactionMs: number | null;
  readonly passed: boolean;
}

export interface Decision {
  readonly sessionId: string;
  readonly kind: EngineMode;
  readonly outcome: TerminalState;
  /** Absent only when outcome is succeeded. */
  readonly reason?: ReasonCode;
  readonly signals: Readonly<Record<SignalName, SignalReport>>;
  /** Fused spoof evidence, 0..1 (see fusion.ts); >= its threshold means spoof_suspected. */
  readonly spoofScore: number;
  readonly timings: {
    /** Capture time of the first frame, ms (null when none arrived). */
    readonly firstFrameAt: number | null;
    /** Capture time of the frame that settled the verdict (null when none). */
    readonly verdictAt: number | null;
    /** verdictAt - firstFrameAt: time from first frame to verdict, ms. */
    readonly firstFrameToVerdictMs: number | null;
    readonly frames: number;
    readonly goodFrames: number;
    readonly analyzeMsTotal: number;
    readonly challenges: readonly ChallengeTiming[];
  };
  /** Frame-gate verdict counts, and the occlusion cue's medians over frames with eye crops. */
  readonly gate?: {
    readonly verdicts: Readonly<Partial<Record<GateVerdict, number>>>;
    readonly values: Readonly<Record<string, number | null>>;
  };
  /** Verification / identification: the best match at or above threshold, else null. */
  readonly match: MatchResult | null;
  /** Best similarity seen (also below threshold), for audit. */
  readonly bestSimilarity: number | null;
  /** Enrollment: the L2-normalised mean template of the collected samples; the caller commits it. */
  readonly template?: readonly number[];
  readonly subjectId?: string;
}

/** Durable, serialisable part of an engine session (what a Redis store keeps). */
export interface EngineSessionRecord {
  readonly id: string;
  readonly kind: EngineMode;
  readonly state: SessionState;
  readonly subjectId?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly attempts: number;
  readonly rttMs: number;
  readonly decision?: Decision;
}

export interface SessionStore {
  get(id: string): Promise<EngineSessionRecord | undefined>;
  /** Inserts or replaces; the store may drop the record after `ttlMs`. */
  put(record: EngineSessionRecord, ttlMs: number): Promise<void>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

export interface Clock {
  /** Milliseconds, monotonic within a process. */
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Read-only view of one client's enrolled templates: how the engine matches (it never writes). */
export interface SubjectMatcher {
  /** Cosine similarity of the probe to one subject's template, or null when unknown. */
  compare(subjectId: string, probe: Float32Array): Promise<number | null>;
  /** The k most similar subjects, best first. */
  search(probe: Float32Array, k: number): Promise<readonly MatchResult[]>;
  size(): Promise<number>;
}
