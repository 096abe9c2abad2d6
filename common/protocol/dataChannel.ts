// The typed JSON messages carried by a live session's data channels (SCTP
// through mediasoup). Server -> client: prompt, progress, result, ping, pong.
// Client -> server: ack (of a prompt), ping, pong. Each side validates what
// it receives with these schemas; anything else is counted and ignored.
// Runs in the browser too (the SDK bundles it): no Node-only APIs here.
import { z } from 'zod';

/** The label both data channels use. */
export const DATA_CHANNEL_LABEL = 'facegate';

const ping = z.object({ type: z.literal('ping'), id: z.number().int().nonnegative(), sentAt: z.number() });
const pong = z.object({ type: z.literal('pong'), id: z.number().int().nonnegative(), sentAt: z.number() });

export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('prompt'),
    id: z.string().min(1).max(64),
    /** Machine-readable action, e.g. 'turn_left', 'blink', 'hold_still'. */
    action: z.string().min(1).max(64),
    /** Text shown to the user. */
    text: z.string().max(500),
    /** Ms the user has to do it, when limited. */
    timeoutMs: z.number().int().positive().optional(),
    /**
     * Colours the page paints full-screen for a colour-flash challenge, each from
     * startMs (after the prompt arrives) for durationMs; sRGB 0..255.
     */
    colors: z
      .array(
        z.object({
          rgb: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
          startMs: z.number().int().min(0).max(60_000),
          durationMs: z.number().int().positive().max(30_000),
        }),
      )
      .max(32)
      .optional(),
  }),
  z.object({
    type: z.literal('progress'),
    /** 0..1 */
    value: z.number().min(0).max(1),
    label: z.string().max(200).optional(),
  }),
  z.object({
    type: z.literal('result'),
    outcome: z.enum(['pass', 'fail', 'error']),
    reason: z.string().max(200).optional(),
    /** Free-form result fields the service adds (identity, scores, ...). */
    data: z.record(z.string(), z.unknown()).optional(),
  }),
  ping,
  pong,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** What a liveness session tells the page (the engine's output): prompts, progress and the result; pings and pongs are the channel's own. */
export type LivenessMessage = Extract<ServerMessage, { type: 'prompt' | 'progress' | 'result' }>;

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ack'), ref: z.string().min(1).max(64) }),
  ping,
  pong,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** Largest data channel message accepted, bytes. */
export const MAX_MESSAGE_BYTES = 16 * 1024;

/** Parses a raw data channel payload into a ClientMessage, or undefined if it is not one. */
export function parseClientMessage(raw: unknown): ClientMessage | undefined {
  return parseWith(ClientMessageSchema, raw);
}

/** Parses a raw data channel payload into a ServerMessage, or undefined if it is not one. */
export function parseServerMessage(raw: unknown): ServerMessage | undefined {
  return parseWith(ServerMessageSchema, raw);
}

function parseWith<T>(schema: z.ZodType<T>, raw: unknown): T | undefined {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) text = new TextDecoder().decode(raw);
  else return undefined;
  if (text.length > MAX_MESSAGE_BYTES) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = schema.safeParse(json);
  return r.success ? r.data : undefined;
}
