// One client's signaling connection (a socket.io socket): validates each
// request, checks the session token on join, and drives that client's
// LiveSession. The socket closing, the client falling silent (no request for
// three heartbeat intervals) or leaving closes the session and everything it
// owns; the session ending on the server side is announced to the client.
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { FrameSinkFactory } from '../media/FrameSink.ts';
import type { LiveSession } from '../media/LiveSession.ts';
import type { MediaWorkerPool } from '../media/MediaWorkerPool.ts';
import type { SessionEndReason } from '../media/types.ts';
import { assertUnreachable, FacegateError, isFacegateError } from '../common/errors.ts';
import {
  NOTIFICATION_EVENT,
  parseRequest,
  REQUEST_EVENT,
  type IceServer,
  type ParsedRequest,
  type RequestOf,
  type SignalingNotification,
  type SignalingResponse,
} from '../common/protocol/signaling.ts';
import type { PeerBindings } from './PeerBindings.ts';
import type { JoinPreferences, SessionAuthorizer } from './SessionAuthorizer.ts';

export interface SignalingConnectionOptions {
  readonly pool: MediaWorkerPool;
  readonly authorizer: SessionAuthorizer;
  readonly iceServers: (sessionId: string) => IceServer[];
  readonly sinkFactory: FrameSinkFactory;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  /** DTLS bindings of session ids across joins (one per attachment). */
  readonly peerBindings: PeerBindings;
}

type Response<N extends ParsedRequest['name']> = RequestOf<N>['responseData'];

export class SignalingConnection {
  readonly #socket: Socket;
  readonly #options: SignalingConnectionOptions;
  readonly #log: Logger;
  readonly #onClosed: (c: SignalingConnection) => void;
  #session: LiveSession | undefined;
  #joining = false;
  #silenceTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(socket: Socket, options: SignalingConnectionOptions, onClosed: (c: SignalingConnection) => void) {
    this.#socket = socket;
    this.#options = options;
    this.#onClosed = onClosed;
    this.#log = options.logger.child({ socket: socket.id });
    socket.on(REQUEST_EVENT, (raw: unknown, ack: unknown) => this.#onRequest(raw, ack));
    socket.on('disconnect', () => void this.close('client_gone'));
    this.#armSilenceTimer();
  }

  get session(): LiveSession | undefined {
    return this.#session;
  }

  /** Closes the session (if any) and the socket. Idempotent. */
  async close(reason: SessionEndReason): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#silenceTimer !== undefined) clearTimeout(this.#silenceTimer);
    this.#silenceTimer = undefined;
    const session = this.#session;
    if (session !== undefined) await session.close(reason);
    if (this.#socket.connected) this.#socket.disconnect(true);
    this.#onClosed(this);
  }

  #armSilenceTimer(): void {
    if (this.#silenceTimer !== undefined) clearTimeout(this.#silenceTimer);
    if (this.#closed) return;
    this.#silenceTimer = setTimeout(() => {
      this.#log.info('client went silent');
      void this.close('client_silent');
    }, this.#options.heartbeatIntervalMs * 3);
  }

  #onRequest(raw: unknown, ack: unknown): void {
    if (typeof ack !== 'function') return; // Every request needs an answer channel; ignore the rest.
    const reply = ack as (r: SignalingResponse) => void;
    if (this.#closed) {
      reply({ ok: false, error: { code: 'conflict', message: 'the connection is closing' } });
      return;
    }
    this.#armSilenceTimer();
    const parsed = parseRequest(raw);
    if (!parsed.ok) {
      reply({ ok: false, error: { code: 'invalid_request', message: parsed.message } });
      return;
    }
    this.#handle(parsed.request).then(
      (data) => reply({ ok: true, data }),
      (e: unknown) => reply({ ok: false, error: this.#errorBody(e, parsed.request.name) }),
    );
  }

  #errorBody(e: unknown, name: string): { code: string; message: string } {
    if (isFacegateError(e)) return { code: e.code, message: e.message };
    // mediasoup signals bad parameters with TypeError (e.g. RTP parameters it cannot use).
    if (e instanceof TypeError) return { code: 'invalid_request', message: e.message };
    this.#log.error({ err: e, request: name }, 'signaling request failed');
    return { code: 'internal_error', message: 'internal error' };
  }

  async #handle(request: ParsedRequest): Promise<unknown> {
    if (request.name !== 'join' && request.name !== 'heartbeat' && this.#session === undefined) {
      throw new FacegateError('unauthorized', 'join first');
    }
    switch (request.name) {
      case 'join':
        return this.#join(request.data.token, {
          ...(request.data.flash !== undefined ? { flash: request.data.flash } : {}),
          ...(request.data.gestures !== undefined ? { gestures: request.data.gestures } : {}),
        });
      case 'heartbeat':
        return {} satisfies Response<'heartbeat'>;
      case 'createTransport':
        return (await this.#live().createTransport(request.data.direction)) satisfies Response<'createTransport'>;
      case 'connectTransport':
        await this.#live().connectTransport(request.data.transportId, request.data.dtlsParameters as never);
        return {} satisfies Response<'connectTransport'>;
      case 'restartIce':
        return { iceParameters: await this.#live().restartIce(request.data.transportId) } satisfies Response<'restartIce'>;
      case 'produce':
        return (await this.#live().produce(
          request.data.transportId,
          request.data.kind,
          request.data.rtpParameters as never,
        )) satisfies Response<'produce'>;
      case 'produceData':
        return (await this.#live().produceData(
          request.data.transportId,
          request.data.sctpStreamParameters as never,
          request.data.label,
          request.data.protocol,
        )) satisfies Response<'produceData'>;
      case 'consumeData':
        return (await this.#live().consumeData(request.data.transportId)) satisfies Response<'consumeData'>;
      case 'reportCapture':
        this.#live().reportCapture(request.data);
        return {} satisfies Response<'reportCapture'>;
      case 'leave':
        // Answer first, then tear down.
        setImmediate(() => void this.close('client_left'));
        return {} satisfies Response<'leave'>;
      default:
        return assertUnreachable(request);
    }
  }

  #live(): LiveSession {
    const s = this.#session;
    if (s === undefined || s.closed) throw new FacegateError('conflict', 'the session has ended', { reason: s?.endReason });
    return s;
  }

  async #join(token: string, preferences: JoinPreferences): Promise<Response<'join'>> {
    if (this.#session !== undefined || this.#joining) throw new FacegateError('conflict', 'already joined');
    this.#joining = true;
    try {
      const auth = await this.#options.authorizer.authorize(token, preferences);
      if (auth === null) throw new FacegateError('unauthorized', 'invalid or expired session token');
      if (this.#closed) throw new FacegateError('conflict', 'the connection is closing');
      const userAgent = this.#socket.handshake.headers['user-agent'];
      const bound = this.#options.peerBindings.get(auth.sessionId);
      const session = await this.#options.pool.createSession({
        sessionId: auth.sessionId,
        ...(auth.clientId !== undefined ? { clientId: auth.clientId } : {}),
        ...(typeof userAgent === 'string' ? { userAgent } : {}),
        ...(bound !== undefined ? { peerFingerprints: bound } : {}),
      });
      this.#session = session;
      // A later join with this session's token must come from the same peer.
      session.observer.once('close', () => this.#options.peerBindings.set(session.sessionId, session.boundFingerprints));
      if (this.#closed) {
        await session.close('client_gone');
        throw new FacegateError('conflict', 'the connection is closing');
      }
      // Frames go from media straight to the sink; signaling only hears the session end.
      session.setSink(this.#options.sinkFactory(session));
      session.observer.once('close', (reason) => this.#onSessionEnded(reason));
      this.#log.info({ sessionId: auth.sessionId }, 'client joined');
      return {
        sessionId: auth.sessionId,
        routerRtpCapabilities: session.rtpCapabilities,
        iceServers: this.#options.iceServers(auth.sessionId),
        heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
      };
    } finally {
      this.#joining = false;
    }
  }

  #onSessionEnded(reason: SessionEndReason): void {
    if (this.#closed) return;
    const note: SignalingNotification = { name: 'sessionClosed', data: { reason } };
    this.#socket.emit(NOTIFICATION_EVENT, note);
    // Give the notification time to leave before the socket goes.
    setTimeout(() => void this.close(reason), 200).unref();
  }
}
