// One live session: the browser's transports, producer and data producer on
// the worker's router, the server's werift peer consuming them, the decode
// pipeline, and the data channel messaging (ping/pong RTT). It owns all of
// these and close() releases every one of them, whatever state it is in.
// The owner (MediaWorkerPool) is told through onClose and never imported.
//
// close() first flushes the server's data channel (bounded by a timeout) so
// the last messages, typically the verdict, reach a client that is still
// there: tearing the transports down at once drops whatever werift's SCTP
// and mediasoup's still hold. A client that answers pings confirms delivery
// end to end: the channel is ordered and reliable, so the pong to a ping sent
// after the last message proves that message arrived. For one that does not,
// the flush waits until mediasoup's SCTP has acknowledged everything werift
// sent (weriftSctpDrain.ts) and mediasoup has put all of it on the wire to
// the client (its DataConsumers' buffered amount is 0); the client's own
// acknowledgements are not visible from Node.
import { EventEmitter } from 'node:events';
import type * as ms from 'mediasoup/types';
import type { DataConsumer as PeerDataConsumer } from 'msc-node/lib/DataConsumer.js';
import type { DataProducer as PeerDataProducer } from 'msc-node/lib/DataProducer.js';
import { RtcpSrPacket, type RtcpPacket } from 'werift';
import type { Logger } from 'pino';
import { ntpToUnixMs } from './CaptureClock.ts';
import { DATA_CHANNEL_LABEL, parseClientMessage, ServerMessageSchema, type ClientMessage, type ServerMessage } from '../common/protocol/dataChannel.ts';
import { MediaError } from './errors.ts';
import type { FrameSink, LiveSessionEvents, LiveSessionHandle } from './FrameSink.ts';
import type { TransportFacts } from '../common/injection.ts';
import type { CaptureReport } from '../common/protocol/capture.ts';
import { InjectionProbe } from './InjectionProbe.ts';
import { ServerPeer } from './ServerPeer.ts';
import type { DecodedFrame, SessionEndReason } from './types.ts';
import { VideoPipeline, type VideoPipelineStats } from './VideoPipeline.ts';
import { waitFor, type WaitResult } from './waitFor.ts';

export type TransportDirection = 'send' | 'recv';

export interface TransportParams {
  readonly id: string;
  readonly iceParameters: ms.IceParameters;
  readonly iceCandidates: ms.IceCandidate[];
  readonly dtlsParameters: ms.DtlsParameters;
  readonly sctpParameters: ms.SctpParameters | undefined;
}

export interface DataConsumerParams {
  readonly id: string;
  readonly dataProducerId: string;
  readonly sctpStreamParameters: ms.SctpStreamParameters;
  readonly label: string;
  readonly protocol: string;
}

export interface LiveSessionOptions {
  readonly sessionId: string;
  readonly clientId?: string;
  readonly router: ms.Router;
  readonly webRtcServer: ms.WebRtcServer;
  readonly frameRate: number;
  readonly logger: Logger;
  /** Ping interval on the data channel, ms. Default 2000. */
  readonly pingIntervalMs?: number;
  readonly ffmpegPath?: string;
  /**
   * mediasoup's ICE consent timeout for the client's transports, seconds (0 = off).
   * Default 30; browsers send consent checks, werift peers (synthetic publishers) do not.
   */
  readonly clientIceConsentTimeoutS?: number;
  /** Longest close() waits for the data channel to flush, ms. Default 2000. */
  readonly flushTimeoutMs?: number;
  /** The signaling connection's User-Agent header (part of the encoder fingerprint). */
  readonly userAgent?: string;
  /** Fingerprints an earlier session with this id was bound to (see InjectionProbe): the binding carries over. */
  readonly peerFingerprints?: readonly string[];
  readonly onClose: (session: LiveSession, reason: SessionEndReason) => void;
}

export interface LiveSessionCloseOptions {
  /** Longest this close waits for the data channel to flush, ms; overrides the session's default. */
  readonly flushTimeoutMs?: number;
}

/**
 * How the close-time flush of the server's data channel ended:
 * confirmed: the client answered a ping sent after the last message;
 * drained: mediasoup acknowledged all of it and sent it all on to the client;
 * timed_out: neither before the timeout (e.g. the client vanished);
 * aborted: a later close for a departed client cut the wait short;
 * closed: the channel, a transport or the worker went away during the flush;
 * skipped: the end reason says the client is gone (no one to flush to);
 * nothing_to_flush: the server's channel never opened to a client.
 */
export type FlushOutcome = 'confirmed' | 'drained' | 'timed_out' | 'aborted' | 'closed' | 'skipped' | 'nothing_to_flush';

export interface FlushStats {
  readonly outcome: FlushOutcome;
  readonly ms: number;
}

export interface LiveSessionStats {
  readonly sessionId: string;
  readonly closed: boolean;
  readonly endReason: SessionEndReason | undefined;
  readonly transports: number;
  readonly framesDelivered: number;
  readonly framesDroppedBusySink: number;
  readonly messagesIn: number;
  readonly messagesInvalid: number;
  readonly messagesOut: number;
  readonly rttMs: number | undefined;
  readonly pipeline: VideoPipelineStats | undefined;
  readonly flush: FlushStats | undefined;
}

const MAX_TRANSPORTS = 4;
const MAX_OUTBOX = 32;
const DEFAULT_FLUSH_TIMEOUT_MS = 2000;

/** End reasons after which the client may still be listening; the others skip the flush. */
const FLUSH_REASONS: ReadonlySet<SessionEndReason> = new Set<SessionEndReason>(['closed_by_server', 'server_closing', 'decoder_failed', 'session_ended']);

function checkFlushTimeout(ms: unknown, name: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new TypeError(`${name} must be a finite number of ms >= 0`);
  return ms;
}

/** Resolves 'done' once mediasoup has sent everything queued on this DataConsumer (its buffered amount is 0). */
function consumerDrained(dc: ms.DataConsumer, deadline: number, signal: AbortSignal): Promise<WaitResult> {
  return waitFor(deadline, signal, (settle) => {
    if (dc.closed) {
      settle('closed');
      return () => undefined;
    }
    const check = () => {
      dc.getBufferedAmount().then(
        (n) => {
          if (n === 0) settle('done');
        },
        () => settle('closed'),
      );
    };
    // With the threshold at 0 the event fires when the buffer empties.
    const onLow = (amount: number) => (amount === 0 ? settle('done') : check());
    const onClose = () => settle('closed');
    dc.on('bufferedamountlow', onLow);
    dc.observer.once('close', onClose);
    dc.setBufferedAmountLowThreshold(0).then(check, () => settle('closed'));
    return () => {
      dc.off('bufferedamountlow', onLow);
      dc.observer.off('close', onClose);
    };
  });
}

export class LiveSession implements LiveSessionHandle {
  readonly sessionId: string;
  readonly clientId: string | undefined;
  readonly observer = new EventEmitter<LiveSessionEvents>();
  readonly #router: ms.Router;
  readonly #webRtcServer: ms.WebRtcServer;
  readonly #frameRate: number;
  readonly #log: Logger;
  readonly #pingIntervalMs: number;
  readonly #ffmpegPath: string | undefined;
  readonly #clientIceConsentTimeoutS: number;
  readonly #flushTimeoutMs: number;
  readonly #onClose: LiveSessionOptions['onClose'];
  readonly #transports = new Map<string, ms.WebRtcTransport>();
  /** Transports connect() was called on (mediasoup allows it once). */
  readonly #connected = new Set<string>();
  /** mediasoup's DataConsumers carrying the server channel to the client, by id. */
  readonly #clientDataConsumers = new Map<string, ms.DataConsumer>();
  readonly #outbox: string[] = [];
  /** Facts for the injection signals (capture report, RTP and frame timing, encoder, DTLS binding). */
  readonly #probe: InjectionProbe;
  #peer: Promise<ServerPeer> | undefined;
  #producer: ms.Producer | undefined;
  #pipeline: VideoPipeline | undefined;
  #serverChannel: Promise<{ dataProducerId: string; channel: PeerDataProducer }> | undefined;
  #clientChannel: PeerDataConsumer | undefined;
  #sink: FrameSink | undefined;
  #sinkBusy = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #pingId = 0;
  #rttMs: number | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #flushAbort: AbortController | undefined;
  /** The ping whose pong confirms the close-time flush. */
  #flushPing: { readonly id: number; readonly confirm: () => void } | undefined;
  #flush: FlushStats | undefined;
  #endReason: SessionEndReason | undefined;
  #framesDelivered = 0;
  #framesDroppedBusySink = 0;
  #messagesIn = 0;
  #messagesInvalid = 0;
  #messagesOut = 0;

  constructor(options: LiveSessionOptions) {
    this.sessionId = options.sessionId;
    this.clientId = options.clientId;
    this.#router = options.router;
    this.#webRtcServer = options.webRtcServer;
    this.#frameRate = options.frameRate;
    this.#log = options.logger;
    this.#pingIntervalMs = options.pingIntervalMs ?? 2000;
    this.#ffmpegPath = options.ffmpegPath;
    this.#clientIceConsentTimeoutS = options.clientIceConsentTimeoutS ?? 30;
    this.#flushTimeoutMs = checkFlushTimeout(options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS, 'flushTimeoutMs');
    this.#onClose = options.onClose;
    this.#probe = new InjectionProbe(options.userAgent, options.peerFingerprints);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get endReason(): SessionEndReason | undefined {
    return this.#endReason;
  }

  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  get rtpCapabilities(): ms.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  /** Where decoded frames and client messages go. Set before produce() to see the first frames. */
  setSink(sink: FrameSink): void {
    this.#sink = sink;
  }

  async createTransport(direction: TransportDirection): Promise<TransportParams> {
    this.#assertOpen();
    if (this.#transports.size >= MAX_TRANSPORTS) {
      throw new MediaError('conflict', `a session has at most ${MAX_TRANSPORTS} transports`);
    }
    const transport = await this.#router.createWebRtcTransport({
      webRtcServer: this.#webRtcServer,
      enableSctp: true,
      iceConsentTimeout: this.#clientIceConsentTimeoutS,
      appData: { side: 'client', direction },
    });
    if (this.#closed) {
      transport.close();
      this.#assertOpen();
    }
    this.#transports.set(transport.id, transport);
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') void this.close('transport_failed');
    });
    transport.observer.once('close', () => {
      this.#transports.delete(transport.id);
      this.#connected.delete(transport.id);
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      sctpParameters: transport.sctpParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: ms.DtlsParameters): Promise<void> {
    const transport = this.#transport(transportId);
    // mediasoup's worker answers a second connect() with a plain Error: a client error, said as one.
    if (this.#connected.has(transportId)) throw new MediaError('conflict', 'this transport is already connected', { transportId });
    const unbind = this.#probe.bindPeer(dtlsParameters);
    this.#connected.add(transportId);
    try {
      await transport.connect({ dtlsParameters });
    } catch (e) {
      unbind();
      this.#connected.delete(transportId);
      throw this.#clientInputError(e, 'sdp_invalid');
    }
  }

  async restartIce(transportId: string): Promise<ms.IceParameters> {
    return this.#transport(transportId).restartIce();
  }

  /** The browser's camera track. Starts the server peer consuming it and the decode pipeline. */
  async produce(transportId: string, kind: 'audio' | 'video', rtpParameters: ms.RtpParameters): Promise<{ producerId: string }> {
    const transport = this.#transport(transportId);
    if (kind !== 'video') throw new MediaError('invalid_request', 'only video is consumed');
    if (this.#producer !== undefined) throw new MediaError('conflict', 'this session already publishes video');
    let producer: ms.Producer;
    try {
      producer = await transport.produce({ kind, rtpParameters });
    } catch (e) {
      throw this.#clientInputError(e, 'rtp_invalid');
    }
    this.#producer = producer;
    this.#probe.onProduce(rtpParameters);
    if (this.#closed) {
      producer.close();
      this.#assertOpen();
    }
    try {
      const peer = await this.#serverPeer();
      let pipeline: VideoPipeline | undefined;
      const consumed = await peer.consumeVideo(
        producer.id,
        (rtp) => {
          this.#probe.onRtp(rtp.header.timestamp, performance.now());
          pipeline?.pushRtp(rtp);
        },
        (rtcp) => this.#onRtcp(rtcp),
      );
      this.#assertOpen();
      pipeline = new VideoPipeline({
        codec: consumed.codec,
        frameRate: this.#frameRate,
        ...(this.#ffmpegPath !== undefined ? { ffmpegPath: this.#ffmpegPath } : {}),
        onFrame: (frame) => this.#deliver(frame),
        onKeyframeRequest: (reason) => {
          this.#log.debug({ reason }, 'keyframe requested');
          consumed.requestKeyFrame();
        },
        onError: (error) => {
          this.#log.warn({ err: error }, 'decoder failed');
          void this.close('decoder_failed');
        },
      });
      this.#pipeline = pipeline;
      consumed.requestKeyFrame();
    } catch (e) {
      if (this.#closed) throw new MediaError('conflict', 'the session closed while starting', undefined, { cause: e });
      throw e;
    }
    return { producerId: producer.id };
  }

  /**
   * What mediasoup threw for parameters the client sent (an unsupported
   * codec, a payload type it refuses, DTLS parameters it cannot use): a
   * client error with mediasoup's message. Our own errors, and anything while
   * the session or its worker is closing, pass through unchanged.
   */
  #clientInputError(e: unknown, code: 'rtp_invalid' | 'sdp_invalid'): unknown {
    if (e instanceof MediaError || this.#closed || this.#router.closed) return e;
    if (!(e instanceof Error) || e.name === 'WorkerClosedError' || e.name === 'InvalidStateError') return e;
    return new MediaError(code, e.message, undefined, { cause: e });
  }

  /** The browser's data channel to the server. */
  async produceData(
    transportId: string,
    sctpStreamParameters: ms.SctpStreamParameters,
    label: string,
    protocol: string,
  ): Promise<{ dataProducerId: string }> {
    const transport = this.#transport(transportId);
    if (this.#clientChannel !== undefined) throw new MediaError('conflict', 'this session already has a client data channel');
    const dataProducer = await transport.produceData({ sctpStreamParameters, label, protocol });
    const peer = await this.#serverPeer();
    const channel = await peer.consumeData(dataProducer.id);
    this.#assertOpen();
    this.#clientChannel = channel;
    channel.on('message', (raw: unknown) => this.#onClientMessage(raw));
    return { dataProducerId: dataProducer.id };
  }

  /** The browser consumes the server's data channel through one of its recv transports. */
  async consumeData(transportId: string): Promise<DataConsumerParams> {
    const transport = this.#transport(transportId);
    this.#serverChannel ??= this.#openServerChannel();
    const { dataProducerId } = await this.#serverChannel;
    const dc = await transport.consumeData({ dataProducerId });
    if (this.#closed) {
      dc.close();
      this.#assertOpen();
    }
    this.#clientDataConsumers.set(dc.id, dc);
    dc.observer.once('close', () => this.#clientDataConsumers.delete(dc.id));
    return {
      id: dc.id,
      dataProducerId,
      sctpStreamParameters: dc.sctpStreamParameters ?? { streamId: 0, ordered: true },
      label: dc.label,
      protocol: dc.protocol,
    };
  }

  /** The SDK's facts about its camera (signaling request reportCapture, validated there); one per session. */
  reportCapture(report: CaptureReport): void {
    this.#assertOpen();
    this.#probe.reportCapture(report);
  }

  /** The DTLS fingerprints this session is bound to (empty before its first transport connected). */
  get boundFingerprints(): readonly string[] {
    return this.#probe.boundFingerprints;
  }

  /** What the session measured for the injection signals so far. */
  transportFacts(): TransportFacts {
    return this.#probe.toJSON();
  }

  /** Sends a message to the client; a message the client would reject is a TypeError here. */
  send(message: ServerMessage): boolean {
    const checked = ServerMessageSchema.safeParse(message);
    if (!checked.success) {
      throw new TypeError(`invalid server message: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    if (this.#closed) return false;
    const text = JSON.stringify(checked.data);
    const open = this.#openServerChannelNow();
    if (open === undefined) {
      if (this.#outbox.length >= MAX_OUTBOX) return false;
      this.#outbox.push(text);
      return true;
    }
    open.send(text);
    this.#messagesOut++;
    return true;
  }

  /**
   * Ends the session: flushes the server's data channel to a client that may
   * still be listening (see FLUSH_REASONS), bounded by the flush timeout, then
   * releases everything. send() returns false from the moment this is called.
   * Idempotent: a second call returns the first one's promise; if its reason
   * says the client is gone, it also cuts a flush in progress short.
   */
  async close(reason: SessionEndReason = 'closed_by_server', options: LiveSessionCloseOptions = {}): Promise<void> {
    const flushTimeoutMs = checkFlushTimeout(options.flushTimeoutMs ?? this.#flushTimeoutMs, 'flushTimeoutMs');
    if (this.#closing !== undefined) {
      if (!FLUSH_REASONS.has(reason)) this.#flushAbort?.abort();
      return this.#closing;
    }
    this.#closed = true;
    this.#endReason = reason;
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
    this.#closing = this.#shutdown(reason, flushTimeoutMs);
    return this.#closing;
  }

  async #shutdown(reason: SessionEndReason, flushTimeoutMs: number): Promise<void> {
    const started = performance.now();
    let outcome: FlushOutcome;
    try {
      outcome = await this.#flushServerChannel(reason, flushTimeoutMs);
    } catch (e) {
      this.#log.warn({ err: e }, 'data channel flush failed');
      outcome = 'closed';
    }
    this.#flush = { outcome, ms: performance.now() - started };
    this.#log.info({ reason, flush: outcome, flushMs: Math.round(this.#flush.ms), unsent: this.#outbox.length }, 'live session closed');
    this.#outbox.length = 0;
    const pipeline = this.#pipeline;
    this.#pipeline = undefined;
    if (!this.#producer?.closed) this.#producer?.close();
    for (const t of [...this.#transports.values()]) if (!t.closed) t.close();
    this.#transports.clear();
    const peer = this.#peer;
    if (peer !== undefined) {
      await peer.then((p) => p.close(), () => undefined);
    }
    await pipeline?.close();
    try {
      this.#sink?.onEnd?.(reason);
    } catch (e) {
      this.#log.warn({ err: e }, 'frame sink onEnd threw');
    }
    this.#announce('close', () => this.observer.emit('close', reason));
    this.#onClose(this, reason);
  }

  /** The ICE tuple each client transport settled on (which address the client reached us from). */
  selectedTuples(): { transportId: string; remoteIp: string | undefined; remotePort: number | undefined; protocol: string }[] {
    return [...this.#transports.values()].flatMap((t) => {
      const tuple = t.iceSelectedTuple;
      return tuple === undefined
        ? []
        : [{ transportId: t.id, remoteIp: tuple.remoteIp, remotePort: tuple.remotePort, protocol: tuple.protocol }];
    });
  }

  toJSON(): LiveSessionStats {
    return {
      sessionId: this.sessionId,
      closed: this.#closed,
      endReason: this.#endReason,
      transports: this.#transports.size,
      framesDelivered: this.#framesDelivered,
      framesDroppedBusySink: this.#framesDroppedBusySink,
      messagesIn: this.#messagesIn,
      messagesInvalid: this.#messagesInvalid,
      messagesOut: this.#messagesOut,
      rttMs: this.#rttMs,
      pipeline: this.#pipeline?.toJSON(),
      flush: this.#flush,
    };
  }

  async #flushServerChannel(reason: SessionEndReason, timeoutMs: number): Promise<FlushOutcome> {
    if (!FLUSH_REASONS.has(reason)) return 'skipped';
    const channel = this.#openServerChannelNow();
    const consumers = [...this.#clientDataConsumers.values()].filter((dc) => !dc.closed);
    const peer = this.#peer;
    if (channel === undefined || consumers.length === 0 || peer === undefined) return 'nothing_to_flush';
    const deadline = Date.now() + timeoutMs;
    const abort = new AbortController();
    this.#flushAbort = abort;
    try {
      if (this.#rttMs !== undefined) return toOutcome(await this.#confirmByPing(channel, consumers, deadline, abort.signal), 'confirmed');
      const acked = await (await peer).flushData(deadline, abort.signal);
      if (acked !== 'done') return toOutcome(acked, 'drained');
      const sent = await Promise.all(consumers.map((dc) => consumerDrained(dc, deadline, abort.signal)));
      return toOutcome(sent.find((r) => r !== 'done') ?? 'done', 'drained');
    } finally {
      this.#flushAbort = undefined;
    }
  }

  /** Sends a ping behind everything already sent and waits for its pong (the client answered pings before). */
  #confirmByPing(channel: PeerDataProducer, consumers: readonly ms.DataConsumer[], deadline: number, signal: AbortSignal): Promise<WaitResult> {
    const id = this.#pingId++;
    channel.send(JSON.stringify({ type: 'ping', id, sentAt: Date.now() } satisfies ServerMessage));
    this.#messagesOut++;
    return waitFor(deadline, signal, (settle) => {
      this.#flushPing = { id, confirm: () => settle('done') };
      let open = consumers.length;
      const onClose = () => {
        if (--open === 0) settle('closed');
      };
      for (const dc of consumers) dc.observer.once('close', onClose);
      return () => {
        this.#flushPing = undefined;
        for (const dc of consumers) dc.observer.off('close', onClose);
      };
    });
  }

  #transport(transportId: string): ms.WebRtcTransport {
    this.#assertOpen();
    const t = this.#transports.get(transportId);
    if (t === undefined) throw new MediaError('invalid_request', 'unknown transport', { transportId });
    return t;
  }

  #assertOpen(): void {
    if (this.#closed) throw new MediaError('conflict', 'the session is closed', { reason: this.#endReason });
  }

  #serverPeer(): Promise<ServerPeer> {
    this.#peer ??= ServerPeer.create({ router: this.#router, webRtcServer: this.#webRtcServer }).then((p) => {
      if (this.#closed) p.close();
      return p;
    });
    return this.#peer;
  }

  async #openServerChannel(): Promise<{ dataProducerId: string; channel: PeerDataProducer }> {
    const peer = await this.#serverPeer();
    const result = await peer.produceData(DATA_CHANNEL_LABEL);
    const onOpen = () => this.#onServerChannelOpen(result.channel);
    // The channel can already be open when produceData() resolves.
    if (result.channel.readyState === 'open') queueMicrotask(onOpen);
    else result.channel.once('open', onOpen);
    return result;
  }

  #openServerChannelNow(): PeerDataProducer | undefined {
    const ch = this.#serverChannelValue;
    return ch !== undefined && ch.readyState === 'open' && !ch.closed ? ch : undefined;
  }

  #serverChannelValue: PeerDataProducer | undefined;

  #onServerChannelOpen(channel: PeerDataProducer): void {
    if (this.#closed || this.#serverChannelValue !== undefined) return;
    this.#serverChannelValue = channel;
    for (const text of this.#outbox.splice(0)) {
      channel.send(text);
      this.#messagesOut++;
    }
    this.#sendPing();
    this.#pingTimer = setInterval(() => this.#sendPing(), this.#pingIntervalMs);
    this.#pingTimer.unref();
  }

  #sendPing(): void {
    this.send({ type: 'ping', id: this.#pingId++, sentAt: Date.now() });
  }

  #onClientMessage(raw: unknown): void {
    const message: ClientMessage | undefined = parseClientMessage(raw);
    if (this.#closed) {
      if (message?.type === 'pong' && message.id === this.#flushPing?.id) this.#flushPing.confirm();
      return;
    }
    this.#messagesIn++;
    if (message === undefined) {
      this.#messagesInvalid++;
      return;
    }
    switch (message.type) {
      case 'pong':
        if (message.sentAt <= Date.now()) this.#setRtt(Date.now() - message.sentAt);
        break;
      case 'ping':
        this.send({ type: 'pong', id: message.id, sentAt: message.sentAt });
        break;
      case 'ack':
        break;
      default:
        break;
    }
    try {
      this.#sink?.onMessage?.(message);
    } catch (e) {
      this.#log.warn({ err: e }, 'frame sink onMessage threw');
    }
  }

  #setRtt(rttMs: number): void {
    if (rttMs === this.#rttMs) return;
    this.#rttMs = rttMs;
    this.#announce('rtt', () => this.observer.emit('rtt', rttMs));
  }

  /** Emits on the observer; a listener that throws is logged, never the session's failure. */
  #announce(event: keyof LiveSessionEvents, emit: () => boolean): void {
    try {
      emit();
    } catch (e) {
      this.#log.warn({ err: e, event }, 'live session observer threw');
    }
  }

  #onRtcp(packet: RtcpPacket): void {
    if (packet instanceof RtcpSrPacket) {
      this.#pipeline?.pushSenderReport(ntpToUnixMs(packet.senderInfo.ntpTimestamp), packet.senderInfo.rtpTimestamp);
    }
  }

  #deliver(frame: DecodedFrame): void {
    this.#probe.onDecodedFrame(frame);
    const sink = this.#sink;
    if (sink === undefined || this.#closed) return;
    if (this.#sinkBusy) {
      this.#framesDroppedBusySink++;
      return;
    }
    let r: void | Promise<void>;
    try {
      r = sink.onFrame(frame);
    } catch (e) {
      this.#log.warn({ err: e }, 'frame sink onFrame threw');
      return;
    }
    this.#framesDelivered++;
    if (r instanceof Promise) {
      this.#sinkBusy = true;
      r.catch((e: unknown) => this.#log.warn({ err: e }, 'frame sink onFrame rejected')).finally(() => {
        this.#sinkBusy = false;
      });
    }
  }
}

function toOutcome(r: WaitResult, done: 'confirmed' | 'drained'): FlushOutcome {
  return r === 'done' ? done : r;
}
