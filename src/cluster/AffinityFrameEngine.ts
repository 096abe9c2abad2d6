// Session affinity for REST liveness uploads across nodes (PostgreSQL +
// Redis, no sticky load balancer). A liveness engine session is process
// state (observation history, challenge plan, timers), so each service
// session's engine runs on one node: the first upload claims the session for
// the node that took it (NodeLink.claim, with the session's TTL), and any
// other node forwards later uploads to the owner and relays its answer. The
// receiving node keeps the service bookkeeping (state, lockout, audit,
// webhooks) exactly as for a local frame. An owner that stopped ends the
// session with reason `node_lost`; an owner that is alive but does not answer
// in time is a retryable 503. Cancel reaches the owner's engine the same way.
// An upload travels as the client sent it (its JPEG/PNG bytes, a few tens of
// KB) and is decoded only on the owner, with the same decoder and limits as
// a local upload (the receiving node never decodes it); only a frame with no
// encoded source travels as raw pixels.
import type { Logger } from 'pino';
import { z } from 'zod';
import { FacegateError, isErrorCode } from '../../common/errors.ts';
import { decodeEncoded, IMAGE_MIMES, type EncodedImage } from '../sessions/frameDecoder.ts';
import { encodedFrameInput, rawFrameInput, type FrameInput, type FrameStep, type SessionEngine } from '../sessions/SessionEngine.ts';
import { DECISION_REASONS, type SessionRecord } from '../../common/session.ts';
import type { NodeLink, NodeRequest } from './NodeLink.ts';

export interface AffinityFrameEngineOptions {
  /** This node's engine (LivenessFrameEngine): runs the sessions this node owns. */
  readonly local: SessionEngine;
  readonly link: NodeLink;
  /** Loads a client's data key before its gallery is used (TenantService.loadClientKey). */
  readonly loadClientKey: (clientId: string) => Promise<unknown>;
  /** The service's upload size limit (config.service.maxImageBytes): a forwarded image is held to it again on the owner. */
  readonly maxImageBytes: number;
  /** Longest wait for the owner's answer to a frame, ms (default 10000). */
  readonly forwardTimeoutMs?: number;
  /** Longest wait for the owner to confirm a cancel, ms (default 2000). */
  readonly cancelTimeoutMs?: number;
  readonly log: Logger;
}

// ---- the wire: what a forwarded request and its reply carry ----------------

const FORMATS = ['rgb24', 'bgr24'] as const;
const MAX_SIDE = 8192;

/** The fields of the service session the owner's engine reads (LivenessFrameEngine.#start). */
const WireSession = z
  .object({
    id: z.string().min(1).max(100),
    clientId: z.string().min(1).max(200),
    kind: z.enum(['enrollment', 'authentication']),
    externalUserId: z.string().max(500).nullable(),
    expiresAt: z.number(),
  })
  .passthrough();

const WireRequest = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('frame'),
    session: WireSession,
    frame: z.object({
      width: z.number().int().positive().max(MAX_SIDE),
      height: z.number().int().positive().max(MAX_SIDE),
      stride: z.number().int().positive(),
      format: z.enum(FORMATS),
    }),
  }),
  // An upload as the client sent it; the body is the encoded image.
  z.object({ op: z.literal('image'), session: WireSession, image: z.object({ mime: z.enum(IMAGE_MIMES) }) }),
  z.object({ op: z.literal('cancel'), session: WireSession }),
]);
type WireRequest = z.infer<typeof WireRequest>;

const numbers = z.record(z.string(), z.number());
const WirePrompt = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('prompt'),
    id: z.string(),
    action: z.string(),
    text: z.string(),
    timeoutMs: z.number().optional(),
    colors: z.array(z.object({ rgb: z.tuple([z.number(), z.number(), z.number()]), startMs: z.number(), durationMs: z.number() })).optional(),
  }),
  z.object({ type: z.literal('progress'), value: z.number(), label: z.string().optional() }),
]);
const WireStep = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sample'), embedding: z.array(z.number()).transform((a) => Float32Array.from(a)), scores: numbers, timings: numbers }),
  z.object({ kind: z.literal('retry'), reason: z.enum(DECISION_REASONS), scores: numbers, timings: numbers }),
  z.object({ kind: z.literal('pending'), feedback: z.string(), prompts: z.array(WirePrompt), timings: numbers }),
  z.object({
    kind: z.literal('decided'),
    verdict: z.object({
      outcome: z.enum(['succeeded', 'failed']),
      reason: z.enum(DECISION_REASONS).nullable(),
      externalUserId: z.string().nullable(),
      similarity: z.number().nullable(),
      scores: numbers,
      timings: numbers,
    }),
    // A succeeded enrollment's template: this node's service commits it, not the owner.
    template: z
      .array(z.number())
      .transform((a) => Float32Array.from(a))
      .optional(),
  }),
]);

/** A FrameStep as JSON (the embedding of a 'sample', the template of a decided enrollment, as numbers). */
function toWire(step: FrameStep): unknown {
  if (step.kind === 'sample') return { ...step, embedding: Array.from(step.embedding) };
  if (step.kind === 'decided' && step.template !== undefined) return { ...step, template: Array.from(step.template) };
  return step;
}

/** The session the owner's engine needs: the validated fields, the rest as sent (same service, same record shape). */
function sessionFrom(w: z.infer<typeof WireSession>): SessionRecord {
  return w as unknown as SessionRecord;
}

/** The owner's error, rebuilt with its code when it is one of ours. */
function ownerError(code: string, message: string, details: Readonly<Record<string, unknown>> | null): FacegateError {
  // An unknown code is not an error this service defines.
  if (!isErrorCode(code)) return new FacegateError('internal_error', 'the node that holds this session failed');
  return new FacegateError(code, message, details ? { ...details } : undefined);
}

/** The verdict for a session whose owner stopped: failed, not the user's fault, start a new session. */
function nodeLost(): FrameStep {
  return {
    kind: 'decided',
    verdict: { outcome: 'failed', reason: 'node_lost', externalUserId: null, similarity: null, scores: {}, timings: {} },
  };
}

export class AffinityFrameEngine implements SessionEngine {
  readonly #local: SessionEngine;
  readonly #link: NodeLink;
  readonly #loadClientKey: (clientId: string) => Promise<unknown>;
  readonly #maxImageBytes: number;
  readonly #forwardTimeoutMs: number;
  readonly #cancelTimeoutMs: number;
  readonly #log: Logger;
  #forwarded = 0;
  #served = 0;

  constructor(o: AffinityFrameEngineOptions) {
    this.#local = o.local;
    this.#link = o.link;
    this.#loadClientKey = o.loadClientKey;
    if (!Number.isInteger(o.maxImageBytes) || o.maxImageBytes <= 0) throw new TypeError('maxImageBytes must be a positive integer');
    this.#maxImageBytes = o.maxImageBytes;
    this.#forwardTimeoutMs = o.forwardTimeoutMs ?? 10_000;
    this.#cancelTimeoutMs = o.cancelTimeoutMs ?? 2000;
    if (!(this.#forwardTimeoutMs > 0) || !(this.#cancelTimeoutMs > 0)) throw new TypeError('timeouts must be positive');
    this.#log = o.log;
    this.#link.serve((r) => this.#serve(r));
  }

  /** Uploads this node sent to another owner, and uploads it ran for another node and answered with a step (not an error). */
  get stats(): { readonly forwarded: number; readonly served: number } {
    return { forwarded: this.#forwarded, served: this.#served };
  }

  async processFrame(session: SessionRecord, input: FrameInput): Promise<FrameStep> {
    const owner = await this.#link.claim(session.id, Math.max(1000, session.expiresAt - Date.now()));
    if (owner === this.#link.nodeId) return this.#local.processFrame(session, input);
    this.#forwarded++;
    const wireSession = session as unknown as z.infer<typeof WireSession>;
    // A camera JPEG is 18x (640x480) to 28x (1280x720) smaller than its pixels; the owner decodes it to the same pixels.
    const source = input.source;
    let header: WireRequest;
    let body: Uint8Array;
    if (source !== undefined) {
      [header, body] = [{ op: 'image', session: wireSession, image: { mime: source.mime } }, source.bytes];
    } else {
      const frame = await input.pixels();
      [header, body] = [{ op: 'frame', session: wireSession, frame: { width: frame.width, height: frame.height, stride: frame.stride, format: frame.format } }, frame.data];
    }
    const r = await this.#link.request(owner, header, body, this.#forwardTimeoutMs);
    switch (r.kind) {
      case 'reply': {
        const step = WireStep.safeParse(r.value);
        if (!step.success) throw new FacegateError('internal_error', 'the node that holds this session answered with an unknown step');
        return step.data as FrameStep;
      }
      case 'error':
        throw ownerError(r.code, r.message, r.details);
      case 'gone':
        this.#log.warn({ sessionId: session.id, owner }, 'the node that held this liveness session is gone; the session ends');
        return nodeLost();
      case 'timeout':
        if (!(await this.#link.isAlive(owner))) {
          this.#log.warn({ sessionId: session.id, owner }, 'the node that held this liveness session lost its lease; the session ends');
          return nodeLost();
        }
        throw new FacegateError('service_unavailable', 'the node that holds this liveness session did not answer in time; retry the frame', {
          reason: 'owner_timeout',
        });
    }
  }

  async cancel(session: SessionRecord): Promise<void> {
    const owner = await this.#link.owner(session.id);
    if (owner === null || owner === this.#link.nodeId) {
      await this.#local.cancel?.(session);
      return;
    }
    const header: WireRequest = { op: 'cancel', session: session as unknown as z.infer<typeof WireSession> };
    const r = await this.#link.request(owner, header, null, this.#cancelTimeoutMs);
    // A gone or slow owner: its engine session dies with it or on its own TTL; the service record is already cancelled.
    if (r.kind !== 'reply') this.#log.debug({ sessionId: session.id, owner, result: r.kind }, 'cancel did not reach the owning node');
  }

  /** Runs another node's request on this node's engine. */
  async #serve(request: NodeRequest): Promise<unknown> {
    const parsed = WireRequest.safeParse(request.header);
    if (!parsed.success) throw new FacegateError('invalid_request', 'malformed node request');
    const req = parsed.data;
    const session = sessionFrom(req.session);
    if (req.op === 'cancel') {
      await this.#local.cancel?.(session);
      return { cancelled: true };
    }
    const body = request.body;
    if (req.op === 'image') {
      // Validated here as if uploaded here: a bad image is the same typed error, never a crash.
      // Decoded by the engine, first thing, and only here.
      const source: EncodedImage = { mime: req.image.mime, bytes: body ?? new Uint8Array(0) };
      return this.#run(session, encodedFrameInput(source, (src) => decodeEncoded(src, { maxBytes: this.#maxImageBytes })));
    }
    const { width, height, stride, format } = req.frame;
    if (stride < width * 3 || body === null || body.length < stride * (height - 1) + width * 3) {
      throw new FacegateError('invalid_request', 'forwarded frame is shorter than its size says');
    }
    return this.#run(session, rawFrameInput({ data: body, width, height, stride, format }));
  }

  async #run(session: SessionRecord, input: FrameInput): Promise<unknown> {
    await this.#loadClientKey(session.clientId);
    const step = await this.#local.processFrame(session, input);
    this.#served++;
    return toWire(step);
  }
}
