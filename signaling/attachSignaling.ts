// Attaches facegate's signaling namespace to an existing socket.io Server.
// The composition root owns the HTTP server and the socket.io Server; this
// module owns the namespace and one SignalingConnection per socket.
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type { FrameSinkFactory } from '../media/FrameSink.ts';
import type { MediaWorkerPool } from '../media/MediaWorkerPool.ts';
import { SIGNALING_NAMESPACE, type IceServer } from '../common/protocol/signaling.ts';
import { PeerBindings } from './PeerBindings.ts';
import type { SessionAuthorizer } from './SessionAuthorizer.ts';
import { SignalingConnection } from './SignalingConnection.ts';

export interface AttachSignalingOptions {
  readonly pool: MediaWorkerPool;
  readonly authorizer: SessionAuthorizer;
  /** ICE servers for a session (see turn/turnCredentials.ts iceServersFor). */
  readonly iceServers: (sessionId: string) => IceServer[];
  /** Where each live session's frames and messages go (the liveness engine). */
  readonly sinkFactory: FrameSinkFactory;
  readonly logger: Logger;
  readonly namespace?: string;
  /** Clients send a heartbeat this often; three missed intervals end the session. Default 5000. */
  readonly heartbeatIntervalMs?: number;
  /** Which DTLS fingerprints each session id is bound to across joins; default: a fresh map of this attachment's. */
  readonly peerBindings?: PeerBindings;
}

export interface SignalingAttachment {
  readonly namespace: string;
  /** Open client connections. */
  readonly connectionCount: number;
  /** Closes every connection (their sessions end with 'server_closing') and detaches the handler. */
  close(): Promise<void>;
}

export function attachSignaling(io: Server, options: AttachSignalingOptions): SignalingAttachment {
  const name = options.namespace ?? SIGNALING_NAMESPACE;
  const nsp = io.of(name);
  const connections = new Set<SignalingConnection>();
  const logger = options.logger.child({ component: 'signaling' });
  const peerBindings = options.peerBindings ?? new PeerBindings();
  let closed = false;
  const onConnection = (socket: Parameters<Parameters<typeof nsp.on<'connection'>>[1]>[0]) => {
    if (closed) {
      socket.disconnect(true);
      return;
    }
    const c = new SignalingConnection(
      socket,
      {
        pool: options.pool,
        authorizer: options.authorizer,
        iceServers: options.iceServers,
        sinkFactory: options.sinkFactory,
        logger,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
        peerBindings,
      },
      (conn) => connections.delete(conn),
    );
    connections.add(c);
  };
  nsp.on('connection', onConnection);
  return {
    namespace: name,
    get connectionCount() {
      return connections.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      nsp.off('connection', onConnection);
      await Promise.all([...connections].map((c) => c.close('server_closing')));
    },
  };
}
