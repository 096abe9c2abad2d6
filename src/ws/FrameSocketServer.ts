// The documented frame WebSocket, `/ws/auth/process-image/{session_token}/`
// (trailing slash optional), on the node's HTTP server beside express and
// socket.io: it takes the HTTP upgrades of that path only and leaves every
// other upgrade (socket.io's) to its owner. Each accepted socket is one
// FrameSocketConnection; close() ends them all and detaches.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { FRAME_SOCKET_CLOSE, frameSocketToken } from '../../common/protocol/frameSocket.ts';
import type { SubmitFrameDeps } from '../api/submitFrame.ts';
import { FrameSocketConnection } from './FrameSocketConnection.ts';

export interface FrameSocketServerOptions {
  readonly server: http.Server;
  readonly deps: SubmitFrameDeps;
  readonly log: Logger;
  /** Largest message accepted, bytes; default: a frame of the largest upload (base64) plus room for the JSON around it. */
  readonly maxPayload?: number;
}

/** A base64 data URL of `maxImageBytes`, plus the message around it. */
export function defaultMaxPayload(maxImageBytes: number): number {
  return Math.ceil((maxImageBytes * 4) / 3) + 64 * 1024;
}

export class FrameSocketServer {
  readonly #server: http.Server;
  readonly #wss: WebSocketServer;
  readonly #deps: SubmitFrameDeps;
  readonly #log: Logger;
  readonly #connections = new Set<FrameSocketConnection>();
  #closed = false;

  private constructor(o: FrameSocketServerOptions) {
    this.#server = o.server;
    this.#deps = o.deps;
    this.#log = o.log;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: o.maxPayload ?? defaultMaxPayload(o.deps.config.service.maxImageBytes),
      // Frames are JPEG already: compressing them again costs CPU for nothing.
      perMessageDeflate: false,
    });
  }

  /** Starts taking the frame socket's upgrades on `server`. */
  static attach(o: FrameSocketServerOptions): FrameSocketServer {
    const s = new FrameSocketServer(o);
    o.server.on('upgrade', s.#onUpgrade);
    return s;
  }

  get connections(): number {
    return this.#connections.size;
  }

  readonly #onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return;
    }
    const token = frameSocketToken(pathname);
    // Not ours: socket.io (or nobody) answers it.
    if (token === null) return;
    if (this.#closed) {
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, token));
  };

  #accept(ws: WebSocket, token: string): void {
    const conn = new FrameSocketConnection({ ws, token, deps: this.#deps, log: this.#log });
    if (this.#closed) return conn.close();
    this.#connections.add(conn);
    ws.on('close', () => {
      this.#connections.delete(conn);
      const stats = conn.stats;
      if (stats.received > 0 || stats.badMessages > 0) this.#log.debug({ ...stats }, 'frame socket closed');
    });
    void conn.open();
  }

  /** Ends every connection (1001) and stops taking upgrades; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.off('upgrade', this.#onUpgrade);
    for (const c of this.#connections) c.close(FRAME_SOCKET_CLOSE.goingAway, 'server shutting down');
    this.#connections.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
