// The frame WebSocket's messages (the documented
// `/ws/auth/process-image/{session_token}/`): JSON text frames, one schema
// per direction, imported by the server and by any browser client.
// Client -> server: process_frame, ping, cancel. Server -> client:
// processing, enrollment_progress, enrollment_complete,
// authentication_result, liveness_instruction, error, pong. Field names are
// the documented ones; facegate's own fields (feedback, progress, scores,
// frames_dropped, reason) ride beside them. Close codes say why the server
// ended a connection. Runs in the browser too: no Node-only APIs here.
import { z } from 'zod';

/** The socket's path prefix; the session token and a trailing slash follow. */
export const FRAME_SOCKET_PREFIX = '/ws/auth/process-image/';

/** The path of a session's frame socket (the documented form, trailing slash included). */
export function frameSocketPath(sessionToken: string): string {
  return `${FRAME_SOCKET_PREFIX}${encodeURIComponent(sessionToken)}/`;
}

/**
 * The session token in a request path (raw, as sent; possibly empty or
 * malformed, which the server refuses as an unknown session), or null when
 * the path is not a frame socket's.
 */
export function frameSocketToken(pathname: string): string | null {
  if (!pathname.startsWith(FRAME_SOCKET_PREFIX)) return null;
  return pathname.slice(FRAME_SOCKET_PREFIX.length).replace(/\/$/, '');
}

/** Why the server closed a frame socket (4000-4999 is the application range). */
export const FRAME_SOCKET_CLOSE = Object.freeze({
  /** The session was decided (its final message came first) or cancelled. */
  done: 1000,
  /** A message over the connection's max payload (ws closes with it). */
  tooBig: 1009,
  /** The server is shutting down. */
  goingAway: 1001,
  /** Unknown or expired session token. */
  unknownSession: 4404,
  /** The session is already decided or cancelled. */
  sessionFinished: 4409,
});

// ---- client -> server ----------------------------------------------------

export const ProcessFrameMessage = z
  .object({
    type: z.literal('process_frame'),
    /** `data:image/jpeg;base64,...` (or image/png). */
    frame_data: z.string().describe('the frame as a data URL: data:image/jpeg;base64,...'),
    /** ISO 8601 capture time, informational. */
    timestamp: z.string().max(64).optional(),
  })
  .describe('a camera frame to analyse');

export const FrameSocketClientMessage = z.discriminatedUnion('type', [
  ProcessFrameMessage,
  z.object({ type: z.literal('ping') }).describe('keep-alive; answered with pong'),
  z.object({ type: z.literal('cancel') }).describe('cancels the session; the server closes the socket'),
]);
export type FrameSocketClientMessage = z.infer<typeof FrameSocketClientMessage>;

// ---- server -> client ----------------------------------------------------

/** facegate's own per-frame fields, beside the documented ones. */
const frameFacts = {
  /** The engine's latest feedback: 'accepted', a prompt action, a retry reason. */
  feedback: z.string(),
  frames_processed: z.number().int().nonnegative(),
  /** Frames replaced by a newer one before they were analysed (latest frame wins). */
  frames_dropped: z.number().int().nonnegative(),
};

const livenessData = z.object({
  blinks_detected: z.number().int().nonnegative().nullable(),
  motion_score: z.number().nullable(),
  liveness_passed: z.boolean().nullable(),
});

export const FrameSocketServerMessage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('processing'),
      session_token: z.string(),
      ...frameFacts,
      message: z.string(),
    })
    .describe('an authentication frame was analysed; no verdict yet'),
  z
    .object({
      type: z.literal('enrollment_progress'),
      session_token: z.string(),
      completed_samples: z.number().int().nonnegative(),
      target_samples: z.number().int().positive(),
      /** 0..1: samples taken, or liveness challenges passed. */
      progress: z.number().min(0).max(1),
      quality_score: z.number().nullable(),
      face_detected: z.boolean(),
      liveness_data: livenessData,
      obstacles: z.array(z.string()),
      message: z.string(),
      ...frameFacts,
    })
    .describe('an enrollment frame was analysed; no verdict yet'),
  z
    .object({
      type: z.literal('enrollment_complete'),
      session_token: z.string(),
      session_id: z.string(),
      enrollment_id: z.string().nullable(),
      user_id: z.string().nullable(),
      external_user_id: z.string().nullable(),
      completed_samples: z.number().int().nonnegative(),
      liveness_verified: z.boolean(),
      quality_score: z.number().nullable(),
      scores: z.record(z.string(), z.number()),
      message: z.string(),
    })
    .describe('the enrollment succeeded; the server closes the socket next'),
  z
    .object({
      type: z.literal('authentication_result'),
      session_token: z.string(),
      session_id: z.string(),
      authenticated: z.boolean(),
      user_id: z.string().nullable(),
      external_user_id: z.string().nullable(),
      confidence: z.number().nullable(),
      liveness_passed: z.boolean(),
      processing_time_ms: z.number().nonnegative(),
      matched_enrollment_id: z.string().nullable(),
      /** Null when authenticated. */
      reason: z.string().nullable(),
      scores: z.record(z.string(), z.number()),
    })
    .describe('the authentication verdict; the server closes the socket next'),
  z
    .object({
      type: z.literal('liveness_instruction'),
      /** Machine-readable action: 'blink', 'turn_left', 'hold_still', ... */
      instruction: z.string(),
      message: z.string(),
      /** Seconds the user has to do it; null when not limited. */
      timeout_seconds: z.number().positive().nullable(),
      instruction_id: z.string(),
    })
    .describe("the liveness engine's prompt"),
  z
    .object({
      type: z.literal('error'),
      /** A facegate error code (image_corrupt, validation_error, ...) or a decision reason for a failed enrollment. */
      error_code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    })
    .describe('a bad message or frame (the session goes on), or a failed session (the socket closes next)'),
  z.object({ type: z.literal('pong'), timestamp: z.string() }).describe('answer to ping'),
]);
export type FrameSocketServerMessage = z.infer<typeof FrameSocketServerMessage>;
export type FrameSocketServerMessageType = FrameSocketServerMessage['type'];
