// Test fixture: a real facegate live server built from the exported pieces
// (express + http + socket.io on port 0, a one-worker MediaWorkerPool, the
// signaling namespace with HMAC session tokens, the SDK router), plus a
// socket.io-client signaling adapter for in-node publishers.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import type { FrameSinkFactory } from '../../media/FrameSink.ts';
import { MediaWorkerPool } from '../../media/MediaWorkerPool.ts';
import type { PublisherSignaling } from '../support/SyntheticPublisher.ts';
import { attachSignaling, type SignalingAttachment } from '../../signaling/attachSignaling.ts';
import { HmacSessionAuthorizer, mintSessionToken } from '../../signaling/HmacSessionAuthorizer.ts';
import { NOTIFICATION_EVENT, REQUEST_EVENT, SIGNALING_NAMESPACE, type IceServer, type SignalingNotification, type SignalingResponse } from '../../common/protocol/signaling.ts';
import { createSdkRouter } from '../../signaling/sdkRouter.ts';

export const TOKEN_SECRET = 'test-secret-test-secret-test-secret-0123';

export interface LiveServer {
  readonly url: string;
  readonly pool: MediaWorkerPool;
  readonly signaling: SignalingAttachment;
  token(options?: { sessionId?: string; ttlS?: number }): string;
  close(): Promise<void>;
}

export async function startLiveServer(options: {
  sinkFactory: FrameSinkFactory;
  heartbeatIntervalMs?: number;
  iceServers?: (sessionId: string) => IceServer[];
  frameRate?: number;
  /** 0 when the clients are werift peers, which send no ICE consent checks. */
  clientIceConsentTimeoutS?: number;
}): Promise<LiveServer> {
  const logger = pino({ level: 'silent' });
  const pool = await MediaWorkerPool.create({
    workers: 1,
    listenIp: '127.0.0.1',
    rtcPort: 0,
    frameRate: options.frameRate ?? 10,
    logger,
    pingIntervalMs: 500,
    ...(options.clientIceConsentTimeoutS !== undefined ? { clientIceConsentTimeoutS: options.clientIceConsentTimeoutS } : {}),
  });
  const app = express();
  app.use(createSdkRouter({ bundles: 'build' }));
  const server = http.createServer(app);
  const io = new Server(server, { serveClient: false });
  const signaling = attachSignaling(io, {
    pool,
    authorizer: new HmacSessionAuthorizer(TOKEN_SECRET),
    iceServers: options.iceServers ?? (() => []),
    sinkFactory: options.sinkFactory,
    logger,
    ...(options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    pool,
    signaling,
    token: (o = {}) => mintSessionToken(TOKEN_SECRET, { ...o }).token,
    async close() {
      if (closed) return;
      closed = true;
      await signaling.close();
      await pool.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** A socket.io-client speaking the signaling protocol. */
export class SignalingClient {
  readonly socket: Socket;
  readonly notifications: SignalingNotification[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on(NOTIFICATION_EVENT, (n: SignalingNotification) => this.notifications.push(n));
  }

  static async connect(url: string): Promise<SignalingClient> {
    const socket = connect(new URL(SIGNALING_NAMESPACE, url).toString(), { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return new SignalingClient(socket);
  }

  request(name: string, data: unknown): Promise<SignalingResponse> {
    return new Promise((resolve, reject) => {
      this.socket.timeout(10_000).emit(REQUEST_EVENT, { name, data }, (err: Error | null, res: SignalingResponse) => (err ? reject(err) : resolve(res)));
    });
  }

  async call<T>(name: string, data: unknown): Promise<T> {
    const r = await this.request(name, data);
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.data as T;
  }

  /** Joins and returns a PublisherSignaling bound to this connection. */
  async join(token: string): Promise<PublisherSignaling & { sessionId: string }> {
    const joined = await this.call<{ sessionId: string; routerRtpCapabilities: unknown }>('join', { token });
    return {
      sessionId: joined.sessionId,
      rtpCapabilities: joined.routerRtpCapabilities,
      createTransport: (direction) => this.call('createTransport', { direction }),
      connectTransport: async (transportId, dtlsParameters) => {
        await this.call('connectTransport', { transportId, dtlsParameters });
      },
      produce: (transportId, kind, rtpParameters) => this.call('produce', { transportId, kind, rtpParameters }),
      produceData: (transportId, sctpStreamParameters, label, protocol) =>
        this.call('produceData', { transportId, sctpStreamParameters, label, protocol }),
      consumeData: (transportId) => this.call('consumeData', { transportId }),
    };
  }

  close(): void {
    this.socket.disconnect();
  }
}
