// One running facegate node, opened in order onto one CloseStack and closed
// in reverse: the service core (store, state, gallery, webhooks, ...), one
// liveness engine per client (the live path and the REST frame fallback),
// the media worker pool, the node link to other nodes (Redis only), the
// sessions and REST API over those engines, the SDK/demo router, the HTTP
// server and socket.io, the signaling namespace. Closing therefore runs
// signaling -> HTTP -> gallery replication -> node link -> media pool ->
// liveness engines -> webhooks -> audit -> gallery -> state -> store; the
// face analyzer belongs to the caller and is closed after. main.ts starts
// one from the environment; integration tests start the same composition
// with their own config and `testing` knobs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from 'pino';
import { Server as SocketIoServer } from 'socket.io';
import { MediaWorkerPool } from '../media/index.ts';
import type { FaceAnalyzerLike } from '../models/types.ts';
import { attachSignaling, createSdkRouter, type SdkRouterOptions, type SignalingAttachment } from '../signaling/index.ts';
import { advertiseNode } from './admin/nodeFile.ts';
import type { HealthCheck } from './api/createApp.ts';
import { errorHandler, onClientError } from './api/httpErrors.ts';
import { trustProxySetting, webHygiene } from './api/webHygiene.ts';
import { iceServersFor } from '../turn/turnCredentials.ts';
import { ClientEngines } from './bridge/ClientEngines.ts';
import { DemoSessions } from './bridge/DemoSessions.ts';
import { LivenessFrameEngine } from './bridge/LivenessFrameEngine.ts';
import { LiveSessionLink } from './bridge/LiveSessionLink.ts';
import { mediaHealth } from './bridge/mediaHealth.ts';
import { injectionOptionsFromConfig } from './bridge/sessionOptions.ts';
import { CloseStack } from './CloseStack.ts';
import { AffinityFrameEngine } from './cluster/AffinityFrameEngine.ts';
import { RedisNodeLink } from './cluster/RedisNodeLink.ts';
import type { Config } from './config.ts';
import type { EngineFrameStats, LivenessEngine, LivenessEngineOptions } from './engine/index.ts';
import { FrameSocketServer } from './ws/FrameSocketServer.ts';
import { FacegateService, openServiceCore, type ServiceCore, type ServiceTesting } from './FacegateService.ts';

/** Knobs only tests set (the service's, plus the node's timings and engines). */
export interface NodeTesting extends ServiceTesting {
  /** Builds each client's liveness engine (e.g. with a fixed challenge schedule). */
  readonly createEngine?: (options: LivenessEngineOptions) => LivenessEngine;
  /** ICE consent timeout of client transports, s; 0 for werift publishers. */
  readonly clientIceConsentTimeoutS?: number;
  /** Signaling heartbeat interval, ms (default 5000). */
  readonly heartbeatIntervalMs?: number;
  /** 'build': the SDK bundles are built afresh even where a prebuilt one exists. */
  readonly sdkBundles?: SdkRouterOptions['bundles'];
  /** Told every engine frame beside the metrics (bench:capacity reads per-session rates and latency). */
  readonly onEngineFrame?: (stats: EngineFrameStats) => void;
  /** REST session affinity across nodes (Redis only): owner lease and forward time limit, ms. */
  readonly affinity?: { readonly leaseMs?: number; readonly forwardTimeoutMs?: number };
}

export interface FacegateNodeOptions {
  readonly log: Logger;
  readonly analyzer: FaceAnalyzerLike;
  /** Extra /health components (main adds `models`); `media` is always added here. */
  readonly healthChecks?: Readonly<Record<string, HealthCheck>>;
  readonly testing?: NodeTesting;
}

function withFrameObserver(sink: (s: EngineFrameStats) => void, observer: ((s: EngineFrameStats) => void) | undefined): (s: EngineFrameStats) => void {
  if (observer === undefined) return sink;
  return (s) => {
    sink(s);
    observer(s);
  };
}

/** Upload cap per REST liveness session (the session TTL bounds it too). */
const REST_LIVENESS_MAX_FRAMES = 400;

async function openMediaPool(config: Config, log: Logger, t: NodeTesting, stack: CloseStack): Promise<MediaWorkerPool> {
  const pool = await MediaWorkerPool.create({
    workers: config.media.workers,
    listenIp: config.media.listenIp,
    ...(config.media.announcedAddress !== undefined ? { announcedAddress: config.media.announcedAddress } : {}),
    rtcPort: config.media.rtcPort,
    frameRate: config.media.frameRate,
    logger: log.child({ component: 'media' }),
    ...(t.clientIceConsentTimeoutS !== undefined ? { clientIceConsentTimeoutS: t.clientIceConsentTimeoutS } : {}),
  });
  stack.push('media', () => pool.close());
  log.info({ workers: config.media.workers }, 'media workers ready');
  return pool;
}

/**
 * The REST frame engine: the client's liveness engine, or, when several
 * nodes share Redis, the engine of the node that owns the session (uploads
 * are forwarded over the node link, opened onto `stack`).
 */
async function openFrameEngine(core: ServiceCore, engines: ClientEngines, t: NodeTesting, stack: CloseStack) {
  const { config, log } = core;
  const local = new LivenessFrameEngine(engines);
  if (!config.storage.redisUrl) return { engine: local, affinity: null };
  const link = await RedisNodeLink.open({
    url: config.storage.redisUrl,
    ...(t.redisPrefix !== undefined ? { prefix: t.redisPrefix } : {}),
    ...(t.affinity?.leaseMs !== undefined ? { leaseMs: t.affinity.leaseMs } : {}),
  });
  // Peers see this node gone (no subscriber, no lease) before its engine sessions end.
  stack.push('affinity', () => link.close());
  const affinity = new AffinityFrameEngine({
    local,
    link,
    loadClientKey: (id) => core.tenants.loadClientKey(id),
    maxImageBytes: config.service.maxImageBytes,
    ...(t.affinity?.forwardTimeoutMs !== undefined ? { forwardTimeoutMs: t.affinity.forwardTimeoutMs } : {}),
    log: log.child({ component: 'affinity', nodeId: link.nodeId }),
  });
  return { engine: affinity, affinity };
}

/** The HTTP server (the SDK, the demo page at / and the demo route first; everything else is the REST API) and socket.io on it. */
function openHttp(service: FacegateService, demo: DemoSessions | null, t: NodeTesting, stack: CloseStack) {
  const root = express();
  root.disable('x-powered-by');
  const { server: cfg } = service.config;
  root.use(webHygiene({ corsAllowedOrigins: cfg.corsAllowedOrigins }));
  root.set('trust proxy', trustProxySetting(cfg.trustProxy));
  root.use(
    createSdkRouter({
      ...(t.sdkBundles !== undefined ? { bundles: t.sdkBundles } : {}),
      ...(demo ? { demoSession: (ip: string, visitor: string | undefined) => demo.next(ip, visitor) } : {}),
    }),
  );
  root.use(service.app);
  // Errors of the routes before the REST API (the demo route) in the same error shape.
  root.use(errorHandler(service.log));
  const server = http.createServer(root);
  server.on('clientError', onClientError);
  // The socket.io polling transport follows the same CORS allow-list as the API.
  const io = new SocketIoServer(server, { serveClient: false, cors: cfg.corsAllowedOrigins.length > 0 ? { origin: [...cfg.corsAllowedOrigins] } : { origin: false } });
  stack.push('http', () => new Promise<void>((resolve) => {
    io.close(() => resolve());
    server.closeAllConnections();
  }));
  return { server, io };
}

function listen(server: http.Server, config: Config): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

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
  readonly #stack: CloseStack;

  private constructor(f: Omit<FacegateNode, 'address' | 'url' | 'close'> & { readonly stack: CloseStack }) {
    this.config = f.config;
    this.service = f.service;
    this.pool = f.pool;
    this.engines = f.engines;
    this.signaling = f.signaling;
    this.demo = f.demo;
    this.affinity = f.affinity;
    this.server = f.server;
    this.#stack = f.stack;
  }

  /** Starts everything and listens on config.server.host:port (0 picks a free port); a failed start closes what it opened. */
  static async start(config: Config, o: FacegateNodeOptions): Promise<FacegateNode> {
    const { log } = o;
    const t = o.testing ?? {};
    const stack = new CloseStack((f) => log.warn({ err: f.error, step: f.name }, 'error while closing'));
    try {
      const core = await openServiceCore(config, { log, testing: t }, stack);
      const engines = new ClientEngines({
        config, analyzer: o.analyzer, templates: core.templates, log,
        onFrame: withFrameObserver(core.metrics.engineFrameSink(), t.onEngineFrame),
        ...(t.createEngine ? { createEngine: t.createEngine } : {}),
      });
      stack.push('liveness', () => engines.close());
      const pool = await openMediaPool(config, log, t, stack);
      const { engine, affinity } = await openFrameEngine(core, engines, t, stack);
      const service = FacegateService.assemble(core, {
        engine,
        // A liveness session takes a capture phase and timed challenges: at a
        // camera-like 10 fps that is well over the per-frame engine's 60 frames.
        sessionMaxFrames: REST_LIVENESS_MAX_FRAMES,
        healthChecks: { ...o.healthChecks, media: mediaHealth(pool, config.media.workers) },
      }, stack);
      const link = new LiveSessionLink({
        sessions: service.sessions,
        engines,
        loadClientKey: (id) => core.tenants.loadClientKey(id),
        log: log.child({ component: 'live' }),
        allowFlashOptOut: config.liveness.flashOptOut,
        injection: injectionOptionsFromConfig(config),
      });
      const demo = config.server.demo ? new DemoSessions({ store: core.store, tenants: core.tenants, sessions: service.sessions }) : null;
      if (demo) log.warn('demo route POST /demo/session is on (FACEGATE_DEMO); anyone who reaches this server can start demo sessions');
      const { server, io } = openHttp(service, demo, t, stack);
      const frameSocket = FrameSocketServer.attach({ server, deps: service, log: log.child({ component: 'frame-socket' }) });
      stack.push('frame socket', () => frameSocket.close());
      const signaling = attachSignaling(io, {
        pool,
        authorizer: link,
        iceServers: (sessionId) => iceServersFor(config.media, sessionId).map((s) => ({ ...s, urls: [...s.urls] })),
        sinkFactory: link.sinkFactory,
        logger: log,
        ...(t.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: t.heartbeatIntervalMs } : {}),
      });
      stack.push('signaling', () => signaling.close());
      await listen(server, config);
      service.admin.addSystemSection('media', () => pool.toJSON());
      // The admin CLI on this machine finds the node here and talks to it instead of opening the store; removed first at stop.
      stack.push('node file', advertiseNode(config.storage.dataDir, server.address() as AddressInfo, core.nodeId));
      return new FacegateNode({ config, service, pool, engines, signaling, demo, affinity, server, stack });
    } catch (e) {
      await stack.closeAll();
      throw e;
    }
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

  /** Closes everything it opened, in reverse order (see the header); idempotent, carries on past a failing step. */
  async close(): Promise<void> {
    await this.#stack.closeAll();
  }
}
