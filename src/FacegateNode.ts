// One running facegate node: the media worker pool, the service (REST API,
// store, state, gallery, sessions), one liveness engine per client for the
// live path and the REST frame fallback, the SDK/demo router, the HTTP server and socket.io with the
// signaling namespace. main.ts starts one from the environment; integration
// tests start the same composition with their own config. close() stops it
// in the order signaling -> media pool -> liveness engines -> service; the
// face analyzer belongs to the caller and is closed after.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from 'pino';
import { Server as SocketIoServer } from 'socket.io';
import { MediaWorkerPool } from '../media/index.ts';
import type { FaceAnalyzerLike } from '../models/types.ts';
import { attachSignaling, createSdkRouter, type SdkRouterOptions, type SignalingAttachment } from '../signaling/index.ts';
import type { HealthCheck } from './api/createApp.ts';
import { removeNodeFile, writeNodeFile } from './admin/nodeFile.ts';
import { iceServersFor } from '../turn/turnCredentials.ts';
import type { Config } from './config.ts';
import { FacegateService, type FacegateServiceOptions } from './FacegateService.ts';
import type { LivenessEngine, LivenessEngineOptions } from './engine/index.ts';
import { ClientEngines } from './bridge/ClientEngines.ts';
import { DemoSessions } from './bridge/DemoSessions.ts';
import { AffinityFrameEngine } from './cluster/AffinityFrameEngine.ts';
import { LivenessFrameEngine } from './bridge/LivenessFrameEngine.ts';
import { LiveSessionLink } from './bridge/LiveSessionLink.ts';
import { mediaHealth } from './bridge/mediaHealth.ts';
import type { NodeLink } from './cluster/NodeLink.ts';
import { RedisNodeLink } from './cluster/RedisNodeLink.ts';

export interface FacegateNodeOptions {
  readonly log: Logger;
  readonly analyzer: FaceAnalyzerLike;
  /** Extra /health components (main adds `models`); `media` is always added here. */
  readonly healthChecks?: Readonly<Record<string, HealthCheck>>;
  /** Passed to FacegateService.start (test isolation and timing knobs). */
  readonly service?: Pick<FacegateServiceOptions, 'dbSchema' | 'redisPrefix' | 'webhookBaseDelayMs' | 'galleryPersistDelayMs'>;
  /** Test-only: builds each client's liveness engine (e.g. with a fixed challenge schedule). */
  readonly createEngine?: (options: LivenessEngineOptions) => LivenessEngine;
  /** ICE consent timeout of client transports, s; 0 for werift publishers (tests). */
  readonly clientIceConsentTimeoutS?: number;
  /** Signaling heartbeat interval, ms (default 5000). */
  readonly heartbeatIntervalMs?: number;
  readonly sdkBundles?: SdkRouterOptions['bundles'];
  /** Test knobs for REST session affinity across nodes (Redis only): owner lease and forward time limit, ms. */
  readonly affinity?: { readonly leaseMs?: number; readonly forwardTimeoutMs?: number };
}

/** Upload cap per REST liveness session (the session TTL bounds it too). */
const REST_LIVENESS_MAX_FRAMES = 400;

export class FacegateNode {
  readonly config: Config;
  readonly service: FacegateService;
  readonly pool: MediaWorkerPool;
  readonly engines: ClientEngines;
  readonly signaling: SignalingAttachment;
  readonly demo: DemoSessions | null;
  /** REST uploads routed to the node that owns each liveness session; null on a single node (in-memory state). */
  readonly affinity: AffinityFrameEngine | null;
  readonly server: http.Server;
  readonly #io: SocketIoServer;
  readonly #link: NodeLink | null;
  readonly #log: Logger;
  #closing: Promise<void> | null = null;

  private constructor(f: {
    config: Config;
    service: FacegateService;
    pool: MediaWorkerPool;
    engines: ClientEngines;
    signaling: SignalingAttachment;
    demo: DemoSessions | null;
    affinity: AffinityFrameEngine | null;
    link: NodeLink | null;
    server: http.Server;
    io: SocketIoServer;
    log: Logger;
  }) {
    this.config = f.config;
    this.service = f.service;
    this.pool = f.pool;
    this.engines = f.engines;
    this.signaling = f.signaling;
    this.demo = f.demo;
    this.affinity = f.affinity;
    this.#link = f.link;
    this.server = f.server;
    this.#io = f.io;
    this.#log = f.log;
  }

  /** Starts everything and listens on config.server.host:port (0 picks a free port). */
  static async start(config: Config, o: FacegateNodeOptions): Promise<FacegateNode> {
    const log = o.log;
    const pool = await MediaWorkerPool.create({
      workers: config.media.workers,
      listenIp: config.media.listenIp,
      ...(config.media.announcedAddress !== undefined ? { announcedAddress: config.media.announcedAddress } : {}),
      rtcPort: config.media.rtcPort,
      frameRate: config.media.frameRate,
      logger: log.child({ component: 'media' }),
      ...(o.clientIceConsentTimeoutS !== undefined ? { clientIceConsentTimeoutS: o.clientIceConsentTimeoutS } : {}),
    });
    log.info({ workers: config.media.workers }, 'media workers ready');
    let service: FacegateService | undefined;
    let engines: ClientEngines | undefined;
    let affinity: AffinityFrameEngine | null = null;
    // Several nodes share Redis: a liveness session's uploads go to the node that owns its engine session.
    let nodeLink: RedisNodeLink | null = null;
    try {
      if (config.storage.redisUrl) {
        nodeLink = await RedisNodeLink.open({
          url: config.storage.redisUrl,
          ...(o.service?.redisPrefix !== undefined ? { prefix: o.service.redisPrefix } : {}),
          ...(o.affinity?.leaseMs !== undefined ? { leaseMs: o.affinity.leaseMs } : {}),
        });
      }
      service = await FacegateService.start(config, {
        ...o.service,
        log,
        analyzer: o.analyzer,
        healthChecks: { ...o.healthChecks, media: mediaHealth(pool, config.media.workers) },
        // A liveness session takes a capture phase and timed challenges: at a
        // camera-like 10 fps that is well over the per-frame engine's 60 frames.
        sessionMaxFrames: REST_LIVENESS_MAX_FRAMES,
        // REST frame uploads run through the same liveness engines as the live path.
        engine: (parts) => {
          engines = new ClientEngines({ config, analyzer: o.analyzer, ...parts, log, ...(o.createEngine ? { createEngine: o.createEngine } : {}) });
          const local = new LivenessFrameEngine(engines);
          if (nodeLink === null) return local;
          affinity = new AffinityFrameEngine({
            local,
            link: nodeLink,
            // Called only for sessions this node owns, i.e. after the service is up.
            loadClientKey: (id) => service!.tenants.loadClientKey(id),
            maxImageBytes: config.service.maxImageBytes,
            ...(o.affinity?.forwardTimeoutMs !== undefined ? { forwardTimeoutMs: o.affinity.forwardTimeoutMs } : {}),
            log: log.child({ component: 'affinity', nodeId: nodeLink.nodeId }),
          });
          return affinity;
        },
      });
    } catch (e) {
      await nodeLink?.close();
      await pool.close();
      throw e;
    }
    if (engines === undefined) throw new Error('the service did not build its session engine');
    const link = new LiveSessionLink({
      sessions: service.sessions,
      engines,
      loadClientKey: (id) => service.tenants.loadClientKey(id),
      log: log.child({ component: 'live' }),
    });
    const demo = config.server.demo ? new DemoSessions({ store: service.store, tenants: service.tenants, sessions: service.sessions }) : null;
    if (demo) log.warn('demo route POST /demo/session is on (FACEGATE_DEMO); anyone who reaches this server can start demo sessions');

    // The SDK, the demo page at / and the demo route first; everything else is the REST API.
    const root = express();
    root.disable('x-powered-by');
    root.use(
      createSdkRouter({
        ...(o.sdkBundles !== undefined ? { bundles: o.sdkBundles } : {}),
        ...(demo ? { demoSession: () => demo.next() } : {}),
      }),
    );
    root.use(service.app);
    const server = http.createServer(root);
    const io = new SocketIoServer(server, { serveClient: false, cors: { origin: false } });
    const signaling = attachSignaling(io, {
      pool,
      authorizer: link,
      iceServers: (sessionId) => iceServersFor(config.media, sessionId),
      sinkFactory: link.sinkFactory,
      logger: log,
      ...(o.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: o.heartbeatIntervalMs } : {}),
    });
    const node = new FacegateNode({ config, service, pool, engines, signaling, demo, affinity, link: nodeLink, server, io, log });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.server.port, config.server.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      await node.close();
      throw e;
    }
    // The admin CLI on this machine finds this node here (and talks to it instead of opening the store).
    service.admin.addSystemSection('media', () => ({ ...pool.toJSON(), workers: pool.toJSON().workers.map((w) => ({ ...w, pid: w.pid ?? null })) }));
    writeNodeFile(config.storage.dataDir, { url: node.loopbackUrl, pid: process.pid, nodeId: service.nodeId, startedAt: new Date().toISOString() });
    return node;
  }

  /** The bound address (the real port when config asked for 0). */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** http://host:port of the bound address. */
  get url(): string {
    const a = this.address;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  /** The URL a process on this machine reaches the node at (loopback when bound to every address). */
  get loopbackUrl(): string {
    const a = this.address;
    if (a.address === '0.0.0.0') return `http://127.0.0.1:${a.port}`;
    if (a.address === '::') return `http://[::1]:${a.port}`;
    return this.url;
  }

  /** Stops signaling, the node link, the media pool, the liveness engines and the service, in that order; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      removeNodeFile(this.config.storage.dataDir, this.service.nodeId);
      const step = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          this.#log.warn({ err, step: name }, 'error while closing');
        }
      };
      await step('signaling', () => this.signaling.close());
      await step('http', () => new Promise<void>((resolve) => {
        this.#io.close(() => resolve());
        this.server.closeAllConnections();
      }));
      // Peers see this node gone (no subscriber, no lease) before its engine sessions end.
      await step('affinity', async () => this.#link?.close());
      await step('media', () => this.pool.close());
      await step('liveness', () => this.engines.close());
      await step('service', () => this.service.close());
    })();
    return this.#closing;
  }
}
