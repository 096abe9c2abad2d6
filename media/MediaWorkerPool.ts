// The root of the media ownership tree: N mediasoup workers (one per core by
// default), each with one router (VP8, H264, opus) and one WebRtcServer that
// puts every WebRTC transport of that worker on a single UDP/TCP port
// (rtcPort + worker index; 0 picks free ports, for tests). Live sessions are
// placed on the least-loaded worker. A worker that dies takes its sessions
// with it (they end with reason 'media_worker_died') and is replaced.
import * as mediasoup from 'mediasoup';
import type * as ms from 'mediasoup/types';
import type { Logger } from 'pino';
import { MediaError } from './errors.ts';
import { LiveSession } from './LiveSession.ts';
import type { SessionEndReason } from './types.ts';

export interface MediaWorkerPoolOptions {
  readonly workers: number;
  /** IP the WebRtcServers listen on. */
  readonly listenIp: string;
  /** Address put in ICE candidates (public IP or hostname) when it differs from listenIp. */
  readonly announcedAddress?: string;
  /** First port; worker i listens on rtcPort + i. 0: each picks a free port. */
  readonly rtcPort: number;
  readonly frameRate: number;
  readonly logger: Logger;
  readonly ffmpegPath?: string;
  /** Data channel ping interval for sessions, ms. */
  readonly pingIntervalMs?: number;
  /** ICE consent timeout of client transports, seconds; 0 for werift clients (see LiveSession). Default 30. */
  readonly clientIceConsentTimeoutS?: number;
}

export interface CreateSessionOptions {
  readonly sessionId: string;
  readonly clientId?: string;
  /** The signaling connection's User-Agent header (encoder fingerprint). */
  readonly userAgent?: string;
  /** DTLS fingerprints an earlier live session with this id was bound to: this one's transports must present one of them. */
  readonly peerFingerprints?: readonly string[];
}

export interface MediaWorkerPoolStats {
  readonly workers: readonly { readonly index: number; readonly pid: number | undefined; readonly sessions: number }[];
  readonly sessions: number;
  readonly workersReplaced: number;
}

interface WorkerSlot {
  readonly index: number;
  worker: ms.Worker;
  router: ms.Router;
  webRtcServer: ms.WebRtcServer;
  readonly sessions: Map<string, LiveSession>;
}

export const ROUTER_MEDIA_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

export class MediaWorkerPool {
  readonly #options: MediaWorkerPoolOptions;
  readonly #log: Logger;
  readonly #slots = new Map<number, WorkerSlot>();
  readonly #replacing = new Map<number, Promise<void>>();
  readonly #sessions = new Map<string, LiveSession>();
  #workersReplaced = 0;
  #closed = false;

  private constructor(options: MediaWorkerPoolOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  static async create(options: MediaWorkerPoolOptions): Promise<MediaWorkerPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new TypeError('workers must be a positive integer');
    if (!Number.isInteger(options.rtcPort) || options.rtcPort < 0 || options.rtcPort + options.workers - 1 > 65535) {
      throw new TypeError('rtcPort must be 0 or a port with room for one port per worker');
    }
    const pool = new MediaWorkerPool(options);
    try {
      for (let i = 0; i < options.workers; i++) pool.#slots.set(i, await pool.#startSlot(i));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Live sessions now open. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  getSession(sessionId: string): LiveSession | undefined {
    return this.#sessions.get(sessionId);
  }

  /** Router RTP capabilities (the same on every worker). */
  get rtpCapabilities(): ms.RtpCapabilities {
    const slot = this.#slots.values().next().value;
    if (slot === undefined) throw new MediaError('service_unavailable', 'no media worker is running');
    return slot.router.rtpCapabilities;
  }

  /** Opens a live session on the least-loaded worker. */
  async createSession(options: CreateSessionOptions): Promise<LiveSession> {
    if (this.#closed) throw new MediaError('service_unavailable', 'the media worker pool is closed');
    if (typeof options.sessionId !== 'string' || options.sessionId.length === 0) throw new TypeError('sessionId is required');
    if (this.#sessions.has(options.sessionId)) {
      throw new MediaError('conflict', 'this session is already live', { sessionId: options.sessionId });
    }
    if (this.#slots.size === 0) await Promise.all(this.#replacing.values());
    let slot: WorkerSlot | undefined;
    for (const s of this.#slots.values()) if (slot === undefined || s.sessions.size < slot.sessions.size) slot = s;
    if (slot === undefined) throw new MediaError('service_unavailable', 'no media worker is running');
    const owner = slot;
    const session = new LiveSession({
      sessionId: options.sessionId,
      ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
      ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
      ...(options.peerFingerprints !== undefined ? { peerFingerprints: options.peerFingerprints } : {}),
      router: owner.router,
      webRtcServer: owner.webRtcServer,
      frameRate: this.#options.frameRate,
      logger: this.#log.child({ sessionId: options.sessionId, worker: owner.index }),
      ...(this.#options.ffmpegPath !== undefined ? { ffmpegPath: this.#options.ffmpegPath } : {}),
      ...(this.#options.pingIntervalMs !== undefined ? { pingIntervalMs: this.#options.pingIntervalMs } : {}),
      ...(this.#options.clientIceConsentTimeoutS !== undefined ? { clientIceConsentTimeoutS: this.#options.clientIceConsentTimeoutS } : {}),
      onClose: (s: LiveSession, _reason: SessionEndReason) => {
        owner.sessions.delete(s.sessionId);
        if (this.#sessions.get(s.sessionId) === s) this.#sessions.delete(s.sessionId);
      },
    });
    owner.sessions.set(session.sessionId, session);
    this.#sessions.set(session.sessionId, session);
    return session;
  }

  toJSON(): MediaWorkerPoolStats {
    return {
      workers: [...this.#slots.values()].map((s) => ({
        index: s.index,
        pid: s.worker.pid,
        sessions: s.sessions.size,
      })),
      sessions: this.#sessions.size,
      workersReplaced: this.#workersReplaced,
    };
  }

  /** WebRTC transports open on all routers (leak checks, diagnostics). */
  async transportCount(): Promise<number> {
    let n = 0;
    for (const s of this.#slots.values()) n += (await s.router.dump()).transportIds.length;
    return n;
  }

  /** UDP/TCP ports each worker's WebRtcServer listens on. */
  async ports(): Promise<{ index: number; udp: number[]; tcp: number[] }[]> {
    const out: { index: number; udp: number[]; tcp: number[] }[] = [];
    for (const s of this.#slots.values()) {
      const dump = await s.webRtcServer.dump();
      out.push({
        index: s.index,
        udp: dump.udpSockets.map((x) => x.port),
        tcp: dump.tcpServers.map((x) => x.port),
      });
    }
    return out;
  }

  /** Ends every session ('server_closing') and stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#sessions.values()].map((s) => s.close('server_closing')));
    await Promise.allSettled(this.#replacing.values());
    for (const s of this.#slots.values()) if (!s.worker.closed) s.worker.close();
    this.#slots.clear();
  }

  async #startSlot(index: number): Promise<WorkerSlot> {
    const worker = await mediasoup.createWorker({ logLevel: 'warn' });
    const { listenIp, announcedAddress, rtcPort } = this.#options;
    const port = rtcPort === 0 ? undefined : rtcPort + index;
    try {
      const info = (protocol: 'udp' | 'tcp'): ms.TransportListenInfo => ({
        protocol,
        ip: listenIp,
        ...(announcedAddress !== undefined ? { announcedAddress } : {}),
        ...(port !== undefined ? { port } : {}),
      });
      const webRtcServer = await worker.createWebRtcServer({ listenInfos: [info('udp'), info('tcp')] });
      const router = await worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
      const slot: WorkerSlot = { index, worker, router, webRtcServer, sessions: new Map() };
      worker.on('died', (error) => this.#onWorkerDied(slot, error));
      this.#log.info({ worker: index, pid: worker.pid }, 'media worker started');
      return slot;
    } catch (e) {
      worker.close();
      // The usual cause is a port another process holds: say which and how to fix it.
      const where = port === undefined ? `${listenIp} (RTC_PORT=0)` : `${listenIp}:${port} (RTC_PORT=${rtcPort}, worker ${index} uses RTC_PORT+${index})`;
      const why = e instanceof Error ? e.message : String(e);
      throw new MediaError(
        'service_unavailable',
        `could not start a media worker on ${where}: ${why}. If the port is in use, stop what holds it or set RTC_PORT to a free port (0 picks any)`,
        { index, listenIp, port: port ?? 0, variable: 'RTC_PORT' },
        { cause: e },
      );
    }
  }

  #onWorkerDied(slot: WorkerSlot, error: Error): void {
    this.#log.error({ worker: slot.index, pid: slot.worker.pid, err: error }, 'media worker died');
    if (this.#slots.get(slot.index) === slot) this.#slots.delete(slot.index);
    for (const s of [...slot.sessions.values()]) void s.close('media_worker_died');
    if (this.#closed) return;
    const replacing = (async () => {
      // Try a few times: the port may take a moment to be released by the dead process.
      for (let attempt = 0; attempt < 5 && !this.#closed; attempt++) {
        try {
          const fresh = await this.#startSlot(slot.index);
          if (this.#closed) {
            fresh.worker.close();
            return;
          }
          this.#slots.set(slot.index, fresh);
          this.#workersReplaced++;
          return;
        } catch (e) {
          this.#log.error({ worker: slot.index, err: e, attempt }, 'could not replace media worker');
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    })().finally(() => this.#replacing.delete(slot.index));
    this.#replacing.set(slot.index, replacing);
  }
}
