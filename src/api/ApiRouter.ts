// The route helper: an express Router whose route methods take the route's
// OpenAPI description (summary, security, the zod schemas of its params,
// query, body and responses, the error codes it answers) next to the
// handlers. Declaring a route is documenting it: /api/schema is generated
// from every ApiRouter's `operations` (src/api/openapi.ts), so a route cannot
// exist without its document entry, and the schemas documented are the ones
// the handlers validate with. Usage: src/api/README.md.
import { Router, type RequestHandler } from 'express';
import type { z } from 'zod';
import type { ErrorCode } from '../../common/errors.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Security schemes of the document (src/api/openapi.ts SECURITY_SCHEMES). */
export type SecurityScheme = 'bearerAuth' | 'apiKey' | 'adminToken';

/** A response: its zod schema (JSON), or a description with an optional schema and content type. */
export type ResponseDoc =
  | z.ZodType
  | { readonly description: string; readonly schema?: z.ZodType; readonly contentType?: string };

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Alternatives: any one of them authenticates ('none': may also go without). Default: public. */
  readonly security?: readonly (SecurityScheme | 'none')[];
  /** Path parameters; default: each :name of the path as a required string. */
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject | z.ZodPipe;
  /** JSON request body. */
  readonly body?: z.ZodType;
  /** Success responses by status. */
  readonly responses: Readonly<Partial<Record<number, ResponseDoc>>>;
  /** Error codes the route answers with (their status from httpStatus.ts, the body the Error schema). */
  readonly errors?: readonly ErrorCode[];
}

/** One documented route: method and full express path with its description. */
export interface Operation extends RouteDoc {
  readonly method: HttpMethod;
  /** Express path, e.g. /api/users/:externalId. */
  readonly path: string;
}

export class ApiRouter {
  /** The express router to mount (at `prefix`, when given). */
  readonly router: Router = Router();
  readonly #prefix: string;
  readonly #operations: Operation[] = [];

  /** @param prefix where the composition mounts `router` (e.g. /api/admin): documented paths start with it. */
  constructor(prefix = '') {
    this.#prefix = prefix;
  }

  get operations(): readonly Operation[] {
    return this.#operations;
  }

  get(path: string, doc: RouteDoc, ...handlers: RequestHandler[]): this {
    return this.route('get', path, doc, handlers);
  }

  post(path: string, doc: RouteDoc, ...handlers: RequestHandler[]): this {
    return this.route('post', path, doc, handlers);
  }

  put(path: string, doc: RouteDoc, ...handlers: RequestHandler[]): this {
    return this.route('put', path, doc, handlers);
  }

  patch(path: string, doc: RouteDoc, ...handlers: RequestHandler[]): this {
    return this.route('patch', path, doc, handlers);
  }

  delete(path: string, doc: RouteDoc, ...handlers: RequestHandler[]): this {
    return this.route('delete', path, doc, handlers);
  }

  /** Registers the express route and its OpenAPI operation together. */
  route(method: HttpMethod, path: string, doc: RouteDoc, handlers: readonly RequestHandler[]): this {
    if (!path.startsWith('/')) throw new TypeError(`route path must start with /: ${path}`);
    if (handlers.length === 0) throw new TypeError(`${method.toUpperCase()} ${path} has no handler`);
    const full = `${this.#prefix}${path}`.replace(/\/+$/, '') || '/';
    if (this.#operations.some((o) => o.method === method && o.path === full)) {
      throw new TypeError(`${method.toUpperCase()} ${full} is declared twice`);
    }
    this.#operations.push({ ...doc, method, path: full });
    this.router[method](path, ...handlers);
    return this;
  }
}
