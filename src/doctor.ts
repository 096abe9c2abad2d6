// Health checks of every native part facegate stands on, for `npm run doctor`
// and the foundation tests. Each check exercises the part for real (a worker
// spawns, a DTLS handshake completes, a model runs, a frame decodes) because
// "the module loads" has proven not to mean "it works" on these machines: the
// offline mediasoup worker, for one, used to crash on the first DTLS handshake.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

import '../media/weriftPatches.ts';

const require = createRequire(import.meta.url);

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  readonly part: string;
  readonly status: CheckStatus;
  /** What was verified (ok), or the reason and the fix (fail), or why skipped. */
  readonly detail: string;
  readonly ms: number;
}

export interface DoctorOptions {
  readonly databaseUrl?: string | undefined;
  readonly redisUrl?: string | undefined;
  readonly modelsDir?: string | undefined;
  /** Per-check time limit. */
  readonly timeoutMs?: number;
}

type CheckFn = () => Promise<string>;

class SkipCheck extends Error {}

export function ffmpegPath(): string {
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The router codecs the product uses (loaded lazily so a broken mediasoup install is a FAIL line, not a crash). */
async function productCodecs() {
  return (await import('../media/MediaWorkerPool.ts')).ROUTER_MEDIA_CODECS;
}

async function checkMediasoup(): Promise<string> {
  const mediasoup = await import('mediasoup');
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  try {
    const router = await worker.createRouter({
      mediaCodecs: await productCodecs(),
    });
    const mimes = router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [];
    for (const m of ['video/VP8', 'video/H264', 'audio/opus']) {
      if (!mimes.includes(m)) throw new Error(`router lacks ${m}`);
    }
    return `${mediasoup.version} worker pid ${worker.pid}, router with VP8, H264, opus`;
  } finally {
    worker.close();
  }
}

type Router = import('mediasoup').types.Router;
type ServerTransport = import('mediasoup').types.WebRtcTransport;
type DirectTransport = import('mediasoup').types.DirectTransport;
type ClientTransport = import('msc-node').types.Transport;
type Closers = Array<() => void>;

/** The transport parameters a client transport is created from. */
function clientParams(t: ServerTransport): never {
  return {
    id: t.id,
    iceParameters: t.iceParameters,
    iceCandidates: t.iceCandidates,
    dtlsParameters: t.dtlsParameters,
    sctpParameters: t.sctpParameters,
  } as never;
}

/**
 * Two mediasoup WebRtcTransports with SCTP and the werift (msc-node) send and
 * recv transports facing them, their DTLS parameters and data producers
 * relayed as a signaling server would.
 */
async function weriftPair(router: Router, closers: Closers) {
  const msc = await import('msc-node');
  const tOpts = {
    listenInfos: [{ protocol: 'udp' as const, ip: '127.0.0.1' }],
    enableSctp: true,
    numSctpStreams: { OS: 16, MIS: 16 },
  };
  const sSend = await router.createWebRtcTransport(tOpts);
  const sRecv = await router.createWebRtcTransport(tOpts);
  const device = new msc.Device({ codecs: { video: [] } }, { handlerName: 'werift' });
  await device.load({ routerRtpCapabilities: router.rtpCapabilities as never });
  const cSend = device.createSendTransport(clientParams(sSend));
  const cRecv = device.createRecvTransport(clientParams(sRecv));
  closers.push(() => cSend.close(), () => cRecv.close());
  for (const [c, s] of [
    [cSend, sSend],
    [cRecv, sRecv],
  ] as const) {
    c.on('connect', ({ dtlsParameters }: { dtlsParameters: never }, ok: () => void, fail: (e: Error) => void) => {
      s.connect({ dtlsParameters }).then(ok, fail);
    });
  }
  cSend.on(
    'producedata',
    (
      p: { sctpStreamParameters: never; label: string; protocol: string },
      ok: (r: { id: string }) => void,
      fail: (e: Error) => void,
    ) => {
      sSend
        .produceData({ sctpStreamParameters: p.sctpStreamParameters, label: p.label, protocol: p.protocol })
        .then((dp) => ok({ id: dp.id }), fail);
    },
  );
  return { sSend, sRecv, cSend, cRecv };
}

/** werift -> mediasoup: the message a werift data producer sends, as the server hears it. */
function upstreamMessage(cSend: ClientTransport, direct: DirectTransport): Promise<string> {
  return new Promise<string>((resolve) => {
    void (async () => {
      const dp = await cSend.produceData({ label: 'doctor-up', ordered: true });
      const dc = await direct.consumeData({ dataProducerId: dp.id });
      dc.on('message', (msg: Buffer) => resolve(msg.toString()));
      const send = () => dp.send('ping-from-werift');
      if (dp.readyState === 'open') send();
      else dp.on('open', send);
    })();
  });
}

/** mediasoup -> werift: the message a server data producer sends, as the werift consumer hears it. */
async function downstreamMessage(direct: DirectTransport, sRecv: ServerTransport, cRecv: ClientTransport, closers: Closers): Promise<string> {
  const sdp = await direct.produceData({ label: 'doctor-down' });
  const sdc = await sRecv.consumeData({ dataProducerId: sdp.id });
  return new Promise<string>((resolve) => {
    void (async () => {
      const cdc = await cRecv.consumeData({
        id: sdc.id,
        dataProducerId: sdp.id,
        sctpStreamParameters: sdc.sctpStreamParameters as never,
        label: sdc.label,
        protocol: sdc.protocol,
      });
      cdc.on('message', (m: unknown) => resolve(Buffer.isBuffer(m) ? m.toString() : String(m)));
      // The SCTP association may need a moment after open: resend until heard.
      const timer = setInterval(() => sdp.send('pong-from-mediasoup'), 100);
      closers.push(() => clearInterval(timer));
    })();
  });
}

/**
 * The worker reports DTLS state changes asynchronously: a message can arrive
 * before the 'connected' notification does.
 */
function dtlsConnected(t: ServerTransport): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = (s: string) => {
      if (s === 'connected') resolve();
      else if (s === 'failed' || s === 'closed') reject(new Error(`DTLS ${s}`));
    };
    t.on('dtlsstatechange', check);
    check(t.dtlsState);
  });
}

/**
 * A werift peer (msc-node) connects to two mediasoup WebRtcTransports on
 * 127.0.0.1: on the send transport werift is DTLS server-or-client as
 * negotiated and produces a data channel; on the recv transport (always DTLS
 * client in msc-node) it consumes the server's data producer. One message
 * crosses each way.
 */
async function checkWeriftDtls(): Promise<string> {
  const mediasoup = await import('mediasoup');
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  const closers: Closers = [() => worker.close()];
  try {
    const router = await worker.createRouter({ mediaCodecs: await productCodecs() });
    const { sSend, sRecv, cSend, cRecv } = await weriftPair(router, closers);
    const direct = await router.createDirectTransport();
    const upstream = upstreamMessage(cSend, direct);
    const downstream = downstreamMessage(direct, sRecv, cRecv, closers);
    const [up, down] = await Promise.all([upstream, downstream]);
    if (up !== 'ping-from-werift' || down !== 'pong-from-mediasoup') throw new Error(`bad payloads ${up} / ${down}`);
    await Promise.all([dtlsConnected(sSend), dtlsConnected(sRecv)]);
    return `ICE ${sSend.iceState}/${sRecv.iceState}, DTLS connected both roles, data channel message each way`;
  } finally {
    for (const c of closers.reverse()) {
      try {
        c();
      } catch {
        /* closing is best effort */
      }
    }
  }
}

/**
 * Opens the product's model registry: every model file is verified against
 * models/manifest.json (SHA-256), loaded into onnxruntime and run once.
 */
async function checkOnnx(modelsDir: string | undefined): Promise<string> {
  const ort = await import('onnxruntime-node');
  const { ModelRegistry } = await import('../models/ModelRegistry.ts');
  const registry = await ModelRegistry.open({ dir: modelsDir, warmup: true });
  try {
    const names = registry.info().map((m) => m.name);
    return `onnxruntime-node ${ort.env.versions.node ?? ''} verified (SHA-256) and ran ${names.join(', ')}`;
  } finally {
    await registry.close();
  }
}

async function checkSharp(): Promise<string> {
  const sharp = (await import('sharp')).default;
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 100, b: 50 } } })
    .jpeg()
    .toBuffer();
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== 64 || info.height !== 48 || data.length !== 64 * 48 * 3) throw new Error('decoded size mismatch');
  const r = data[0] ?? 0;
  if (Math.abs(r - 200) > 8) throw new Error(`decoded colour off: r=${r}`);
  return `sharp ${sharp.versions.sharp} decoded a 64x48 JPEG (libvips ${sharp.versions.vips})`;
}

function runFfmpeg(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exit ${code}: ${Buffer.concat(err)}`)),
    );
    p.stdin.on('error', () => undefined);
    p.stdin.end(input);
  });
}

async function checkFfmpeg(): Promise<string> {
  // Encode two VP8 frames into IVF on a pipe, then decode them from a pipe, the
  // way the live path feeds its decoder.
  const ivf = await runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', '2',
    '-c:v', 'libvpx', '-f', 'ivf', 'pipe:1',
  ]);
  if (ivf.subarray(0, 4).toString() !== 'DKIF') throw new Error('encoder did not produce IVF');
  const raw = await runFfmpeg(['-f', 'ivf', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], ivf);
  if (raw.length !== 160 * 120 * 3 * 2) throw new Error(`decoded ${raw.length} bytes, expected ${160 * 120 * 3 * 2}`);
  return `${ffmpegPath()} decoded 2 VP8 frames 160x120 from IVF on a pipe`;
}

async function checkFaiss(): Promise<string> {
  const faiss = (await import('faiss-node')).default as unknown as {
    IndexFlatIP: new (d: number) => {
      add(v: number[]): void;
      search(v: number[], k: number): { distances: number[]; labels: number[] };
      ntotal(): number;
    };
  };
  const d = 512;
  const index = new faiss.IndexFlatIP(d);
  const vecs: number[][] = [];
  for (let i = 0; i < 100; i++) {
    const v = Array.from({ length: d }, (_, j) => Math.sin(i * 31 + j * 7));
    const n = Math.hypot(...v);
    vecs.push(v.map((x) => x / n));
  }
  index.add(vecs.flat());
  const q = vecs[42];
  if (!q) throw new Error('no query');
  const r = index.search(q, 3);
  if (r.labels[0] !== 42) throw new Error(`nearest of vector 42 was ${r.labels[0]}`);
  return `faiss-node flat IP: ${index.ntotal()} x ${d}-d added, nearest neighbour found (score ${r.distances[0]?.toFixed(3)})`;
}

async function checkPostgres(url: string | undefined): Promise<string> {
  if (!url) {
    // No server configured: the embedded store is what runs, so check that.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    try {
      const r = await db.query<{ v: string }>('select version() as v');
      return `embedded PGlite (DATABASE_URL unset): ${(r.rows[0]?.v ?? '').split(' on ')[0] ?? 'answered'}`;
    } finally {
      await db.close();
    }
  }
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const r = await client.query<{ v: string }>('select version() as v');
    return (r.rows[0]?.v ?? '').split(' on ')[0] ?? 'connected';
  } finally {
    await client.end();
  }
}

async function checkRedis(url: string | undefined): Promise<string> {
  if (!url) throw new SkipCheck('REDIS_URL unset: in-memory session state in use');
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 5000, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const pong = await r.ping();
    const info = await r.info('server');
    const ver = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    return `${pong} from redis ${ver}`;
  } finally {
    r.disconnect();
  }
}

const FIXES: Record<string, string> = {
  mediasoup: 'run `bash scripts/install.sh` (builds the worker against Debian libraries)',
  'werift-dtls': 'the mediasoup worker must carry the DTLS patch: delete ~/.cache/facegate/mediasoup-worker and rerun `bash scripts/install.sh`',
  onnxruntime: 'run `bash scripts/install.sh`; check MODELS_DIR',
  sharp: 'run `bash scripts/install.sh` (sharp ships libvips in @img/sharp-linux-x64)',
  ffmpeg: 'run `bash scripts/install.sh` (@ffmpeg-installer/linux-x64 must be executable)',
  faiss: 'run `bash scripts/install.sh` (builds faiss-node against an AVX2 libfaiss built from the Debian faiss source, or Debian libfaiss-dev without AVX2)',
  postgres: 'check DATABASE_URL and that PostgreSQL accepts connections',
  redis: 'check REDIS_URL and that Redis accepts connections',
};

export function doctorChecks(opts: DoctorOptions = {}): Array<{ part: string; run: CheckFn }> {
  return [
    { part: 'mediasoup', run: checkMediasoup },
    { part: 'werift-dtls', run: checkWeriftDtls },
    { part: 'onnxruntime', run: () => checkOnnx(opts.modelsDir) },
    { part: 'sharp', run: checkSharp },
    { part: 'ffmpeg', run: checkFfmpeg },
    { part: 'faiss', run: checkFaiss },
    { part: 'postgres', run: () => checkPostgres(opts.databaseUrl) },
    { part: 'redis', run: () => checkRedis(opts.redisUrl) },
  ];
}

export async function runCheck(part: string, run: CheckFn, timeoutMs = 30_000): Promise<CheckResult> {
  const t0 = performance.now();
  try {
    const detail = await withTimeout(run(), timeoutMs, part);
    return { part, status: 'ok', detail, ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof SkipCheck) return { part, status: 'skip', detail: e.message, ms };
    const msg = e instanceof Error ? e.message : String(e);
    const first = msg.split('\n')[0] ?? msg;
    // Typed errors from our own layers already say how to fix them.
    const detail = /\bfix:/i.test(first) ? first : `${first} — fix: ${FIXES[part] ?? 'see README'}`;
    return { part, status: 'fail', detail, ms };
  }
}

export async function runDoctor(opts: DoctorOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const c of doctorChecks(opts)) results.push(await runCheck(c.part, c.run, opts.timeoutMs));
  return results;
}
