// facegate browser SDK: publishes a camera to a facegate server and relays
// the server's live prompts, progress and result. One FacegateClient is one
// session: start() opens the camera (640x480 by default, frame rate capped),
// joins with the session token over socket.io, publishes the track through a
// mediasoup-client send transport and opens the two data channels. A
// transient ICE failure is repaired once with an ICE restart; a second one
// ends the session. A colour-flash prompt also raises a 'flash' event with
// the colour schedule timed from the prompt's arrival: the page must paint it
// full-screen on time (see flashSchedule.ts).
import { Device } from 'mediasoup-client';
import type { DataConsumer, DataProducer, Transport } from 'mediasoup-client/types';
import { io, type Socket } from 'socket.io-client';
import { DATA_CHANNEL_LABEL, parseServerMessage, type ClientMessage, type ServerMessage } from '../../common/protocol/dataChannel.ts';
import {
  NOTIFICATION_EVENT,
  REQUEST_EVENT,
  SIGNALING_NAMESPACE,
  type RequestName,
  type RequestOf,
  type SignalingNotification,
  type SignalingResponse,
} from '../../common/protocol/signaling.ts';
import { captureReport, partialCaptureReport } from './captureFacts.ts';
import { flashScheduleOf, type FlashSchedule } from './flashSchedule.ts';

export type ClientState = 'idle' | 'connecting' | 'publishing' | 'reconnecting' | 'closed' | 'failed';

export type PromptMessage = Extract<ServerMessage, { type: 'prompt' }>;
export type ProgressMessage = Extract<ServerMessage, { type: 'progress' }>;
export type ResultMessage = Extract<ServerMessage, { type: 'result' }>;

export interface FacegateClientEvents {
  state: ClientState;
  prompt: PromptMessage;
  /**
   * A colour-flash challenge: paint each colour full-screen from
   * schedule.receivedAt + startMs (performance.now() clock) for durationMs, then
   * restore the page. flashColorAt(schedule, performance.now()) gives the colour.
   */
  flash: FlashSchedule;
  progress: ProgressMessage;
  result: ResultMessage;
  /** Every valid server message, pings included. */
  message: ServerMessage;
  /** The session ended; the reason comes from the server or the client. */
  closed: string;
  error: Error;
}

export interface FacegateClientOptions {
  /** Base URL of the facegate server, e.g. https://auth.example.com */
  readonly serverUrl: string;
  /** Session token from the facegate session API. */
  readonly token: string;
  /** Camera deviceId (see FacegateClient.listCameras()). Default: the browser's choice. */
  readonly deviceId?: string;
  readonly width?: number;
  readonly height?: number;
  /** Upper bound on the published frame rate. Default 15. */
  readonly maxFramerate?: number;
  /** 'relay' forces TURN. Default 'all'. */
  readonly iceTransportPolicy?: 'all' | 'relay';
  /** Preferred codec. Default: the first the browser and server share (VP8 in practice). */
  readonly codec?: 'VP8' | 'H264';
  /** An existing stream to publish instead of opening the camera. */
  readonly stream?: MediaStream;
  /** 'off': the user opted out of the colour flash; the server asks for other challenges. */
  readonly flash?: 'off';
  /**
   * 'off': the user cannot follow a flash or gesture prompts. Where the session's
   * policy has no_gesture_path 'step_up', the server asks for nothing and its best
   * verdict is step_up_required (confirm the user another way); otherwise the prompts as usual.
   */
  readonly gestures?: 'off';
  /** false: do not send the camera's facts (track label, settings, frame timing) to the server. Default: sent. */
  readonly reportCapture?: boolean;
  readonly namespace?: string;
}

export class FacegateError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FacegateError';
  }
}

type Listener<T> = (value: T) => void;

export class FacegateClient {
  readonly #options: FacegateClientOptions;
  readonly #listeners = new Map<keyof FacegateClientEvents, Set<Listener<never>>>();
  #state: ClientState = 'idle';
  #socket: Socket | undefined;
  #stream: MediaStream | undefined;
  #ownsStream = false;
  #send: Transport | undefined;
  #recv: Transport | undefined;
  #channel: DataProducer | undefined;
  #serverChannel: DataConsumer | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #iceRestarted = false;
  #sessionId: string | undefined;

  constructor(options: FacegateClientOptions) {
    if (typeof options.serverUrl !== 'string' || typeof options.token !== 'string' || options.token.length === 0) {
      throw new TypeError('serverUrl and token are required');
    }
    this.#options = options;
  }

  /** Video input devices, labelled once camera permission was granted. */
  static async listCameras(): Promise<MediaDeviceInfo[]> {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all.filter((d) => d.kind === 'videoinput');
  }

  get state(): ClientState {
    return this.#state;
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The published stream (for a local preview). */
  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  on<K extends keyof FacegateClientEvents>(event: K, listener: Listener<FacegateClientEvents[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new FacegateError('conflict', `cannot start from state ${this.#state}`);
    this.#setState('connecting');
    try {
      await this.#start();
      this.#setState('publishing');
    } catch (e) {
      await this.#teardown('start_failed');
      this.#setState('failed');
      throw e;
    }
  }

  /** Sends a message to the server on the data channel; false while it is not open. */
  send(message: ClientMessage): boolean {
    const ch = this.#channel;
    if (ch === undefined || ch.closed || ch.readyState !== 'open') return false;
    ch.send(JSON.stringify(message));
    return true;
  }

  /** Leaves the session and releases the camera. */
  async stop(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#socket?.connected) {
      await this.#request('leave', {}).catch(() => undefined);
    }
    await this.#teardown('client_left');
    this.#setState('closed');
  }

  async #start(): Promise<void> {
    const o = this.#options;
    this.#stream = o.stream ?? (await this.#openCamera());
    this.#ownsStream = o.stream === undefined;
    const track = this.#stream.getVideoTracks()[0];
    if (track === undefined) throw new FacegateError('no_camera', 'the stream has no video track');

    const socket = io(new URL(o.namespace ?? SIGNALING_NAMESPACE, o.serverUrl).toString(), {
      transports: ['websocket'],
      reconnection: false,
    });
    this.#socket = socket;
    socket.on(NOTIFICATION_EVENT, (n: SignalingNotification) => {
      if (n.name === 'sessionClosed') void this.#end(n.data.reason);
    });
    socket.on('disconnect', () => void this.#end('connection_lost'));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(new FacegateError('connection_failed', e.message)));
    });

    const joined = await this.#request('join', { token: o.token, ...(o.flash === 'off' ? { flash: 'off' as const } : {}), ...(o.gestures === 'off' ? { gestures: 'off' as const } : {}) });
    this.#sessionId = joined.sessionId;
    this.#heartbeat = setInterval(() => void this.#request('heartbeat', {}).catch(() => undefined), joined.heartbeatIntervalMs);
    const device = new Device();
    await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as never });
    if (!device.canProduce('video')) throw new FacegateError('unsupported', 'this browser cannot send video to the server');
    // One certificate for both transports: the server binds the session to
    // the DTLS fingerprint of the peer that connects first and refuses others.
    const certificate = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams).catch(() => undefined);
    const transportOptions = {
      iceServers: joined.iceServers,
      iceTransportPolicy: o.iceTransportPolicy ?? 'all',
      ...(certificate !== undefined ? { additionalSettings: { certificates: [certificate] } } : {}),
    };

    const sendInfo = await this.#request('createTransport', { direction: 'send' });
    const send = device.createSendTransport({ ...(sendInfo as object), ...transportOptions } as never);
    this.#send = send;
    this.#wireTransport(send);
    send.on('produce', ({ kind, rtpParameters }, cb, eb) => {
      this.#request('produce', { transportId: send.id, kind, rtpParameters: rtpParameters as never })
        .then((r) => cb({ id: r.producerId }))
        .catch(eb);
    });
    send.on('producedata', ({ sctpStreamParameters, label, protocol }, cb, eb) => {
      this.#request('produceData', { transportId: send.id, sctpStreamParameters: sctpStreamParameters as never, label, protocol })
        .then((r) => cb({ id: r.dataProducerId }))
        .catch(eb);
    });
    const codec = o.codec === undefined ? undefined : device.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === `video/${o.codec?.toLowerCase()}`);
    await send.produce({
      track,
      encodings: [{ maxFramerate: o.maxFramerate ?? 15, maxBitrate: 1_000_000 }],
      ...(codec !== undefined ? { codec } : {}),
      stopTracks: false,
    });
    this.#channel = await send.produceData({ ordered: true, label: DATA_CHANNEL_LABEL });
    // The camera's facts for the server's injection signals: what is known at once now, the rest once the
    // frame timing is measured (a few seconds; a session may decide before that).
    if (o.reportCapture !== false) void this.#reportCapture(track);

    const recvInfo = await this.#request('createTransport', { direction: 'recv' });
    const recv = device.createRecvTransport({ ...(recvInfo as object), ...transportOptions } as never);
    this.#recv = recv;
    this.#wireTransport(recv);
    const dc = await this.#request('consumeData', { transportId: recv.id });
    const serverChannel = await recv.consumeData({
      id: dc.id,
      dataProducerId: dc.dataProducerId,
      sctpStreamParameters: dc.sctpStreamParameters as never,
      label: dc.label,
      protocol: dc.protocol,
    });
    this.#serverChannel = serverChannel;
    serverChannel.on('message', (raw: unknown) => this.#onServerMessage(raw));
  }

  async #openCamera(): Promise<MediaStream> {
    const o = this.#options;
    const video: MediaTrackConstraints = {
      width: { ideal: o.width ?? 640 },
      height: { ideal: o.height ?? 480 },
      frameRate: { ideal: o.maxFramerate ?? 15, max: 30 },
      ...(o.deviceId !== undefined ? { deviceId: { exact: o.deviceId } } : {}),
    };
    try {
      return await navigator.mediaDevices.getUserMedia({ video, audio: false });
    } catch (e) {
      throw new FacegateError('no_camera', `could not open the camera: ${(e as Error).message}`);
    }
  }

  #wireTransport(transport: Transport): void {
    transport.on('connect', ({ dtlsParameters }, cb, eb) => {
      this.#request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as never })
        .then(() => cb())
        .catch(eb);
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' || state === 'disconnected') void this.#onIceTrouble(transport, state);
      else if (state === 'connected' && this.#state === 'reconnecting') this.#setState('publishing');
    });
  }

  async #onIceTrouble(transport: Transport, state: string): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (state === 'disconnected') {
      // Often heals by itself; only act if it turns into 'failed'.
      return;
    }
    if (this.#iceRestarted) {
      await this.#end('transport_failed');
      return;
    }
    this.#iceRestarted = true;
    this.#setState('reconnecting');
    try {
      const { iceParameters } = await this.#request('restartIce', { transportId: transport.id });
      await transport.restartIce({ iceParameters: iceParameters as never });
    } catch {
      await this.#end('transport_failed');
    }
  }

  async #reportCapture(track: MediaStreamTrack): Promise<void> {
    const live = () => this.#state === 'publishing' || this.#state === 'connecting' || this.#state === 'reconnecting';
    try {
      const measured = captureReport(track);
      measured.catch(() => undefined); // awaited below; this keeps an early return from leaving it unhandled
      if (live()) await this.#request('reportCapture', partialCaptureReport(track));
      const report = await measured;
      if (live()) await this.#request('reportCapture', report);
    } catch (e) {
      // The session goes on without it; the server scores a missing report itself.
      this.#emit('error', e instanceof Error ? e : new Error(String(e)));
    }
  }

  #onServerMessage(raw: unknown): void {
    // The server times the flash from the prompt's arrival: take it before anything else.
    const receivedAt = performance.now();
    const m = parseServerMessage(raw);
    if (m === undefined) return;
    this.#emit('message', m);
    switch (m.type) {
      case 'ping':
        this.send({ type: 'pong', id: m.id, sentAt: m.sentAt });
        break;
      case 'pong':
        break;
      case 'prompt': {
        this.send({ type: 'ack', ref: m.id });
        this.#emit('prompt', m);
        const schedule = flashScheduleOf(m, receivedAt);
        if (schedule !== undefined) this.#emit('flash', schedule);
        break;
      }
      case 'progress':
        this.#emit('progress', m);
        break;
      case 'result':
        this.#emit('result', m);
        break;
      default:
        break;
    }
  }

  #request<N extends RequestName>(name: N, data: RequestOf<N>['data']): Promise<RequestOf<N>['responseData']> {
    const socket = this.#socket;
    if (socket === undefined || !socket.connected) return Promise.reject(new FacegateError('not_connected', 'not connected'));
    return new Promise<RequestOf<N>['responseData']>((resolve, reject) => {
      socket.timeout(10_000).emit(REQUEST_EVENT, { name, data }, (err: Error | null, res: SignalingResponse) => {
        if (err) reject(new FacegateError('timeout', `${name} timed out`));
        else if (res.ok) resolve(res.data as never);
        else reject(new FacegateError(res.error.code, res.error.message));
      });
    });
  }

  async #end(reason: string): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    const failed = reason !== 'client_left';
    await this.#teardown(reason);
    this.#setState(failed ? 'failed' : 'closed');
  }

  async #teardown(reason: string): Promise<void> {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#send?.close();
    this.#recv?.close();
    this.#socket?.off('disconnect');
    this.#socket?.disconnect();
    if (this.#ownsStream) for (const t of this.#stream?.getTracks() ?? []) t.stop();
    this.#send = this.#recv = undefined;
    this.#channel = this.#serverChannel = undefined;
    this.#emit('closed', reason);
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit('state', state);
  }

  #emit<K extends keyof FacegateClientEvents>(event: K, value: FacegateClientEvents[K]): void {
    for (const l of this.#listeners.get(event) ?? []) {
      try {
        (l as Listener<FacegateClientEvents[K]>)(value);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
