// The socket.io signaling protocol (common/protocol/signaling.ts) under
// generated requests: payloads of any shape before join, then, inside a
// joined live session, transport, DTLS, RTP (codecs, payload types, ssrc,
// header extensions) and SCTP parameters near and far from valid. Each
// request must be answered, as { ok: true, data } or { ok: false, error:
// { code, message } } with a client-error code (internal_error means the
// server did not recognise bad input as such); ssrc values outside 32 bits
// must be refused; the socket of an unjoined client stays up.
import fc from 'fast-check';
import { REQUEST_EVENT } from '../../common/protocol/signaling.ts';
import { SignalingClient } from '../signaling/liveServer.ts';
import type { FuzzRun } from './FuzzRun.ts';

const ACK_TIMEOUT_MS = 10_000;

function emitRaw(c: SignalingClient, payload: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    c.socket.timeout(ACK_TIMEOUT_MS).emit(REQUEST_EVENT, payload, (err: Error | null, res: unknown) => (err ? reject(new Error('no answer to the request')) : resolve(res)));
  });
}

/** Why a signaling answer breaks the protocol, or null. */
function answerProblem(res: unknown): string | null {
  const r = res as { ok?: unknown; data?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (r === null || typeof r !== 'object') return `answer ${JSON.stringify(res)} is not an object`;
  if (r.ok === true) return null;
  if (r.ok !== false || typeof r.error?.code !== 'string' || typeof r.error.message !== 'string') return `answer ${JSON.stringify(res).slice(0, 200)} has no ok/error shape`;
  if (r.error.code === 'internal_error') return `bad input answered internal_error (${r.error.message})`;
  return null;
}

const NAMES = ['join', 'createTransport', 'connectTransport', 'restartIce', 'produce', 'produceData', 'consumeData', 'heartbeat', 'leave'];

const anyPayload = fc.oneof(
  fc.record({ name: fc.oneof(fc.constantFrom(...NAMES.filter((n) => n !== 'leave')), fc.string({ maxLength: 20 })), data: fc.anything({ maxDepth: 3 }) }),
  fc.anything({ maxDepth: 2 }),
);

const u32ish = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(-1, 2 ** 32, 2 ** 32 + 5, 2 ** 53 - 1, 1.5));
const codecArb = fc.record(
  {
    mimeType: fc.oneof(fc.constantFrom('video/VP8', 'video/H264', 'video/VP9', 'video/AV1', 'audio/opus', 'video/XYZ', 'video/rtx', 'VP8'), fc.string({ maxLength: 70 })),
    payloadType: fc.oneof(fc.integer({ min: 0, max: 127 }), fc.constantFrom(-1, 128, 96.5)),
    clockRate: fc.oneof(fc.constant(90000), fc.integer({ min: -1, max: 2 ** 31 })),
    parameters: fc.dictionary(fc.constantFrom('apt', 'packetization-mode', 'profile-level-id', 'x'), fc.oneof(fc.integer(), fc.string({ maxLength: 10 }))),
    rtcpFeedback: fc.array(fc.record({ type: fc.constantFrom('nack', 'ccm', 'goog-remb', 'x'), parameter: fc.constantFrom('', 'pli', 'fir') }), { maxLength: 3 }),
  },
  { requiredKeys: ['mimeType', 'payloadType', 'clockRate'] },
);
const rtpParametersArb = fc.record(
  {
    mid: fc.oneof(fc.constant('0'), fc.string({ maxLength: 33 })),
    codecs: fc.array(codecArb, { minLength: 0, maxLength: 3 }),
    headerExtensions: fc.array(fc.record({ uri: fc.constantFrom('urn:ietf:params:rtp-hdrext:sdes:mid', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', 'x'), id: fc.integer({ min: 0, max: 300 }) }), { maxLength: 3 }),
    encodings: fc.array(fc.record({ ssrc: u32ish, rid: fc.string({ maxLength: 4 }) }, { requiredKeys: [] }), { maxLength: 3 }),
    rtcp: fc.record({ cname: fc.string({ maxLength: 10 }), reducedSize: fc.boolean() }, { requiredKeys: [] }),
  },
  { requiredKeys: ['codecs'] },
);
const dtlsArb = fc.record({
  role: fc.constantFrom('auto', 'client', 'server', 'x'),
  fingerprints: fc.array(
    fc.record({ algorithm: fc.constantFrom('sha-256', 'sha-1', 'sha-512', 'md5', ''), value: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF:'), maxLength: 95 }), fc.constant('AB:'.repeat(31) + 'AB')) }),
    { maxLength: 3 },
  ),
});

/** One generator per request a joined client may send, so a defect in one does not hide the others. */
function joinedRequestArbs(transportIds: () => string[]): Record<string, fc.Arbitrary<{ name: string; data: unknown }>> {
  const tid = fc.oneof({ weight: 4, arbitrary: fc.nat(1).map((i) => transportIds()[i] ?? 'none') }, fc.string({ maxLength: 130 }));
  const req = (name: string, data: fc.Arbitrary<unknown>) => fc.record({ name: fc.constant(name), data });
  return {
    produce: req('produce', fc.record({ transportId: tid, kind: fc.constantFrom('video', 'audio', 'x'), rtpParameters: rtpParametersArb })),
    connectTransport: req('connectTransport', fc.record({ transportId: tid, dtlsParameters: dtlsArb })),
    produceData: req(
      'produceData',
      fc.record({
        transportId: tid,
        sctpStreamParameters: fc.record({ streamId: fc.integer({ min: -1, max: 70000 }), ordered: fc.boolean(), maxRetransmits: fc.integer({ min: -1, max: 100 }) }, { requiredKeys: ['streamId'] }),
        label: fc.string({ maxLength: 70 }),
        protocol: fc.string({ maxLength: 70 }),
      }),
    ),
    'restartIce/consumeData': fc.record({ name: fc.constantFrom('restartIce', 'consumeData'), data: fc.record({ transportId: tid }) }),
    'createTransport/heartbeat': fc.oneof(
      req('createTransport', fc.record({ direction: fc.constantFrom('send', 'recv', 'both') })),
      req('heartbeat', fc.anything({ maxDepth: 1 })),
    ),
  };
}

function hasWideSsrc(req: { name: string; data: unknown }): boolean {
  if (req.name !== 'produce') return false;
  const enc = (req.data as { rtpParameters?: { encodings?: { ssrc?: unknown }[] } }).rtpParameters?.encodings ?? [];
  return enc.some((e) => typeof e.ssrc === 'number' && e.ssrc > 0xffffffff);
}

export interface SignalingTarget {
  readonly url: string;
  /** A fresh, open session token (a new session each call). */
  newSessionToken(): Promise<string>;
}

export async function fuzzSignaling(run: FuzzRun, target: SignalingTarget, o: { unjoined: number; joinedPerRequest: number }): Promise<void> {
  const idle = await SignalingClient.connect(target.url);
  try {
    await run.property('signaling before join', anyPayload, async (p) => {
      const problem = answerProblem(await emitRaw(idle, p));
      if (problem !== null) throw new Error(problem);
      if (!idle.socket.connected) throw new Error('the server dropped an unjoined socket');
    }, { numRuns: o.unjoined, timeLimitMs: 60_000 });
  } finally {
    idle.socket.disconnect();
  }
  let client: SignalingClient | null = null;
  const transports: string[] = [];
  const joined = async (): Promise<SignalingClient> => {
    if (client?.socket.connected) return client;
    client?.socket.disconnect();
    client = await SignalingClient.connect(target.url);
    await client.join(await target.newSessionToken());
    transports.length = 0;
    for (const direction of ['send', 'recv']) transports.push(String((await client.call<{ id: string }>('createTransport', { direction })).id));
    return client;
  };
  try {
    for (const [name, arb] of Object.entries(joinedRequestArbs(() => transports))) {
      await run.property(`signaling in a joined session: ${name}`, arb, async (req) => {
        const c = await joined();
        const res = await emitRaw(c, req);
        const problem = answerProblem(res);
        if (problem !== null) throw new Error(`${req.name}: ${problem}`);
        if (hasWideSsrc(req) && (res as { ok?: unknown }).ok === true) throw new Error('produce accepted an ssrc above 2^32 - 1');
      }, { numRuns: o.joinedPerRequest, timeLimitMs: 60_000 });
      // A fresh session for the next request kind: one kind's leftovers (a connected transport) do not steer the next.
      (client as SignalingClient | null)?.socket.disconnect();
    }
  } finally {
    (client as SignalingClient | null)?.socket.disconnect();
  }
}

const FINGERPRINT = { algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') };
const vp8 = (extra: Record<string, unknown> = {}) => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
  encodings: [{ ssrc: 1234 }],
  ...extra,
});

/** Hand-written request sequences from the attack review (issue 13), each on a fresh session and reported alone. */
const SIGNALING_CORPUS: readonly { readonly name: string; readonly steps: (send: string) => { name: string; data: unknown }[] }[] = [
  { name: 'connectTransport twice', steps: (t) => [1, 2].map(() => ({ name: 'connectTransport', data: { transportId: t, dtlsParameters: { role: 'auto', fingerprints: [FINGERPRINT] } } })) },
  { name: 'produce with an unsupported codec', steps: (t) => [{ name: 'produce', data: { transportId: t, kind: 'video', rtpParameters: { ...vp8(), codecs: [{ mimeType: 'video/XYZ', payloadType: 96, clockRate: 90000 }] } } }] },
  { name: 'produce with an ssrc above 2^32 - 1', steps: (t) => [{ name: 'produce', data: { transportId: t, kind: 'video', rtpParameters: vp8({ encodings: [{ ssrc: 2 ** 32 + 5 }] }) } }] },
  { name: 'produce H264 on payload type 0', steps: (t) => [{ name: 'produce', data: { transportId: t, kind: 'video', rtpParameters: { codecs: [{ mimeType: 'video/H264', payloadType: 0, clockRate: 90000 }] } } }] },
  { name: 'produce audio with a video codec', steps: (t) => [{ name: 'produce', data: { transportId: t, kind: 'audio', rtpParameters: vp8() } }] },
  { name: 'produceData on stream id 65534 twice', steps: (t) => [1, 2].map(() => ({ name: 'produceData', data: { transportId: t, sctpStreamParameters: { streamId: 65534 }, label: 'x', protocol: '' } })) },
];

export async function signalingCorpus(run: FuzzRun, target: SignalingTarget): Promise<void> {
  for (const entry of SIGNALING_CORPUS) {
    const c = await SignalingClient.connect(target.url);
    try {
      await c.join(await target.newSessionToken());
      const send = String((await c.call<{ id: string }>('createTransport', { direction: 'send' })).id);
      const steps = entry.steps(send);
      await run.example(`signaling corpus: ${entry.name}`, JSON.stringify(steps).slice(0, 400), async () => {
        for (const step of steps) {
          const res = await emitRaw(c, step);
          const problem = answerProblem(res);
          if (problem !== null) throw new Error(`${step.name}: ${problem}`);
          if (hasWideSsrc(step) && (res as { ok?: unknown }).ok === true) throw new Error('produce accepted an ssrc above 2^32 - 1');
        }
      });
    } finally {
      c.socket.disconnect();
    }
  }
}
