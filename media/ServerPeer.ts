// The server's own WebRTC peer in a live session: a werift peer connection
// (through msc-node, the mediasoup-client port to werift) joined to the
// session's mediasoup router over loopback ICE like any other client. It owns
// two transports: one receiving (the browser's video and the browser's data
// channel) and one sending (the server's data channel to the browser). The
// mediasoup-side twins are created and connected in-process, no signaling.
// msc-node's recv transport is always the DTLS client; mediasoup adapts. Its
// send transport is the DTLS server: mediasoup, the client, sends its
// ClientHello on the first ICE check, before werift's DTLS socket exists
// (weriftPatches.ts keeps it for the socket).
import type * as ms from 'mediasoup/types';
import {
  Device,
  RTCRtpCodecParameters,
  useAbsSendTime,
  useFIR,
  useNACK,
  usePLI,
  useSdesMid,
  type RTCRtpReceiver,
  type RtpPacket,
  type RtcpPacket,
} from 'msc-node';
import type { Consumer as PeerConsumer } from 'msc-node/lib/Consumer.js';
import type { DataConsumer as PeerDataConsumer } from 'msc-node/lib/DataConsumer.js';
import type { DataProducer as PeerDataProducer } from 'msc-node/lib/DataProducer.js';
import type { Transport as PeerTransport } from 'msc-node/lib/Transport.js';
import { closeWeriftTransport } from './closeWeriftTransport.ts';
// Process-wide werift fixes (SCTP timers, SACK-IMMEDIATELY) for every peer this process runs.
import './weriftPatches.ts';
import { MediaError } from './errors.ts';
import type { VideoCodec } from './types.ts';
import type { WaitResult } from './waitFor.ts';
import { sctpSendBacklog, sctpSendDrained, type SctpSendBacklog } from './weriftSctpDrain.ts';

export interface ServerPeerOptions {
  readonly router: ms.Router;
  readonly webRtcServer: ms.WebRtcServer;
}

export interface ConsumedVideo {
  readonly codec: VideoCodec;
  /** Asks the publisher for a keyframe (mediasoup sends PLI/FIR upstream). */
  requestKeyFrame(): void;
}

export interface ServerPeerStats {
  readonly recvState: string;
  readonly sendState: string;
  /** What the server's data channels have sent that mediasoup has not acknowledged yet. */
  readonly sendBacklog: SctpSendBacklog;
}

function weriftCodecs(): RTCRtpCodecParameters[] {
  const rtcpFeedback = [useNACK(), usePLI(), useFIR()];
  return [
    new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback }),
    new RTCRtpCodecParameters({
      mimeType: 'video/H264',
      clockRate: 90000,
      rtcpFeedback,
      parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    }),
  ];
}

function codecOf(mimeType: string | undefined): VideoCodec {
  switch (mimeType?.toLowerCase()) {
    case 'video/vp8':
      return 'VP8';
    case 'video/h264':
      return 'H264';
    default:
      throw new MediaError('invalid_request', `unsupported video codec ${String(mimeType)}`);
  }
}

// werift 0.18 sends no ICE consent-freshness checks once connected, so
// mediasoup's consent timeout (30 s by default) would cut the server peer off
// half a minute into every session. These transports only ever carry this
// process's own loopback peer, so consent checking is turned off for them.
// Client transports keep the default.
const TRANSPORT_OPTIONS = { enableSctp: true, iceConsentTimeout: 0 } as const;

export class ServerPeer {
  static #open = 0;
  /** werift peers created and not yet closed (leak checks). */
  static get openPeers(): number {
    return ServerPeer.#open;
  }

  readonly #device: Device;
  readonly #msRecv: ms.WebRtcTransport;
  readonly #msSend: ms.WebRtcTransport;
  readonly #recv: PeerTransport;
  readonly #send: PeerTransport;
  readonly #consumers: ms.Consumer[] = [];
  readonly #dataConsumers: ms.DataConsumer[] = [];
  #closed = false;

  private constructor(device: Device, msRecv: ms.WebRtcTransport, msSend: ms.WebRtcTransport) {
    this.#device = device;
    this.#msRecv = msRecv;
    this.#msSend = msSend;
    const params = (t: ms.WebRtcTransport) => ({
      id: t.id,
      iceParameters: t.iceParameters,
      iceCandidates: t.iceCandidates,
      dtlsParameters: t.dtlsParameters,
      sctpParameters: t.sctpParameters,
    });
    // msc-node's option types are its own copies of mediasoup's; the shapes match.
    this.#recv = device.createRecvTransport(params(msRecv) as never);
    this.#send = device.createSendTransport(params(msSend) as never);
    for (const [local, remote] of [
      [this.#recv, msRecv],
      [this.#send, msSend],
    ] as const) {
      local.on('connect', ({ dtlsParameters }: { dtlsParameters: ms.DtlsParameters }, callback: () => void, errback: (e: Error) => void) => {
        remote.connect({ dtlsParameters }).then(callback, errback);
      });
    }
    this.#send.on(
      'producedata',
      (
        { sctpStreamParameters, label, protocol }: { sctpStreamParameters: ms.SctpStreamParameters; label: string; protocol: string },
        callback: (r: { id: string }) => void,
        errback: (e: Error) => void,
      ) => {
        msSend.produceData({ sctpStreamParameters, label, protocol }).then((dp) => callback({ id: dp.id }), errback);
      },
    );
    ServerPeer.#open++;
  }

  static async create(options: ServerPeerOptions): Promise<ServerPeer> {
    const { router, webRtcServer } = options;
    const device = new Device({
      codecs: { video: weriftCodecs() },
      headerExtensions: { video: [useSdesMid(), useAbsSendTime()] },
    });
    await device.load({ routerRtpCapabilities: router.rtpCapabilities as never });
    const msRecv = await router.createWebRtcTransport({ webRtcServer, ...TRANSPORT_OPTIONS, appData: { side: 'server' } });
    let msSend: ms.WebRtcTransport;
    try {
      msSend = await router.createWebRtcTransport({ webRtcServer, ...TRANSPORT_OPTIONS, appData: { side: 'server' } });
    } catch (e) {
      msRecv.close();
      throw e;
    }
    return new ServerPeer(device, msRecv, msSend);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Consumes a video producer of the router; RTP and RTCP go to the callbacks. */
  async consumeVideo(
    producerId: string,
    onRtp: (packet: RtpPacket) => void,
    onRtcp: (packet: RtcpPacket) => void,
  ): Promise<ConsumedVideo> {
    this.#assertOpen();
    const msConsumer = await this.#msRecv.consume({
      producerId,
      rtpCapabilities: this.#device.rtpCapabilities as never,
      paused: true,
    });
    this.#consumers.push(msConsumer);
    const codec = codecOf(msConsumer.rtpParameters.codecs[0]?.mimeType);
    const local: PeerConsumer = await this.#recv.consume({
      id: msConsumer.id,
      producerId,
      kind: 'video',
      rtpParameters: msConsumer.rtpParameters as never,
    });
    local.track.onReceiveRtp.subscribe((rtp) => onRtp(rtp));
    // msc-node types its receiver with the DOM interface; at run time it is werift's.
    const receiver = local.rtpReceiver as unknown as RTCRtpReceiver | undefined;
    receiver?.onRtcp.subscribe((rtcp) => onRtcp(rtcp));
    await msConsumer.resume();
    return {
      codec,
      requestKeyFrame: () => {
        if (!msConsumer.closed) msConsumer.requestKeyFrame().catch(() => undefined);
      },
    };
  }

  /** Opens the server -> client data channel; mediasoup's DataProducer id is what the browser consumes. */
  async produceData(label: string): Promise<{ dataProducerId: string; channel: PeerDataProducer }> {
    this.#assertOpen();
    const channel: PeerDataProducer = await this.#send.produceData({ ordered: true, label });
    return { dataProducerId: channel.id, channel };
  }

  /** Consumes a data producer of the router (the browser's channel). */
  async consumeData(dataProducerId: string): Promise<PeerDataConsumer> {
    this.#assertOpen();
    const msDataConsumer = await this.#msRecv.consumeData({ dataProducerId });
    this.#dataConsumers.push(msDataConsumer);
    const local: PeerDataConsumer = await this.#recv.consumeData({
      id: msDataConsumer.id,
      dataProducerId,
      sctpStreamParameters: msDataConsumer.sctpStreamParameters as never,
      label: msDataConsumer.label,
      protocol: msDataConsumer.protocol,
    });
    return local;
  }

  /**
   * Resolves 'done' once mediasoup's SCTP has acknowledged everything sent on
   * the server's data channels; 'closed' if this peer or its association
   * closes first, 'timed_out' at the deadline (epoch ms), 'aborted' on the signal.
   */
  flushData(deadline: number, signal?: AbortSignal): Promise<WaitResult> {
    if (this.#closed) return Promise.resolve('closed');
    return sctpSendDrained(this.#send, deadline, signal);
  }

  toJSON(): ServerPeerStats {
    return { recvState: this.#recv.connectionState, sendState: this.#send.connectionState, sendBacklog: sctpSendBacklog(this.#send) };
  }

  /** Closes both werift transports (their peer connections) and the mediasoup twins. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    ServerPeer.#open--;
    closeWeriftTransport(this.#recv);
    closeWeriftTransport(this.#send);
    if (!this.#msRecv.closed) this.#msRecv.close();
    if (!this.#msSend.closed) this.#msSend.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new MediaError('conflict', 'the server peer is closed');
  }
}
