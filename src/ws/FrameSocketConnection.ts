// One client's frame WebSocket for one session: validates each message,
// answers ping, cancels on cancel, and runs frames through the REST
// process-frame use case (submitFrame) one at a time. Backpressure: one
// frame analysed, at most one waiting; a newer frame replaces the waiting
// one (latest frame wins) and is counted as dropped. Bad messages get an
// `error` and the session goes on; a decided, cancelled or unknown session
// ends the connection with a close code from FRAME_SOCKET_CLOSE.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import { assertUnreachable, FacegateError, isFacegateError } from '../../common/errors.ts';
import { FRAME_SOCKET_CLOSE, FrameSocketClientMessage, type FrameSocketServerMessage } from '../../common/protocol/frameSocket.ts';
import { isTerminal } from '../../common/session.ts';
import { submitFrame, type SubmitFrameDeps } from '../api/submitFrame.ts';
import { frameMessages } from './frameMessages.ts';

/** Bytes queued to a slow reader above which per-message errors are no longer sent (a garbage flood cannot grow the buffer). */
const MAX_BUFFERED_ERRORS = 256 * 1024;

/** What a session token can look like (base64url); anything else is refused without a lookup. */
const TOKEN_RE = /^[A-Za-z0-9_-]{1,200}$/;

export interface FrameSocketStats {
  readonly received: number;
  readonly analysed: number;
  readonly dropped: number;
  readonly badMessages: number;
}

export class FrameSocketConnection {
  readonly #ws: WebSocket;
  readonly #token: string;
  readonly #deps: SubmitFrameDeps;
  readonly #log: Logger;
  #busy = false;
  #waiting: string | null = null;
  #done = false;
  #received = 0;
  #analysed = 0;
  #dropped = 0;
  #bad = 0;
  #expiry: NodeJS.Timeout | null = null;

  constructor(o: { readonly ws: WebSocket; readonly token: string; readonly deps: SubmitFrameDeps; readonly log: Logger }) {
    this.#ws = o.ws;
    this.#token = o.token;
    this.#deps = o.deps;
    this.#log = o.log;
    this.#ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    this.#ws.on('close', () => this.#end());
    // A transport error closes the socket too; nothing to answer.
    this.#ws.on('error', (err) => this.#log.debug({ err }, 'frame socket error'));
  }

  get stats(): FrameSocketStats {
    return { received: this.#received, analysed: this.#analysed, dropped: this.#dropped, badMessages: this.#bad };
  }

  /** Checks the session the token names; an unknown or finished one is refused (an error message, then the close). */
  async open(): Promise<void> {
    if (!TOKEN_RE.test(this.#token)) return this.#finish(FRAME_SOCKET_CLOSE.unknownSession, 'unknown or expired session', 'not_found', {});
    try {
      const s = await this.#deps.sessions.get(this.#token);
      if (isTerminal(s.status)) return this.#finish(FRAME_SOCKET_CLOSE.sessionFinished, `session is already ${s.status}`, 'conflict', { status: s.status });
      // An idle socket does not outlive its session: at expiry the service decides it expired, and the socket closes.
      if (!this.#done) this.#expiry = setTimeout(() => void this.#expire(), Math.max(0, s.expiresAt - Date.now()) + 50);
    } catch (e) {
      this.#fail(e);
    }
  }

  async #expire(): Promise<void> {
    if (this.#done) return;
    try {
      const s = await this.#deps.sessions.get(this.#token);
      if (!this.#done) this.#finish(FRAME_SOCKET_CLOSE.sessionFinished, `session is already ${s.status}`, 'conflict', { status: s.status });
    } catch (e) {
      if (!this.#done) this.#fail(e);
    }
  }

  /** Ends the connection from the server side (shutdown). */
  close(code: number = FRAME_SOCKET_CLOSE.goingAway, reason = 'server shutting down'): void {
    this.#end();
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(code, reason);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#done) return;
    if (isBinary) return this.#badMessage('invalid_request', 'binary messages are not accepted: send JSON text', { reason: 'binary_message' });
    let json: unknown;
    try {
      json = JSON.parse(rawText(data));
    } catch {
      return this.#badMessage('invalid_request', 'message is not JSON', { reason: 'invalid_json' });
    }
    const m = FrameSocketClientMessage.safeParse(json);
    if (!m.success) {
      const issues = m.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message }));
      return this.#badMessage('validation_error', 'not a frame socket message (process_frame, ping or cancel)', { issues });
    }
    const msg = m.data;
    switch (msg.type) {
      case 'ping':
        return this.#send({ type: 'pong', timestamp: new Date().toISOString() });
      case 'cancel':
        return void this.#cancel();
      case 'process_frame':
        return this.#enqueue(msg.frame_data);
      default:
        return assertUnreachable(msg);
    }
  }

  #enqueue(frame: string): void {
    this.#received++;
    if (this.#busy) {
      if (this.#waiting !== null) this.#dropped++;
      this.#waiting = frame;
      return;
    }
    void this.#drain(frame);
  }

  /** Analyses `first`, then whichever frame waits, until none does; each turn takes one received frame. */
  async #drain(first: string): Promise<void> {
    this.#busy = true;
    let next: string | null = first;
    try {
      while (next !== null && !this.#done) {
        await this.#analyse(next);
        next = this.#waiting;
        this.#waiting = null;
      }
    } finally {
      this.#busy = false;
    }
  }

  async #analyse(frame: string): Promise<void> {
    const t0 = performance.now();
    try {
      const r = await submitFrame(this.#deps, this.#token, frame);
      this.#analysed++;
      if (this.#done) return;
      const ctx = { token: this.#token, targetSamples: this.#deps.config.service.enrollSamples, framesDropped: this.#dropped, processingMs: performance.now() - t0 };
      for (const m of frameMessages(r, ctx)) this.#send(m);
      if (r.session.decision !== null) this.#close(FRAME_SOCKET_CLOSE.done, `session ${r.session.status}`);
    } catch (e) {
      if (!this.#done) this.#fail(e);
    }
  }

  async #cancel(): Promise<void> {
    this.#end();
    try {
      const s = await this.#deps.sessions.cancel(this.#token);
      this.#close(FRAME_SOCKET_CLOSE.done, `session ${s.status}`);
    } catch (e) {
      this.#fail(e);
    }
  }

  /** A frame or session error: the session goes on after a frame's error; an unknown or finished session ends the connection. */
  #fail(e: unknown): void {
    if (!isFacegateError(e)) {
      this.#log.error({ err: e }, 'frame socket: frame failed');
      this.#send({ type: 'error', error_code: 'internal_error', message: 'the frame could not be processed', details: {} });
      return;
    }
    const details = { ...e.details };
    if (e.code === 'not_found') return this.#finish(FRAME_SOCKET_CLOSE.unknownSession, e.message, e.code, details);
    if (e.code === 'conflict' && typeof details['status'] === 'string') return this.#finish(FRAME_SOCKET_CLOSE.sessionFinished, e.message, e.code, details);
    this.#send({ type: 'error', error_code: e.code, message: e.message, details });
  }

  #badMessage(code: 'invalid_request' | 'validation_error', message: string, details: Record<string, unknown>): void {
    this.#bad++;
    if (this.#ws.bufferedAmount > MAX_BUFFERED_ERRORS) return;
    this.#send({ type: 'error', error_code: code, message, details });
  }

  #finish(code: number, message: string, errorCode: FacegateError['code'], details: Record<string, unknown>): void {
    this.#send({ type: 'error', error_code: errorCode, message, details });
    this.#close(code, message);
  }

  #send(m: FrameSocketServerMessage): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(m));
  }

  #close(code: number, reason: string): void {
    this.#end();
    // A close reason is at most 123 bytes (ours are ASCII).
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(code, reason.slice(0, 120));
  }

  #end(): void {
    this.#done = true;
    this.#waiting = null;
    if (this.#expiry !== null) clearTimeout(this.#expiry);
    this.#expiry = null;
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
