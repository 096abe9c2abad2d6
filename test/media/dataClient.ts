// A data-only stand-in for the browser in live session tests: a werift peer
// (msc-node) with a recv transport consuming the server's data channel and,
// unless told not to, a send transport whose data channel answers pings.
// It keeps every server message in arrival order, raw, and can go silent
// (its SCTP drops everything and acknowledges nothing, ICE and DTLS stay up)
// the way a peer does that vanished without closing.
import { Device, RTCRtpCodecParameters } from 'msc-node';
import type { DataConsumer as PeerDataConsumer } from 'msc-node/lib/DataConsumer.js';
import type { DataProducer as PeerDataProducer } from 'msc-node/lib/DataProducer.js';
import type { Transport as PeerTransport } from 'msc-node/lib/Transport.js';
import { closeWeriftTransport } from '../../media/closeWeriftTransport.ts';
import { DATA_CHANNEL_LABEL, parseServerMessage, type ServerMessage } from '../../common/protocol/dataChannel.ts';
import type { LiveSession } from '../../media/LiveSession.ts';
import { weriftDtlsSettings } from '../support/weriftCertificate.ts';

export interface DataClientOptions {
  /** Open a client -> server channel and answer pings on it. Default true. */
  readonly answerPings?: boolean;
}

interface SilencableSctp {
  handleData(data: Buffer): Promise<void>;
}

export class DataClient {
  readonly raw: string[] = [];
  readonly #send: PeerTransport | undefined;
  readonly #recv: PeerTransport;
  readonly #channel: PeerDataProducer | undefined;
  #closed = false;

  private constructor(recv: PeerTransport, send: PeerTransport | undefined, channel: PeerDataProducer | undefined) {
    this.#recv = recv;
    this.#send = send;
    this.#channel = channel;
  }

  static async connect(session: LiveSession, options: DataClientOptions = {}): Promise<DataClient> {
    const device = new Device({ codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000 })] } });
    await device.load({ routerRtpCapabilities: session.rtpCapabilities as never });
    const additionalSettings = await weriftDtlsSettings();
    let send: PeerTransport | undefined;
    let channel: PeerDataProducer | undefined;
    if (options.answerPings !== false) {
      const info = await session.createTransport('send');
      send = device.createSendTransport({ ...info, additionalSettings } as never);
      send.on('connect', ({ dtlsParameters }: { dtlsParameters: never }, cb: () => void, eb: (e: Error) => void) => {
        session.connectTransport(info.id, dtlsParameters).then(cb, eb);
      });
      send.on(
        'producedata',
        ({ sctpStreamParameters, label, protocol }: { sctpStreamParameters: never; label: string; protocol: string }, cb: (r: { id: string }) => void, eb: (e: Error) => void) => {
          session.produceData(info.id, sctpStreamParameters, label, protocol).then((r) => cb({ id: r.dataProducerId }), eb);
        },
      );
      channel = await send.produceData({ ordered: true, label: DATA_CHANNEL_LABEL });
    }
    const info = await session.createTransport('recv');
    const recv = device.createRecvTransport({ ...info, additionalSettings } as never);
    recv.on('connect', ({ dtlsParameters }: { dtlsParameters: never }, cb: () => void, eb: (e: Error) => void) => {
      session.connectTransport(info.id, dtlsParameters).then(cb, eb);
    });
    const client = new DataClient(recv, send, channel);
    const dc = await session.consumeData(info.id);
    const consumer: PeerDataConsumer = await recv.consumeData({
      id: dc.id,
      dataProducerId: dc.dataProducerId,
      sctpStreamParameters: dc.sctpStreamParameters as never,
      label: dc.label,
      protocol: dc.protocol,
    });
    consumer.on('message', (raw: unknown) => client.#onMessage(raw));
    return client;
  }

  /** Server messages received so far, in order (anything unparseable is left out). */
  get messages(): ServerMessage[] {
    return this.raw.flatMap((r) => {
      const m = parseServerMessage(r);
      return m === undefined ? [] : [m];
    });
  }

  /** From now on this peer's SCTP neither delivers nor acknowledges anything; ICE and DTLS stay up. */
  silence(): void {
    const sctp = (this.#recv as unknown as { pc?: { sctpTransport?: { sctp?: SilencableSctp } } }).pc?.sctpTransport?.sctp;
    if (sctp === undefined) throw new Error('the recv transport has no SCTP association yet');
    sctp.handleData = async () => undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeWeriftTransport(this.#send);
    closeWeriftTransport(this.#recv);
  }

  #onMessage(raw: unknown): void {
    const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined;
    if (text === undefined) return;
    this.raw.push(text);
    const m = parseServerMessage(text);
    if (m?.type === 'ping' && this.#channel !== undefined && this.#channel.readyState === 'open' && !this.#closed) {
      this.#channel.send(JSON.stringify({ type: 'pong', id: m.id, sentAt: m.sentAt }));
    }
  }
}
