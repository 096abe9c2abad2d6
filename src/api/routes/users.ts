// A client's users: list, get, delete (through the TemplateGallery: store rows,
// this node's index and, by event, other nodes' indexes).
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { FacegateError } from '../../../common/errors.ts';
import type { AuditLog } from '../../audit/AuditLog.ts';
import type { TemplateGallery } from '../../gallery/TemplateGallery.ts';
import type { Store } from '../../store/Store.ts';
import { ApiRouter } from '../ApiRouter.ts';
import { authed, parse } from '../middleware.ts';
import { ExternalUserId, PageQuery } from '../schemas.ts';

export const User = z
  .object({ external_user_id: z.string(), created_at: z.iso.datetime(), templates: z.number().int() })
  .meta({ id: 'User' });
const UserPage = z.object({ users: z.array(User), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
export const Enrollment = z
  .object({
    id: z.string().describe("the enrolled user's id: a user's templates are its enrollment"),
    user_id: z.string(),
    external_user_id: z.string(),
    created_at: z.iso.datetime(),
    templates: z.number().int(),
    quality_score: z.number().nullable().describe('null: templates keep no per-sample quality'),
    status: z.literal('active'),
  })
  .meta({ id: 'Enrollment' });
const EnrollmentPage = z.object({
  count: z.number().int(),
  next: z.string().nullable().describe('URL of the next page, null on the last'),
  previous: z.string().nullable().describe('URL of the previous page, null on the first'),
  results: z.array(Enrollment),
});
const UserDeleted = z.object({ external_user_id: z.string(), deleted: z.literal(true), templates_removed: z.number().int() });
const UserParams = z.object({ externalId: ExternalUserId });

export interface UserRouteDeps {
  readonly store: Store;
  /** The templates' one owner: a delete goes through it (store, this node's index, other nodes). */
  readonly templates: TemplateGallery;
  readonly audit: AuditLog;
  readonly auth: RequestHandler;
}

export function userRoutes(deps: UserRouteDeps): ApiRouter {
  const { store, auth } = deps;
  const r = new ApiRouter();
  r.get('/api/users', {
    summary: "List the client's users",
    security: ['bearerAuth'],
    query: PageQuery,
    responses: { 200: UserPage },
    errors: ['unauthorized', 'validation_error', 'rate_limit_exceeded'],
  }, auth, async (req, res) => {
    const q = parse(PageQuery, req.query, 'query');
    const page = await store.listUsers(authed(res).clientId, q);
    res.json({
      users: page.users.map((u) => ({ external_user_id: u.externalId, created_at: u.createdAt, templates: u.templateCount })),
      total: page.total,
      limit: q.limit,
      offset: q.offset,
    });
  });
  r.get('/api/auth/enrollments', {
    summary: "The client's enrollments (one per enrolled user), documented pagination: page (from 1), page_size (default 20)",
    security: ['bearerAuth'],
    query: PageQuery,
    responses: { 200: EnrollmentPage },
    errors: ['unauthorized', 'validation_error', 'rate_limit_exceeded'],
  }, auth, async (req, res) => {
    const q = parse(PageQuery, req.query, 'query');
    const page = await store.listUsers(authed(res).clientId, q);
    // The page's own URL with another page number, absolute as documented.
    const pageUrl = (n: number): string => {
      const u = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
      u.searchParams.delete('limit');
      u.searchParams.delete('offset');
      u.searchParams.set('page', String(n));
      u.searchParams.set('page_size', String(q.limit));
      return u.toString();
    };
    const pageNo = Math.floor(q.offset / q.limit) + 1;
    res.json({
      count: page.total,
      next: q.offset + q.limit < page.total ? pageUrl(pageNo + 1) : null,
      previous: pageNo > 1 ? pageUrl(pageNo - 1) : null,
      results: page.users.map((u) => ({
        id: u.externalId,
        user_id: u.externalId,
        external_user_id: u.externalId,
        created_at: u.createdAt,
        templates: u.templateCount,
        quality_score: null,
        status: 'active' as const,
      })),
    } satisfies z.infer<typeof EnrollmentPage>);
  });
  r.get('/api/users/:externalId', {
    summary: 'Get a user',
    security: ['bearerAuth'],
    params: UserParams,
    responses: { 200: User },
    errors: ['unauthorized', 'not_found', 'rate_limit_exceeded'],
  }, auth, async (req, res) => {
    const u = await store.getUser(authed(res).clientId, String(req.params.externalId));
    if (!u) throw new FacegateError('not_found', 'no such user');
    res.json({ external_user_id: u.externalId, created_at: u.createdAt, templates: u.templateCount });
  });
  r.delete('/api/users/:externalId', {
    summary: 'Delete a user and its templates (store and gallery)',
    security: ['bearerAuth'],
    params: UserParams,
    responses: { 200: UserDeleted },
    errors: ['unauthorized', 'not_found', 'rate_limit_exceeded'],
  }, auth, async (req, res) => {
    const { clientId } = authed(res);
    const externalId = String(req.params.externalId);
    const removed = await deps.templates.remove(clientId, externalId);
    if (removed === null) throw new FacegateError('not_found', 'no such user');
    await deps.audit.append('user.deleted', clientId, { externalUserId: externalId, templates: removed.length });
    res.json({ external_user_id: externalId, deleted: true, templates_removed: removed.length });
  });
  return r;
}
