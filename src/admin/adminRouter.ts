// /api/admin: the operator's REST API over AdminService, guarded by
// adminGuard (loopback + admin token). Every route is one row of ADMIN_ROUTES
// (method, path, summary, schemas, handler); the router, the OpenAPI paths
// (adminOperations, adminOpenApi.ts) and the audit middleware are all derived from that table,
// so a new route is one row. Changes are audited by AdminService; reads that
// take data out (the export) are audited too. Errors use the REST error shape.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import { FacegateError } from '../../common/errors.ts';
import { exportBundle } from '../audit/auditBundle.ts';
import { adminGuard } from './adminAuth.ts';
import type { AdminService, JsonObject } from './AdminService.ts';
import {
  AdminPageQuery,
  AdminWebhookBody,
  AnalyticsQuery,
  AuditQuerySchema,
  ClientIdParam,
  CreateClientBody,
  DeliveryIdParam,
  KeyIdParam,
  PolicyBody,
  RenameClientBody,
  RotateKeyBody,
  SessionIdParam,
  SessionsQuery,
  UserIdParam,
} from './adminSchemas.ts';
import type { FeedEvent } from './SessionFeed.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Ctx {
  readonly req: Request;
  readonly admin: AdminService;
}

export interface AdminRoute {
  readonly method: Method;
  /** Express path below /api/admin. */
  readonly path: string;
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** 201 for creations. */
  readonly status?: number;
  readonly handler: (c: Ctx) => Promise<JsonObject> | JsonObject;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    throw new FacegateError('validation_error', `invalid ${where}`, {
      issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return r.data;
}

const client = (req: Request): string => parse(ClientIdParam, req.params.clientId, 'client id');
const keyId = (req: Request): string => parse(KeyIdParam, req.params.keyId, 'key id');
const body = <S extends z.ZodType>(s: S, req: Request): z.output<S> => parse(s, req.body, 'request body');
const query = <S extends z.ZodType>(s: S, req: Request): z.output<S> => parse(s, req.query, 'query');

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  { method: 'get', path: '/clients', summary: 'List clients', handler: ({ admin }) => admin.listClients() },
  {
    method: 'post', path: '/clients', summary: 'Create a client and its first API key (the key is shown once)', body: CreateClientBody, status: 201,
    handler: ({ admin, req }) => admin.createClient(body(CreateClientBody, req).name),
  },
  { method: 'get', path: '/clients/:clientId', summary: 'One client with its keys and policy', handler: ({ admin, req }) => admin.getClient(client(req)) },
  {
    method: 'patch', path: '/clients/:clientId', summary: 'Rename a client', body: RenameClientBody,
    handler: ({ admin, req }) => admin.renameClient(client(req), body(RenameClientBody, req).name),
  },
  {
    method: 'delete', path: '/clients/:clientId', summary: 'Delete a client, its users and templates; its data key is destroyed (crypto-shredding)',
    handler: ({ admin, req }) => admin.deleteClient(client(req)),
  },
  { method: 'get', path: '/clients/:clientId/keys', summary: "List a client's API keys", handler: ({ admin, req }) => admin.listKeys(client(req)) },
  { method: 'post', path: '/clients/:clientId/keys', summary: 'Issue an API key (shown once)', status: 201, handler: ({ admin, req }) => admin.createKey(client(req)) },
  {
    method: 'post', path: '/clients/:clientId/keys/:keyId/revoke', summary: 'Revoke a key now: it and its tokens are refused from the next request on',
    handler: ({ admin, req }) => admin.revokeKey(client(req), keyId(req)),
  },
  {
    method: 'post', path: '/clients/:clientId/keys/:keyId/rotate', summary: 'Issue a new key; the old one works for overlap_s more seconds', body: RotateKeyBody, status: 201,
    handler: ({ admin, req }) => admin.rotateKey(client(req), keyId(req), body(RotateKeyBody, req).overlap_s),
  },
  { method: 'get', path: '/clients/:clientId/policy', summary: "A client's policy", handler: ({ admin, req }) => admin.getPolicy(client(req)) },
  {
    method: 'put', path: '/clients/:clientId/policy', summary: "Set a client's policy (session defaults, rate limits, liveness skip)", body: PolicyBody,
    handler: ({ admin, req }) => admin.setPolicy(client(req), body(PolicyBody, req)),
  },
  {
    method: 'get', path: '/clients/:clientId/users', summary: "A page of a client's users", query: AdminPageQuery,
    handler: ({ admin, req }) => admin.listUsers(client(req), query(AdminPageQuery, req)),
  },
  {
    method: 'get', path: '/clients/:clientId/users/:userId', summary: 'One user and its templates (ids and dates, never the templates)',
    handler: ({ admin, req }) => admin.getUser(client(req), parse(UserIdParam, req.params.userId, 'user id')),
  },
  {
    method: 'delete', path: '/clients/:clientId/users/:userId', summary: 'Delete a user and its templates',
    handler: ({ admin, req }) => admin.deleteUser(client(req), parse(UserIdParam, req.params.userId, 'user id')),
  },
  { method: 'get', path: '/clients/:clientId/webhook', summary: "A client's webhook", handler: ({ admin, req }) => admin.getWebhook(client(req)) },
  {
    method: 'put', path: '/clients/:clientId/webhook', summary: "Configure (or, with null, remove) a client's webhook; returns the signing secret once", body: AdminWebhookBody,
    handler: ({ admin, req }) => admin.setWebhook(client(req), body(AdminWebhookBody, req).url),
  },
  {
    method: 'get', path: '/clients/:clientId/webhook/deliveries', summary: 'A page of webhook deliveries', query: AdminPageQuery,
    handler: ({ admin, req }) => admin.listDeliveries(client(req), query(AdminPageQuery, req)),
  },
  {
    method: 'post', path: '/clients/:clientId/webhook/deliveries/:deliveryId/redeliver', summary: 'Send a finished delivery again',
    handler: ({ admin, req }) => admin.redeliver(client(req), parse(DeliveryIdParam, req.params.deliveryId, 'delivery id')),
  },
  {
    method: 'get', path: '/sessions', summary: "This node's live and recent sessions, newest first", query: SessionsQuery,
    handler: ({ admin, req }) => {
      const q = query(SessionsQuery, req);
      return admin.listSessions({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.client_id ? { clientId: q.client_id } : {}) });
    },
  },
  {
    method: 'get', path: '/sessions/:sessionId', summary: 'One session with its decision: every per-signal score and timing',
    handler: ({ admin, req }) => admin.getSession(parse(SessionIdParam, req.params.sessionId, 'session id')),
  },
  {
    method: 'get', path: '/audit', summary: 'A page of the audit log, newest first (page on with before_seq)', query: AuditQuerySchema,
    handler: ({ admin, req }) => {
      const q = query(AuditQuerySchema, req);
      return admin.auditPage({
        limit: q.limit,
        ...(q.before_seq !== undefined ? { beforeSeq: q.before_seq } : {}),
        ...(q.event !== undefined ? { event: q.event } : {}),
        ...(q.client_id !== undefined ? { clientId: q.client_id } : {}),
        ...(q.from !== undefined ? { from: new Date(q.from) } : {}),
        ...(q.to !== undefined ? { to: new Date(q.to) } : {}),
      });
    },
  },
  { method: 'get', path: '/audit/verify', summary: 'Verify the chain, the signed heads and the checkpoint', handler: ({ admin }) => admin.auditVerify() },
  { method: 'get', path: '/audit/public-key', summary: 'The Ed25519 public key that signs heads, checkpoints and bundles', handler: ({ admin }) => admin.auditPublicKey() },
  {
    method: 'get', path: '/analytics', summary: 'Attempts and success rate per day, failure reasons, latency percentiles', query: AnalyticsQuery,
    handler: ({ admin, req }) => admin.analytics(query(AnalyticsQuery, req)),
  },
  { method: 'get', path: '/system', summary: 'Health, media workers, gallery sizes, versions, jobs', handler: ({ admin }) => admin.system() },
];

/** Routes that stream instead of answering JSON; listed for the OpenAPI document. */
export const ADMIN_STREAMS = [
  { method: 'get', path: '/audit/export', summary: 'Signed export: JSON lines plus a signature over the chain head (application/x-ndjson)', type: 'application/x-ndjson' },
  { method: 'get', path: '/events', summary: 'Live events (SSE): session.created / session.updated / session.finished / job.run', type: 'text/event-stream' },
] as const;

export interface AdminRouterOptions {
  readonly admin: AdminService;
  readonly token: string;
  readonly allowRemote: boolean;
  /** SSE keep-alive comment interval, ms (default 15000). */
  readonly heartbeatMs?: number;
}

export function adminRouter(o: AdminRouterOptions): express.Router {
  const r = express.Router();
  r.use(adminGuard({ token: o.token, allowRemote: o.allowRemote }));
  r.use(express.json({ limit: '64kb', strict: true }));
  // Bodies are JSON only (the same rule as the rest of the API).
  r.use((req: Request, _res: Response, next: NextFunction) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && req.headers['content-length'] !== '0' && req.get('content-type') && !req.is('application/json')) {
      next(new FacegateError('unsupported_media_type', 'content-type must be application/json'));
      return;
    }
    next();
  });
  for (const route of ADMIN_ROUTES) {
    r[route.method](route.path, async (req: Request, res: Response) => {
      const out = await route.handler({ req, admin: o.admin });
      res.status(route.status ?? 200).json(out);
    });
  }
  r.get('/audit/export', async (_req, res) => {
    await o.admin.auditExported();
    res.status(200).type('application/x-ndjson').setHeader('content-disposition', 'attachment; filename="facegate-audit.jsonl"');
    for await (const line of exportBundle(o.admin.auditLog)) {
      if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  });
  r.get('/events', (req, res) => {
    const feed = o.admin.feed;
    if (!feed) throw new FacegateError('service_unavailable', 'no live feed on this process');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': facegate admin events\n\n');
    const send = (e: FeedEvent): void => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    };
    const unsubscribe = feed.subscribe(send);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), o.heartbeatMs ?? 15_000);
    beat.unref();
    req.on('close', () => {
      clearInterval(beat);
      unsubscribe();
    });
  });
  return r;
}
