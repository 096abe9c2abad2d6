// Wire schemas for request bodies and queries (zod), validated once at the
// boundary. snake_case on the wire, as in the seed API.
import { z } from 'zod';
import { FacegateError } from '../../common/errors.ts';

export const ExternalUserId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:+-]+$/, 'letters, digits and . _ @ : + - only');

/** facegate's decision reasons under the documented names, where the documented API names them (no_match_found). */
export function documentedReason(reason: string): string {
  return reason === 'no_match' ? 'no_match_found' : reason;
}

export const ClientAuthBody = z.object({ api_key: z.string().min(1).max(200) }).strict();

/**
 * Per-session settings of the documented API, in `metadata` or (the
 * authentication example's `require_liveness`) at the top level. The service
 * applies them within the client's policy (src/sessions/sessionPolicy.ts).
 */
export const SessionSettings = z
  .object({
    target_samples: z.number().int().min(1).max(20).optional(),
    enable_quality_check: z.boolean().optional(),
    min_quality_score: z.number().min(0).max(1).optional(),
    require_liveness: z.boolean().optional(),
    min_confidence: z.number().min(0).max(1).optional(),
    max_frames: z.number().int().min(1).max(10_000).optional(),
    timeout_seconds: z.number().int().min(5).max(3600).optional(),
    max_attempts: z.number().int().min(1).max(100).optional(),
    no_gesture_path: z
      .enum(['deny', 'step_up'])
      .optional()
      .describe("live path: what a user who says at join they cannot follow a flash or a gesture gets. 'deny' (default): the challenges; 'step_up': no challenge, passive checks only, and the best outcome is failed with reason step_up_required (the client confirms the user another way)"),
  })
  .strict()
  .meta({ id: 'SessionSettings' });

const sessionBody = {
  /** Documented name of external_user_id (either may be given; both must then agree). */
  user_id: ExternalUserId.optional().describe('the documented name of external_user_id (canonical)'),
  external_user_id: ExternalUserId.optional().describe('facegate name of user_id'),
  metadata: SessionSettings.optional(),
  ...SessionSettings.shape,
};

// Enrollment names its user: user_id (documented) or external_user_id.
export const EnrollmentBody = z
  .union([
    z.object({ ...sessionBody, user_id: sessionBody.user_id.unwrap() }).strict(),
    z.object({ ...sessionBody, external_user_id: sessionBody.external_user_id.unwrap() }).strict(),
  ])
  .describe('user_id (or external_user_id) is required');

export const AuthenticationBody = z.object(sessionBody).strict().describe('user_id (or external_user_id) for 1:1 verification, neither for 1:N identification');

export type SessionBody = z.infer<typeof AuthenticationBody>;

/** The body's user id: user_id or external_user_id (null when neither); both given and different is a validation_error. */
export function bodyUserId(b: SessionBody): string | null {
  if (b.user_id !== undefined && b.external_user_id !== undefined && b.user_id !== b.external_user_id) {
    throw new FacegateError('validation_error', 'user_id and external_user_id differ', { field: 'user_id' });
  }
  return b.user_id ?? b.external_user_id ?? null;
}

/** The body's settings: metadata's, overridden by the same names at the top level. */
export function bodySettings(b: SessionBody): z.infer<typeof SessionSettings> {
  const { user_id: _u, external_user_id: _e, metadata, ...top } = b;
  return { ...metadata, ...Object.fromEntries(Object.entries(top).filter(([, v]) => v !== undefined)) };
}

export const ProcessFrameBody = z
  .object({
    session_token: z.string().min(1).max(200),
    frame_data: z.string().min(1).optional().describe('the documented name of image (canonical): a data:image/...;base64 URL'),
    image: z.string().min(1).optional().describe('facegate name of frame_data'),
  })
  .strict()
  .describe('frame_data or image is required');

/** The frame of a process-frame body: frame_data or image (one is required). */
export function bodyFrame(b: z.infer<typeof ProcessFrameBody>): string {
  const frame = b.frame_data ?? b.image;
  if (frame === undefined) throw new FacegateError('validation_error', 'frame_data is required', { field: 'frame_data' });
  if (b.image !== undefined && b.frame_data !== undefined && b.image !== b.frame_data) {
    throw new FacegateError('validation_error', 'frame_data and image differ', { field: 'frame_data' });
  }
  return frame;
}

/**
 * A page of a list: the documented page/page_size (page from 1), or
 * facegate's limit/offset; either way the handler gets limit and offset.
 */
export const PageQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(1_000_000).optional(),
    page_size: z.coerce.number().int().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .transform((q) => {
    const documented = q.page !== undefined || q.page_size !== undefined;
    const size = q.page_size ?? q.limit ?? (documented ? 20 : 50);
    const page = q.page ?? 1;
    return { limit: size, offset: documented ? (page - 1) * size : (q.offset ?? 0), page, pageSize: size };
  });

/** A day (YYYY-MM-DD, UTC) or an ISO date-time. */
const DateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
const DAY_MS = 24 * 3600 * 1000;

/**
 * A date range: the documented start_date/end_date (days, end_date
 * inclusive) or facegate's from/to (date-times, to exclusive); default the
 * last 7 days. client_id (optional) must be the caller's own client.
 */
export const DateRangeQuery = z
  .object({
    start_date: DateOrTime.optional(),
    end_date: DateOrTime.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    client_id: z.string().min(1).max(100).optional(),
  })
  .transform((q) => {
    const start = q.start_date ?? q.from;
    const endDay = q.end_date !== undefined && !q.end_date.includes('T');
    const endRaw = q.end_date ?? q.to;
    const to = endRaw === undefined ? new Date() : new Date(new Date(endRaw).getTime() + (endDay ? DAY_MS : 0));
    const from = start !== undefined ? new Date(start) : new Date(to.getTime() - 7 * DAY_MS);
    return { from, to, clientId: q.client_id ?? null };
  })
  .refine((q) => q.from.getTime() <= q.to.getTime(), { message: 'start_date (from) must not be after end_date (to)' })
  // The store's timestamps cannot hold year 0 (PostgreSQL has no year 0): dates stay within 1970..9999.
  .refine((q) => [q.from, q.to].every((d) => d.getTime() >= 0 && d.getTime() < Date.UTC(10000, 0, 1)), {
    message: 'dates must lie between 1970-01-01 and 9999-12-31',
  });

export const WebhookBody = z.object({ url: z.string().url().max(2000).nullable() }).strict();
