// Wire schemas for request bodies and queries (zod), validated once at the
// boundary. snake_case on the wire, as in the seed API.
import { z } from 'zod';

export const ExternalUserId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:+-]+$/, 'letters, digits and . _ @ : + - only');

export const ClientAuthBody = z.object({ api_key: z.string().min(1).max(200) }).strict();

export const EnrollmentBody = z.object({ external_user_id: ExternalUserId }).strict();

export const AuthenticationBody = z.object({ external_user_id: ExternalUserId.optional() }).strict();

export const ProcessFrameBody = z
  .object({
    session_token: z.string().min(1).max(200),
    image: z.string().min(1),
  })
  .strict();

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const DateRangeQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .transform((q) => {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 7 * 24 * 3600 * 1000);
    return { from, to };
  })
  .refine((q) => q.from.getTime() <= q.to.getTime(), { message: 'from must not be after to' });

export const WebhookBody = z.object({ url: z.string().url().max(2000).nullable() }).strict();
