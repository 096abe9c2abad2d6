// End-user accounts (issue #14 item 4) and the verdict-token key set:
//   POST /api/auth/register/        new account, under a client credential
//   POST /api/auth/token/           email + password -> access + refresh
//   POST /api/auth/token/refresh/   rotate a refresh token (reuse revokes its family)
//   GET|PUT /api/auth/profile/      the account of a user access token
//   GET /.well-known/jwks.json      public key(s) verdict tokens verify against
// The tenant: register and login run under a client's credential (its bearer
// token, or its API key in X-API-Key), and the account belongs to that client;
// refresh and profile carry the client inside the user's own tokens.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { FacegateError } from '../../../common/errors.ts';
import { normaliseEmail, type AccountService, type AccountTokens } from '../../accounts/AccountService.ts';
import type { VerdictSigner } from '../../auth/VerdictSigner.ts';
import type { RateLimits } from '../../ratelimit/RateLimits.ts';
import type { AccountRecord } from '../../store/Store.ts';
import type { TenantService } from '../../tenants/TenantService.ts';
import { ApiRouter } from '../ApiRouter.ts';
import { authed, jsonSmall, parse, requireJson, type Authed } from '../middleware.ts';

const Email = z.string().max(254).transform(normaliseEmail).pipe(z.string().email()).describe('email address; normalised (NFKC, trimmed, lower case)');
// Argon2 cost grows with input; 256 characters is far beyond any passphrase.
const Password = z.string().min(8, 'at least 8 characters').max(256).describe('password, never stored or logged (Argon2id hash only)');
const FullName = z.string().trim().max(200);
const PhoneNumber = z.string().trim().regex(/^\+?[0-9 ()-]{3,32}$/, 'a phone number (digits, spaces, + ( ) -)');

export const RegisterBody = z
  .object({
    email: Email,
    password: Password,
    full_name: FullName.optional(),
    // The documented test suite registers with first/last name instead.
    first_name: FullName.optional(),
    last_name: FullName.optional(),
    phone_number: PhoneNumber.nullable().optional(),
  })
  .strict()
  .describe('POST /api/auth/register/');

export const LoginBody = z
  .object({
    email: Email,
    password: z.string().min(1).max(256),
    device_info: z.record(z.string(), z.unknown()).optional().describe('informational; not stored'),
  })
  .strict()
  .describe('POST /api/auth/token/');

export const RefreshBody = z.object({ refresh: z.string().min(1).max(200) }).strict().describe('POST /api/auth/token/refresh/');

export const ProfileUpdateBody = z
  .object({ full_name: FullName.optional(), phone_number: PhoneNumber.nullable().optional() })
  .strict()
  .describe('PUT /api/auth/profile/');

const TokenPair = {
  access: z.string().describe('user access token (JWT, HS256), Authorization: Bearer on /api/auth/profile/'),
  refresh: z.string().describe('opaque refresh token; spent by its first use'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('access token lifetime, seconds'),
};
export const RegisterResponse = z
  .object({ message: z.string(), user_id: z.string(), id: z.string(), email: z.string(), full_name: z.string(), verification_required: z.boolean() })
  .describe('201 from POST /api/auth/register/');
export const TokenPairResponse = z.object(TokenPair).describe('200 from POST /api/auth/token/refresh/');
export const LoginResponse = z
  .object({ ...TokenPair, user: z.object({ id: z.string(), email: z.string(), full_name: z.string(), face_enrolled: z.boolean() }) })
  .describe('200 from POST /api/auth/token/');
export const ProfileResponse = z
  .object({
    id: z.string(),
    email: z.string(),
    full_name: z.string(),
    phone_number: z.string().nullable(),
    face_enrolled: z.boolean(),
    enrollments: z.array(
      z.object({ id: z.string(), created_at: z.string(), quality_score: z.number().nullable().describe('null: templates keep no per-sample quality'), status: z.literal('active') }),
    ),
    last_authentication: z.string().nullable(),
    authentication_count: z.number().int(),
    created_at: z.string(),
  })
  .describe('200 from GET and PUT /api/auth/profile/');
export const JwksResponse = z
  .object({ keys: z.array(z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), kid: z.string(), alg: z.literal('ES256'), use: z.literal('sig') }).passthrough()) })
  .describe('200 from GET /.well-known/jwks.json: the keys verdict tokens verify against');

export interface AccountRouteDeps {
  readonly accounts: AccountService;
  readonly verdicts: VerdictSigner;
  readonly tenants: TenantService;
  readonly limits: RateLimits;
  /** Client bearer-token authentication. */
  readonly auth: RequestHandler;
}

/** The client credential: X-API-Key (counted against that key), else the client's bearer token. */
function clientCredential(deps: AccountRouteDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const apiKey = req.get('x-api-key');
    if (apiKey === undefined) {
      await deps.auth(req, res, next);
      return;
    }
    const t = await deps.tenants.exchangeApiKey(apiKey);
    await deps.limits.hitKey(t.clientId, t.keyId);
    res.locals.auth = { clientId: t.clientId, keyId: t.keyId } satisfies Authed;
    next();
  };
}

async function userAccount(deps: AccountRouteDeps, req: Request): Promise<AccountRecord> {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(req.get('authorization') ?? '');
  if (!m) throw new FacegateError('unauthorized', 'missing bearer token', { reason: 'token_missing' });
  return deps.accounts.authenticate(m[1]!);
}

function tokenView(t: AccountTokens): z.infer<typeof TokenPairResponse> {
  return { access: t.access, refresh: t.refresh, token_type: 'Bearer', expires_in: t.expiresIn };
}

export function accountRoutes(deps: AccountRouteDeps): ApiRouter {
  const { accounts } = deps;
  const client = clientCredential(deps);
  const r = new ApiRouter();

  r.post('/api/auth/register', { summary: 'Register an end-user account under the calling client', security: ['bearerAuth', 'apiKey'], body: RegisterBody, responses: { 201: RegisterResponse }, errors: ['invalid_request', 'validation_error', 'unauthorized', 'conflict', 'rate_limit_exceeded', 'unsupported_media_type'] }, requireJson, jsonSmall, client, async (req, res) => {
    const b = parse(RegisterBody, req.body, 'body');
    const fullName = b.full_name ?? [b.first_name, b.last_name].filter((x) => x !== undefined && x !== '').join(' ');
    const a = await accounts.register(authed(res).clientId, { email: b.email, password: b.password, fullName, phoneNumber: b.phone_number ?? null });
    res.status(201).json({
      message: 'User registered successfully',
      user_id: a.id,
      id: a.id,
      email: a.email,
      full_name: a.fullName,
      // No email verification step: the client vouches for its users.
      verification_required: false,
    } satisfies z.infer<typeof RegisterResponse>);
  });

  r.post('/api/auth/token', { summary: 'Log an end-user in (email + password): access + refresh tokens', security: ['bearerAuth', 'apiKey'], body: LoginBody, responses: { 200: LoginResponse }, errors: ['invalid_request', 'validation_error', 'unauthorized', 'conflict', 'rate_limit_exceeded', 'unsupported_media_type'] }, requireJson, jsonSmall, client, async (req, res) => {
    const b = parse(LoginBody, req.body, 'body');
    const { account, tokens } = await accounts.login(authed(res).clientId, b.email, b.password);
    const { enrollments } = await accounts.profile(account);
    res.json({ ...tokenView(tokens), user: { id: account.id, email: account.email, full_name: account.fullName, face_enrolled: enrollments.length > 0 } } satisfies z.infer<typeof LoginResponse>);
  });

  r.post('/api/auth/token/refresh', { summary: 'Rotate a refresh token (a reused one revokes its family)', body: RefreshBody, responses: { 200: TokenPairResponse }, errors: ['invalid_request', 'validation_error', 'unauthorized', 'unsupported_media_type'] }, requireJson, jsonSmall, async (req, res) => {
    res.json(tokenView(await accounts.refresh(parse(RefreshBody, req.body, 'body').refresh)));
  });

  const profileView = async (a: AccountRecord): Promise<z.infer<typeof ProfileResponse>> => {
    const { enrollments } = await accounts.profile(a);
    return {
      id: a.id,
      email: a.email,
      full_name: a.fullName,
      phone_number: a.phoneNumber,
      face_enrolled: enrollments.length > 0,
      // Templates keep no per-sample quality; every stored template is active.
      enrollments: enrollments.map((e) => ({ id: e.id, created_at: e.createdAt, quality_score: null, status: 'active' })),
      last_authentication: a.lastAuthenticationAt,
      authentication_count: a.authenticationCount,
      created_at: a.createdAt,
    };
  };

  r.get('/api/auth/profile', { summary: 'The end-user account of a user access token', security: ['bearerAuth'], responses: { 200: ProfileResponse }, errors: ['unauthorized'] }, async (req, res) => {
    res.json(await profileView(await userAccount(deps, req)));
  });

  r.put('/api/auth/profile', { summary: 'Update the end-user account of a user access token', security: ['bearerAuth'], body: ProfileUpdateBody, responses: { 200: ProfileResponse }, errors: ['invalid_request', 'validation_error', 'unauthorized', 'unsupported_media_type'] }, requireJson, jsonSmall, async (req, res) => {
    const account = await userAccount(deps, req);
    const b = parse(ProfileUpdateBody, req.body, 'body');
    const patch = { ...(b.full_name !== undefined ? { fullName: b.full_name } : {}), ...(b.phone_number !== undefined ? { phoneNumber: b.phone_number } : {}) };
    res.json(await profileView(await accounts.update(account, patch)));
  });

  r.get('/.well-known/jwks.json', { summary: 'Public keys that verdict tokens (ES256) verify against', responses: { 200: JwksResponse } }, (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(deps.verdicts.jwks());
  });
  return r;
}
