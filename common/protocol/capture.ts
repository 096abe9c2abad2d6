// What the browser SDK reports about its camera (issue 11, injection
// signals): the video track's label, a fixed subset of getSettings() and
// getCapabilities(), the page's user agent and the frame timing measured in
// the page. Sent as the signaling request `reportCapture`: at once with
// what is known at once (`partial: true`, no frame timing yet), then once
// complete when the timing is measured (a few seconds), so a session that
// decides early still has the label; validated strictly here: unknown fields, wrong types or absurd values
// are an invalid_request, never stored. Every fact is the client's word: an
// attacker who controls the browser can send anything (see
// src/engine/README.md, injection signals); the server's own measurements
// (RTP timing, encoder fingerprint, DTLS binding) sit beside these.
// Bundled into the browser SDK: zod only.
import { z } from 'zod';

const dim = z.number().int().min(0).max(16_384);
const rate = z.number().min(0).max(1000);
const text = z.string().max(256);
const range = <T extends z.ZodNumber>(n: T) => z.strictObject({ min: n.optional(), max: n.optional() });

/** The MediaTrackSettings fields the SDK copies (others are left out, not sent). */
export const CaptureSettingsSchema = z.strictObject({
  width: dim.optional(),
  height: dim.optional(),
  frameRate: rate.optional(),
  aspectRatio: z.number().min(0).max(100).optional(),
  deviceId: text.optional(),
  groupId: text.optional(),
  facingMode: z.string().max(32).optional(),
  resizeMode: z.string().max(32).optional(),
});

/** The MediaTrackCapabilities fields the SDK copies; absent when the browser has no getCapabilities(). */
export const CaptureCapabilitiesSchema = z.strictObject({
  width: range(dim).optional(),
  height: range(dim).optional(),
  frameRate: range(rate).optional(),
  facingMode: z.array(z.string().max(32)).max(8).optional(),
  resizeMode: z.array(z.string().max(32)).max(8).optional(),
});

/** Frame intervals measured in the page over `frames` frames. */
export const CaptureFrameTimingSchema = z.strictObject({
  /** Which clock gave the intervals: MediaStreamTrackProcessor frame timestamps, requestVideoFrameCallback, or none measured. */
  source: z.enum(['track_processor', 'video_frame_callback', 'none']),
  frames: z.number().int().min(0).max(10_000),
  meanIntervalMs: z.number().min(0).max(60_000),
  /** Standard deviation of the intervals, ms. */
  jitterMs: z.number().min(0).max(60_000),
});

export const CaptureReportSchema = z.strictObject({
  /** MediaStreamTrack.label (the camera's name once permission was granted). */
  label: text,
  settings: CaptureSettingsSchema,
  capabilities: CaptureCapabilitiesSchema.optional(),
  frameTiming: CaptureFrameTimingSchema,
  /** navigator.userAgent. */
  userAgent: z.string().max(512),
  /** Sent before the frame timing is measured (frameTiming source none); the complete report follows and replaces it. */
  partial: z.literal(true).optional(),
});

export type CaptureSettings = z.infer<typeof CaptureSettingsSchema>;
export type CaptureCapabilities = z.infer<typeof CaptureCapabilitiesSchema>;
export type CaptureFrameTiming = z.infer<typeof CaptureFrameTimingSchema>;
export type CaptureReport = z.infer<typeof CaptureReportSchema>;
