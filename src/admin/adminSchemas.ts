// Wire schemas of the admin API (zod), validated once at the boundary;
// snake_case like the rest of the REST API. The policy is stored as given
// (validated); enforcing the session knobs belongs to the session service.
import { z } from 'zod';
import { ExternalUserId } from '../api/schemas.ts';

export const ClientName = z.string().trim().min(1).max(200);
export const CreateClientBody = z.object({ name: ClientName }).strict();
export const RenameClientBody = z.object({ name: ClientName }).strict();
export const RotateKeyBody = z
  .object({ overlap_s: z.number().int().min(0).max(30 * 86400).default(3600) })
  .strict();
export const PolicyBody = z
  .object({
    session_defaults: z
      .object({
        session_ttl_s: z.number().int().min(10).max(3600).optional(),
        liveness_challenges: z.number().int().min(1).max(2).optional(),
        liveness_max_attempts: z.number().int().min(1).max(5).optional(),
        enroll_samples: z.number().int().min(1).max(20).optional(),
      })
      .strict()
      .default({}),
    rate_limits: z
      .object({
        per_key_per_minute: z.number().int().min(1).max(1_000_000).optional(),
        per_ip_per_minute: z.number().int().min(1).max(1_000_000).optional(),
      })
      .strict()
      .default({}),
    allow_skip_liveness: z.boolean().default(false),
  })
  .strict();
export type Policy = z.output<typeof PolicyBody>;

export const AdminWebhookBody = z.object({ url: z.string().url().max(2000).nullable() }).strict();

const limit = z.coerce.number().int().min(1).max(500).default(50);
export const AdminPageQuery = z.object({ limit, offset: z.coerce.number().int().min(0).default(0) }).strict();
export const SessionsQuery = z
  .object({
    limit,
    status: z.enum(['created', 'capturing', 'succeeded', 'failed', 'expired', 'cancelled']).optional(),
    kind: z.enum(['enrollment', 'authentication']).optional(),
    client_id: z.string().min(1).max(100).optional(),
  })
  .strict();
const isoDate = z.iso.datetime({ offset: true });
export const AuditQuerySchema = z
  .object({
    limit,
    before_seq: z.coerce.number().int().min(1).optional(),
    event: z.string().min(1).max(100).optional(),
    client_id: z.string().min(1).max(100).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  .strict();
export const AnalyticsQuery = z
  .object({ client_id: z.string().min(1).max(100).optional(), from: isoDate.optional(), to: isoDate.optional() })
  .strict()
  .transform((q) => {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86400_000);
    return { clientId: q.client_id ?? null, from, to };
  })
  .refine((q) => q.from.getTime() <= q.to.getTime(), { message: 'from must not be after to' });

export const ClientIdParam = z.string().regex(/^cl_[0-9a-f]{24}$/, 'a client id (cl_...)');
export const KeyIdParam = z.string().regex(/^[a-z0-9]{12}$/, 'an API key id');
export const UserIdParam = ExternalUserId;
export const DeliveryIdParam = z.string().min(1).max(100);
export const SessionIdParam = z.string().min(1).max(100);
