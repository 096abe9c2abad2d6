// The data-channel messages (common/protocol/dataChannel.ts): the parse
// functions over payloads of any type and shape never throw and return only
// messages their schema accepts, and valid messages survive a round trip;
// then, on a live session (a werift publisher sending a real clip), the
// server receives generated client messages on its data channel and still
// answers a ping with a pong afterwards.
import fc from 'fast-check';
import { ClientMessageSchema, MAX_MESSAGE_BYTES, parseClientMessage, parseServerMessage, ServerMessageSchema, type ClientMessage } from '../../common/protocol/dataChannel.ts';
import type { SyntheticPublisher } from '../support/SyntheticPublisher.ts';
import type { FuzzRun } from './FuzzRun.ts';

const nearMessage = fc.record(
  {
    type: fc.constantFrom('ack', 'ping', 'pong', 'prompt', 'progress', 'result', 'x', ''),
    id: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 70 })),
    ref: fc.oneof(fc.string({ maxLength: 70 }), fc.integer()),
    sentAt: fc.oneof(fc.double(), fc.string({ maxLength: 5 })),
    action: fc.string({ maxLength: 70 }),
    text: fc.string({ maxLength: 10 }),
    value: fc.double(),
    outcome: fc.constantFrom('pass', 'fail', 'error', 'x'),
    colors: fc.array(fc.record({ rgb: fc.array(fc.integer({ min: -1, max: 300 }), { maxLength: 4 }), startMs: fc.integer(), durationMs: fc.integer() }), { maxLength: 3 }),
    data: fc.anything({ maxDepth: 2 }),
  },
  { requiredKeys: ['type'] },
);

const rawPayload: fc.Arbitrary<unknown> = fc.oneof(
  nearMessage.map((m) => JSON.stringify(m)),
  nearMessage.map((m) => new TextEncoder().encode(JSON.stringify(m))),
  nearMessage.map((m) => new TextEncoder().encode(JSON.stringify(m)).buffer),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constant('x'.repeat(MAX_MESSAGE_BYTES + 1)),
  fc.anything({ maxDepth: 2 }),
);

const validClient: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ type: fc.constant('ack' as const), ref: fc.string({ minLength: 1, maxLength: 64 }) }),
  fc.record({ type: fc.constantFrom('ping' as const, 'pong' as const), id: fc.nat(), sentAt: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
);

export async function fuzzDataChannelParsers(run: FuzzRun, numRuns: number): Promise<void> {
  await run.property('parseClientMessage / parseServerMessage on any payload', rawPayload, async (raw) => {
    const c = parseClientMessage(raw);
    if (c !== undefined && !ClientMessageSchema.safeParse(c).success) throw new Error(`parseClientMessage returned ${JSON.stringify(c)}, which its schema refuses`);
    const s = parseServerMessage(raw);
    if (s !== undefined && !ServerMessageSchema.safeParse(s).success) throw new Error(`parseServerMessage returned ${JSON.stringify(s)}, which its schema refuses`);
  }, { numRuns, timeLimitMs: 30_000 });
  await run.property('a valid client message survives a round trip', validClient, async (m) => {
    const back = parseClientMessage(JSON.stringify(m));
    if (JSON.stringify(back) !== JSON.stringify(m)) throw new Error(`round trip gave ${JSON.stringify(back)}`);
  }, { numRuns: Math.ceil(numRuns / 4), timeLimitMs: 10_000 });
}

/** Waits (bounded) for the server to answer this ping id with a pong. */
async function pongFor(publisher: SyntheticPublisher, id: number): Promise<boolean> {
  const sentAt = Date.now();
  for (let attempt = 0; attempt < 3; attempt++) {
    publisher.send({ type: 'ping', id, sentAt });
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      if (publisher.received.some((m) => m.type === 'pong' && m.id === id)) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

export async function fuzzDataChannelLive(run: FuzzRun, publisher: SyntheticPublisher, numRuns: number): Promise<void> {
  if (!(await pongFor(publisher, 1_000_001))) {
    run.fail('data channel on a live session', 'the server did not answer a ping before any generated message');
    return;
  }
  await run.property('data channel: generated client messages on a live session', fc.oneof(nearMessage, fc.jsonValue({ maxDepth: 3 })), async (m) => {
    // Any JSON value on the wire: the channel carries what the client sends, typed or not.
    if (!publisher.send(m as ClientMessage)) throw new Error('the data channel closed');
  }, { numRuns, timeLimitMs: 30_000 });
  await run.example('data channel: the server still answers a ping after the generated messages', 'ping id 1000002', async () => {
    if (!(await pongFor(publisher, 1_000_002))) throw new Error('no pong after the generated messages');
  });
}
