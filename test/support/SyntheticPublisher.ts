// A werift peer (msc-node) that publishes a pre-encoded RTP clip (see
// rtpClip.ts) to a live session the way a browser would: a send transport
// with one video producer and a data producer, a recv transport consuming the
// server's data channel, answering pings. Used by integration tests and
// bench:media; the clip loops with continuous sequence numbers and RTP
// timestamps, paced at its original rate. Like the server peer, it sends no
// ICE consent checks (werift 0.18), so a session whose client transports keep
// mediasoup's 30 s consent timeout stops receiving from it after 30 s unless
// the server created them with iceConsentTimeout 0 (see LiveSession options).
// With `variants` (the same clip encoded again frame for frame, e.g. lit by
// each colour of a simulated screen, every frame a keyframe) it sends each
// frame from the variant `selectVariant` picks for that frame's capture time:
// a camera filming a face that reflects whatever the page paints.
import {
  Device,
  MediaStreamTrack,
  RTCRtpCodecParameters,
  RtpPacket,
  dePacketizeRtpPackets,
  useAbsSendTime,
  useNACK,
  usePLI,
  useFIR,
  useSdesMid,
} from 'msc-node';
import type { DataConsumer as PeerDataConsumer } from 'msc-node/lib/DataConsumer.js';
import type { DataProducer as PeerDataProducer } from 'msc-node/lib/DataProducer.js';
import type { Transport as PeerTransport } from 'msc-node/lib/Transport.js';
import { closeWeriftTransport } from '../../media/closeWeriftTransport.ts';
import { DATA_CHANNEL_LABEL, parseServerMessage, type ClientMessage, type ServerMessage } from '../../common/protocol/dataChannel.ts';
import type { RtpClipPacket } from './rtpClip.ts';
import type { VideoCodec } from '../../media/types.ts';
import { weriftDtlsSettings } from './weriftCertificate.ts';

/** What the publisher needs from the server side; LiveSession satisfies it, a signaling client can too. */
export interface PublisherSignaling {
  readonly rtpCapabilities: unknown;
  createTransport(direction: 'send' | 'recv'): Promise<{
    id: string;
    iceParameters: unknown;
    iceCandidates: unknown[];
    dtlsParameters: unknown;
    sctpParameters: unknown;
  }>;
  connectTransport(transportId: string, dtlsParameters: never): Promise<void>;
  produce(transportId: string, kind: 'video', rtpParameters: never): Promise<{ producerId: string }>;
  produceData(transportId: string, sctpStreamParameters: never, label: string, protocol: string): Promise<{ dataProducerId: string }>;
  consumeData(transportId: string): Promise<{
    id: string;
    dataProducerId: string;
    sctpStreamParameters: unknown;
    label: string;
    protocol: string;
  }>;
}

export interface SyntheticPublisherOptions {
  readonly codec: VideoCodec;
  readonly packets: readonly RtpClipPacket[];
  /** Answer server pings with pongs. Default true. */
  readonly answerPings?: boolean;
  /**
   * Alternative encodings of the same frames (same count; all frames keyframes,
   * `packets` too, so switching never breaks the decoder's references).
   */
  readonly variants?: readonly (readonly RtpClipPacket[])[];
  /** Which to send for a frame captured at this wall-clock time: 0 = `packets`, i = variants[i - 1]. */
  readonly selectVariant?: (captureTimeMs: number) => number;
  /**
   * 'wall' (default): each frame's RTP time is this host's wall clock when it
   * leaves, as a camera stamps capture time; 'counter': frame k is stamped
   * k frame intervals after the first, a perfectly periodic synthetic clock.
   */
  readonly rtpClock?: 'wall' | 'counter';
}

/** RTP timestamp (90 kHz) of a wall-clock time, as SyntheticPublisher stamps frames. */
export function rtpTimestampAt(unixMs: number): number {
  return Math.round(unixMs * 90) % 2 ** 32;
}

/** Ms between the wall-clock capture of a SyntheticPublisher frame with this RTP timestamp and nowMs. */
export function msSinceRtpTimestamp(rtpTimestamp: number, nowMs: number): number {
  return ((rtpTimestampAt(nowMs) - rtpTimestamp + 2 ** 32) % 2 ** 32) / 90;
}

export class SyntheticPublisher {
  readonly #signaling: PublisherSignaling;
  readonly #options: SyntheticPublisherOptions;
  readonly #track = new MediaStreamTrack({ kind: 'video' });
  readonly #received: ServerMessage[] = [];
  readonly #listeners = new Set<(m: ServerMessage) => void>();
  #send: PeerTransport | undefined;
  #recv: PeerTransport | undefined;
  #channel: PeerDataProducer | undefined;
  #serverChannel: PeerDataConsumer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #keyframeRequested = false;
  #sent = 0;

  constructor(signaling: PublisherSignaling, options: SyntheticPublisherOptions) {
    if (options.packets.length === 0) throw new TypeError('packets must not be empty');
    this.#signaling = signaling;
    this.#options = options;
  }

  /** Server messages received so far. */
  get received(): readonly ServerMessage[] {
    return this.#received;
  }

  get packetsSent(): number {
    return this.#sent;
  }

  onMessage(listener: (m: ServerMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    const s = this.#signaling;
    const rtcpFeedback = [useNACK(), usePLI(), useFIR()];
    const codec =
      this.#options.codec === 'VP8'
        ? new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback })
        : new RTCRtpCodecParameters({
            mimeType: 'video/H264',
            clockRate: 90000,
            rtcpFeedback,
            parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
          });
    const device = new Device({ codecs: { video: [codec] }, headerExtensions: { video: [useSdesMid(), useAbsSendTime()] } });
    await device.load({ routerRtpCapabilities: s.rtpCapabilities as never });
    // One certificate for both transports: the session is bound to the first one's fingerprint.
    const additionalSettings = await weriftDtlsSettings();
    const sendInfo = await s.createTransport('send');
    const send = device.createSendTransport({ ...sendInfo, additionalSettings } as never);
    this.#send = send;
    send.on('connect', ({ dtlsParameters }: { dtlsParameters: never }, cb: () => void, eb: (e: Error) => void) => {
      s.connectTransport(sendInfo.id, dtlsParameters).then(cb, eb);
    });
    send.on('produce', ({ rtpParameters }: { rtpParameters: never }, cb: (r: { id: string }) => void, eb: (e: Error) => void) => {
      s.produce(sendInfo.id, 'video', rtpParameters).then((r) => cb({ id: r.producerId }), eb);
    });
    send.on(
      'producedata',
      ({ sctpStreamParameters, label, protocol }: { sctpStreamParameters: never; label: string; protocol: string }, cb: (r: { id: string }) => void, eb: (e: Error) => void) => {
        s.produceData(sendInfo.id, sctpStreamParameters, label, protocol).then((r) => cb({ id: r.dataProducerId }), eb);
      },
    );
    const producer = await send.produce({ track: this.#track as never });
    // Answer PLI the way an encoder would: the next frame sent is a keyframe.
    producer.rtpSender?.onPictureLossIndication.subscribe(() => {
      this.#keyframeRequested = true;
    });
    this.#pump();
    this.#channel = await send.produceData({ ordered: true, label: DATA_CHANNEL_LABEL });

    const recvInfo = await s.createTransport('recv');
    const recv = device.createRecvTransport({ ...recvInfo, additionalSettings } as never);
    this.#recv = recv;
    recv.on('connect', ({ dtlsParameters }: { dtlsParameters: never }, cb: () => void, eb: (e: Error) => void) => {
      s.connectTransport(recvInfo.id, dtlsParameters).then(cb, eb);
    });
    const dc = await s.consumeData(recvInfo.id);
    const channel = await recv.consumeData({
      id: dc.id,
      dataProducerId: dc.dataProducerId,
      sctpStreamParameters: dc.sctpStreamParameters as never,
      label: dc.label,
      protocol: dc.protocol,
    });
    this.#serverChannel = channel;
    channel.on('message', (raw: unknown) => this.#onServerMessage(raw));
  }

  /** Sends a client message on the publisher's data channel; false if it is not open yet. */
  send(message: ClientMessage): boolean {
    const ch = this.#channel;
    if (ch === undefined || ch.readyState !== 'open') return false;
    ch.send(JSON.stringify(message));
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    closeWeriftTransport(this.#send);
    closeWeriftTransport(this.#recv);
    try {
      this.#track.stop();
    } catch {
      // The transport close already ended the track.
    }
  }

  #onServerMessage(raw: unknown): void {
    const m = parseServerMessage(raw);
    if (m === undefined) return;
    this.#received.push(m);
    if (m.type === 'ping' && this.#options.answerPings !== false) this.send({ type: 'pong', id: m.id, sentAt: m.sentAt });
    for (const l of this.#listeners) l(m);
  }

  #pump(): void {
    // Group the clip into frames (packets sharing an RTP timestamp) and send one
    // frame every frame interval, evenly, like a camera: ffmpeg's -re output
    // that recorded the clip is bursty.
    const byFrame = (packets: readonly RtpClipPacket[]): Buffer[][] => {
      const out: Buffer[][] = [];
      let lastTs: number | undefined;
      for (const p of packets) {
        const ts = RtpPacket.deSerialize(p.data).header.timestamp;
        if (ts !== lastTs || out.length === 0) out.push([]);
        out[out.length - 1]?.push(p.data);
        lastTs = ts;
      }
      return out;
    };
    const frames = byFrame(this.#options.packets);
    const variants = [frames, ...(this.#options.variants ?? []).map(byFrame)];
    const select = this.#options.selectVariant;
    const starts = this.#options.packets.filter((p, i, all) => {
      const prev = all[i - 1];
      return prev === undefined || RtpPacket.deSerialize(prev.data).header.timestamp !== RtpPacket.deSerialize(p.data).header.timestamp;
    });
    const span = (starts[starts.length - 1]?.offsetMs ?? 0) - (starts[0]?.offsetMs ?? 0);
    const frameMs = starts.length > 1 ? span / (starts.length - 1) : 66;
    const codec = this.#options.codec === 'VP8' ? 'VP8' : 'MPEG4/ISO/AVC';
    const isKey = frames.map((f) => {
      try {
        return dePacketizeRtpPackets(codec, f.map((d) => RtpPacket.deSerialize(d))).isKeyframe;
      } catch {
        return false;
      }
    });
    const t0 = performance.now();
    const ts0 = rtpTimestampAt(Date.now());
    let k = 0;
    let shift = 0;
    let seq = 0;
    const step = () => {
      if (this.#closed) return;
      while (!this.#closed && k * frameMs <= performance.now() - t0) {
        // RTP time is this sender's wall clock at 90 kHz when the frame leaves:
        // a receiver on the same host can read true capture times from it.
        const now = Date.now();
        const ts = this.#options.rtpClock === 'counter' ? (ts0 + Math.round(k * frameMs * 90)) % 2 ** 32 : rtpTimestampAt(now);
        if (this.#keyframeRequested) {
          this.#keyframeRequested = false;
          for (let j = 0; j < frames.length; j++) {
            if (isKey[(k + shift + j) % frames.length]) {
              shift += j;
              break;
            }
          }
        }
        const v = select === undefined ? 0 : select(now);
        const source = variants[v] ?? frames;
        for (const data of source[(k + shift) % source.length] ?? []) {
          const rtp = RtpPacket.deSerialize(data);
          rtp.header.sequenceNumber = seq++ & 0xffff;
          rtp.header.timestamp = ts;
          this.#track.writeRtp(rtp);
          this.#sent++;
        }
        k++;
      }
      this.#timer = setTimeout(step, Math.max(1, t0 + k * frameMs - performance.now()));
    };
    step();
  }
}
