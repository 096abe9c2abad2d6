// The signaling protocol between a client (the browser SDK) and the server:
// one list of requests, each a { name, data, responseData } triple, and the
// server's notifications. Payloads are validated here, once, at the boundary
// (zod); mediasoup checks the deeper RTP/SCTP structures again itself.
// Wire: the client emits 'request' with { name, data } and an ack callback;
// the server answers { ok: true, data } or { ok: false, error: { code, message } }
// and emits 'notification' with { name, data }.
// This module is bundled into the browser SDK: no Node-only imports.
import { z } from 'zod';
import { CaptureReportSchema } from './capture.ts';
import type { ClientMessage, ServerMessage } from './dataChannel.ts';

export const SIGNALING_NAMESPACE = '/facegate';
export const REQUEST_EVENT = 'request';
export const NOTIFICATION_EVENT = 'notification';

const id = z.string().min(1).max(128);
/** An RTP SSRC: 32 bits unsigned (RFC 3550). */
const ssrc = z.number().int().min(0).max(0xffffffff);
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

const DtlsParametersSchema = loose({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(loose({ algorithm: z.string().min(1).max(32), value: z.string().min(1).max(256) }))
    .min(1)
    .max(8),
});

const RtpCodecSchema = loose({
  mimeType: z.string().min(3).max(64),
  payloadType: z.number().int().min(0).max(127),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  rtcpFeedback: z.array(loose({ type: z.string().max(64), parameter: z.string().max(64).optional() })).max(32).optional(),
});

const RtpParametersSchema = loose({
  mid: z.string().max(32).optional(),
  codecs: z.array(RtpCodecSchema).min(1).max(16),
  headerExtensions: z.array(loose({ uri: z.string().max(256), id: z.number().int().min(1).max(255) })).max(32).optional(),
  encodings: z
    .array(loose({ ssrc: ssrc.optional(), rtx: loose({ ssrc }).optional(), rid: z.string().max(32).optional() }))
    .max(8)
    .optional(),
  rtcp: loose({ cname: z.string().max(256).optional(), reducedSize: z.boolean().optional() }).optional(),
});

const SctpStreamParametersSchema = loose({
  streamId: z.number().int().min(0).max(65534),
  ordered: z.boolean().optional(),
  maxPacketLifeTime: z.number().int().nonnegative().optional(),
  maxRetransmits: z.number().int().nonnegative().optional(),
});

/** zod schema of each request's data, by name. */
export const RequestDataSchemas = {
  join: z.object({
    token: z.string().min(1).max(4096),
    /** The user opted out of the colour flash: the session draws its challenges from the other families. */
    flash: z.literal('off').optional(),
    /** The user cannot follow a flash or gesture prompts: the no-gesture path where the session's policy allows it (step_up). */
    gestures: z.literal('off').optional(),
  }),
  createTransport: z.object({ direction: z.enum(['send', 'recv']) }),
  connectTransport: z.object({ transportId: id, dtlsParameters: DtlsParametersSchema }),
  restartIce: z.object({ transportId: id }),
  produce: z.object({ transportId: id, kind: z.enum(['audio', 'video']), rtpParameters: RtpParametersSchema }),
  produceData: z.object({
    transportId: id,
    sctpStreamParameters: SctpStreamParametersSchema,
    label: z.string().max(64).default(''),
    protocol: z.string().max(64).default(''),
  }),
  consumeData: z.object({ transportId: id }),
  /** The SDK's facts about its camera (common/protocol/capture.ts); once per session. */
  reportCapture: CaptureReportSchema,
  heartbeat: z.object({}),
  leave: z.object({}),
} as const;

export type RequestName = keyof typeof RequestDataSchemas;

// The mediasoup structures the client gets back stay opaque here: the server
// fills them from mediasoup objects, the SDK hands them to mediasoup-client.
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One ICE server handed to a client at join: STUN as is, TURN with per-session credentials (turn/turnCredentials.ts). */
export const IceServerSchema = z.object({
  urls: z.array(z.string().min(1)).min(1),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServerSchema>;

export const TransportInfoSchema = z.object({
  id,
  iceParameters: z.unknown(),
  iceCandidates: z.array(z.unknown()),
  dtlsParameters: z.unknown(),
  sctpParameters: z.unknown(),
});
export type TransportInfo = z.infer<typeof TransportInfoSchema>;

const empty = z.object({});

/** zod schema of each request's response data, by name. */
export const ResponseDataSchemas = {
  join: z.object({
    sessionId: id,
    routerRtpCapabilities: z.unknown(),
    iceServers: z.array(IceServerSchema),
    /** The client must send a request (heartbeat) at least this often. */
    heartbeatIntervalMs: z.number().int().positive(),
  }),
  createTransport: TransportInfoSchema,
  connectTransport: empty,
  restartIce: z.object({ iceParameters: z.unknown() }),
  produce: z.object({ producerId: id }),
  produceData: z.object({ dataProducerId: id }),
  consumeData: z.object({ id, dataProducerId: id, sctpStreamParameters: z.unknown(), label: z.string(), protocol: z.string() }),
  reportCapture: empty,
  heartbeat: empty,
  leave: empty,
} as const satisfies Record<RequestName, z.ZodType>;

/** The protocol: every request with its data and its response data. */
export type SignalingRequest = {
  [N in RequestName]: {
    name: N;
    data: z.input<(typeof RequestDataSchemas)[N]>;
    responseData: z.infer<(typeof ResponseDataSchemas)[N]>;
  };
}[RequestName];

export type RequestOf<N extends RequestName> = Extract<SignalingRequest, { name: N }>;

/** A request after validation. */
export type ParsedRequest = {
  [N in RequestName]: { name: N; data: z.output<(typeof RequestDataSchemas)[N]> };
}[RequestName];

/** The server's notifications. */
export const SignalingNotificationSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('sessionClosed'), data: z.object({ reason: z.string() }) }),
]);
export type SignalingNotification = z.infer<typeof SignalingNotificationSchema>;

export type SignalingResponse<T = unknown> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string } };

/** Validates a raw 'request' payload; returns a message on failure. */
export function parseRequest(raw: unknown): { ok: true; request: ParsedRequest } | { ok: false; message: string } {
  if (raw === null || typeof raw !== 'object') return { ok: false, message: 'request must be an object' };
  const { name, data } = raw as { name?: unknown; data?: unknown };
  if (typeof name !== 'string' || !Object.hasOwn(RequestDataSchemas, name)) {
    return { ok: false, message: `unknown request ${JSON.stringify(String(name)).slice(0, 80)}` };
  }
  const schema = RequestDataSchemas[name as RequestName];
  const r = schema.safeParse(data ?? {});
  if (!r.success) {
    return { ok: false, message: r.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ') };
  }
  return { ok: true, request: { name, data: r.data } as ParsedRequest };
}

export type { ClientMessage, ServerMessage };
