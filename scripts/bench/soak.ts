// npm run soak -- [--minutes M] [--live N] [--rest-rate R] [--json]
// Soak on loopback against one real node (test/fuzz/fuzzNode.ts: mediasoup,
// the real models, PGlite in a temp dir, in-memory state), in this process:
//  - N live sessions at a time (default 2): werift publishers sending a real
//    clip from ../shared/video through signaling; each runs until its session
//    is decided or 20 s pass, then the next one starts;
//  - REST sessions at R frame uploads per second (default 4): a session, up to
//    8 uploads of a real photo (../shared/stills), then DELETE, then the next.
// After a warm-up (a fifth of the run, at most 60 s) it samples RSS, heap used
// (after a GC), open fds (/proc/self/fd) and the event-loop delay p99 of a
// window at the start and at the end, and prints both and the growth in %.
// Every minute it also records a memory timeline (RSS, heap used, external:
// PGlite's WebAssembly memory and native buffers live there) to tell a leak,
// which grows steadily, from caches that fill once and stay.
// The tenant's access token is exchanged again before it expires (a soak
// outlives JWT_TTL_S); errors over 1% of the requests exit 2, since a soak
// whose load stopped measures an idle node. Everything is bounded by the
// deadline and stopped at the end.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { encodeRtpClip, type RtpClipPacket } from '../../test/support/rtpClip.ts';
import { SyntheticPublisher } from '../../test/support/SyntheticPublisher.ts';
import { SignalingClient } from '../../test/signaling/liveServer.ts';
import { startNode } from '../../test/fuzz/fuzzNode.ts';
import { createTenant, type Tenant } from '../../test/fuzz/tenants.ts';
import { parseScriptArgs } from '../lib/args.ts';

const positive = (v: number): boolean => Number.isFinite(v) && v > 0;
const { values: args } = parseScriptArgs({
  name: 'soak',
  usage: 'usage: npm run soak -- [--minutes M] [--live N] [--rest-rate R] [--json]',
  options: {
    minutes: { type: 'number', default: 1, valid: positive, invalid: '--minutes must be a positive number' },
    live: { type: 'number', default: 2, valid: positive, invalid: '--live must be a positive number' },
    'rest-rate': { type: 'number', default: 4, valid: positive, invalid: '--rest-rate must be a positive number' },
    json: { type: 'boolean' },
  },
  allowPositionals: false,
});
const CLIP = fileURLToPath(new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url));
const PHOTO = fileURLToPath(new URL('../../../shared/stills/silentface_image_T1.jpg', import.meta.url));
const LIVE_MAX_MS = 20_000;
const FRAMES_PER_REST_SESSION = 8;

interface Figures {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly fds: number;
  readonly eventLoopP99Ms: number;
}

interface TimelinePoint {
  readonly tS: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
  readonly fds: number;
}

interface Counts {
  liveSessions: number;
  liveDecided: number;
  restSessions: number;
  restFrames: number;
  errors: number;
  lastError: string | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function point(t0: number): TimelinePoint {
  const m = process.memoryUsage();
  return { tS: Math.round((Date.now() - t0) / 1000), rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), fds: readdirSync('/proc/self/fd').length };
}

function sample(h: ReturnType<typeof monitorEventLoopDelay>): Figures {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return {
    rssMb: mb(m.rss),
    heapUsedMb: mb(m.heapUsed),
    fds: readdirSync('/proc/self/fd').length,
    eventLoopP99Ms: Math.round((h.percentile(99) / 1e6) * 10) / 10,
  };
}

async function api(url: string, method: string, token: string | null, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * The tenant's access token, exchanged again for its API key a minute before
 * it expires (tokens live JWT_TTL_S, 15 min by default: shorter than a soak).
 */
class AccessToken {
  readonly #url: string;
  readonly #apiKey: string;
  #token: string;
  #renewAt: number;
  #renewing: Promise<void> | null = null;

  constructor(url: string, tenant: Tenant) {
    this.#url = url;
    this.#apiKey = tenant.apiKey;
    this.#token = tenant.token;
    this.#renewAt = 0;
  }

  async get(): Promise<string> {
    if (Date.now() >= this.#renewAt) {
      this.#renewing ??= this.#renew().finally(() => (this.#renewing = null));
      await this.#renewing;
    }
    return this.#token;
  }

  async #renew(): Promise<void> {
    const r = await api(`${this.#url}/api/auth/client`, 'POST', null, { api_key: this.#apiKey });
    if (r.status !== 200) throw new Error(`token exchange: ${r.status} ${JSON.stringify(r.body)}`);
    this.#token = String(r.body.access_token);
    this.#renewAt = Date.now() + Math.max(30, Number(r.body.expires_in) - 60) * 1000;
  }
}

function noteError(c: Counts, what: string): void {
  c.errors++;
  c.lastError = what.slice(0, 300);
}

async function liveLoop(url: string, tenant: AccessToken, packets: readonly RtpClipPacket[], until: number, c: Counts): Promise<void> {
  for (let i = 0; Date.now() < until; i++) {
    const s = await api(`${url}/api/auth/enrollment`, 'POST', await tenant.get(), { external_user_id: `soak-live-${Date.now()}-${i}` });
    if (s.status !== 201) {
      noteError(c, `live session: ${s.status} ${JSON.stringify(s.body)}`);
      await sleep(1000);
      continue;
    }
    const token = String(s.body.session_token);
    const client = await SignalingClient.connect(url);
    const beat = setInterval(() => void client.request('heartbeat', {}).catch(() => undefined), 2000);
    let publisher: SyntheticPublisher | undefined;
    try {
      publisher = new SyntheticPublisher(await client.join(token), { codec: 'VP8', packets });
      await publisher.start();
      c.liveSessions++;
      const end = Math.min(until, Date.now() + LIVE_MAX_MS);
      while (Date.now() < end) {
        await sleep(500);
        const st = await api(`${url}/api/auth/session/${token}/status`, 'GET', null);
        if (st.body.decision !== null && st.body.decision !== undefined) {
          c.liveDecided++;
          break;
        }
      }
    } catch (e) {
      noteError(c, `live: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearInterval(beat);
      publisher?.close();
      client.socket.disconnect();
    }
    await api(`${url}/api/auth/session/${token}`, 'DELETE', null).catch(() => undefined);
  }
}

async function restLoop(url: string, tenant: AccessToken, image: string, ratePerS: number, until: number, c: Counts): Promise<void> {
  const gapMs = 1000 / ratePerS;
  let next = Date.now();
  while (Date.now() < until) {
    const kind = c.restSessions % 2 === 0 ? 'enrollment' : 'authentication';
    const s = await api(`${url}/api/auth/${kind}`, 'POST', await tenant.get(), kind === 'enrollment' ? { external_user_id: `soak-rest-${c.restSessions}` } : {});
    c.restSessions++;
    if (s.status !== 201) {
      noteError(c, `rest session: ${s.status} ${JSON.stringify(s.body)}`);
      await sleep(1000);
      continue;
    }
    const token = String(s.body.session_token);
    for (let f = 0; f < FRAMES_PER_REST_SESSION && Date.now() < until; f++) {
      next += gapMs;
      await sleep(Math.max(0, next - Date.now()));
      const r = await api(`${url}/api/auth/${kind}/process-frame`, 'POST', null, { session_token: token, image });
      c.restFrames++;
      if (r.status >= 500) noteError(c, `process-frame: ${r.status} ${JSON.stringify(r.body)}`);
      const decision = (r.body as { decision?: unknown }).decision;
      if (r.status >= 400 || (decision !== null && decision !== undefined)) break;
    }
    await api(`${url}/api/auth/session/${token}`, 'DELETE', null).catch(() => undefined);
  }
}

const growth = (a: number, b: number): number => (a === 0 ? 0 : Math.round(((b - a) / a) * 1000) / 10);

interface Report {
  minutes: number;
  live: number;
  restRate: number;
  start: Figures;
  end: Figures;
  counts: Counts;
  timeline: readonly TimelinePoint[];
}

function print(json: boolean, o: Report): void {
  const g = {
    rssPct: growth(o.start.rssMb, o.end.rssMb),
    heapUsedPct: growth(o.start.heapUsedMb, o.end.heapUsedMb),
    fdsPct: growth(o.start.fds, o.end.fds),
    eventLoopP99Pct: growth(o.start.eventLoopP99Ms, o.end.eventLoopP99Ms),
  };
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...o, growth: g })}\n`);
    return;
  }
  const row = (name: string, f: Figures) => `${name.padEnd(6)} rss ${f.rssMb} MB  heap used ${f.heapUsedMb} MB  fds ${f.fds}  event-loop p99 ${f.eventLoopP99Ms} ms`;
  process.stdout.write(`soak: ${o.minutes} min, ${o.live} live sessions at a time, ${o.restRate} REST uploads/s\n`);
  process.stdout.write(`${row('start', o.start)}\n${row('end', o.end)}\n`);
  process.stdout.write(`growth rss ${g.rssPct}%  heap used ${g.heapUsedPct}%  fds ${g.fdsPct}%  event-loop p99 ${g.eventLoopP99Pct}%\n`);
  for (const p of o.timeline) {
    process.stdout.write(`  t ${String(p.tS).padStart(5)} s  rss ${p.rssMb} MB  heap used ${p.heapUsedMb} MB  external ${p.externalMb} MB  fds ${p.fds}\n`);
  }
  const c = o.counts;
  process.stdout.write(`live sessions ${c.liveSessions} (${c.liveDecided} decided), REST sessions ${c.restSessions}, frames ${c.restFrames}, errors ${c.errors}${c.lastError ? ` (last: ${c.lastError})` : ''}\n`);
}

async function main(): Promise<void> {
  const { minutes, 'rest-rate': restRate, json } = args;
  const live = Math.round(args.live);
  const totalMs = minutes * 60_000;
  const warmupMs = Math.min(60_000, totalMs / 5);
  const windowMs = Math.min(30_000, (totalMs - warmupMs) / 4);
  const packets = await encodeRtpClip({ file: CLIP, codec: 'VP8', seconds: 4, fps: 15, width: 640, height: 480 });
  const image = `data:image/jpeg;base64,${readFileSync(PHOTO).toString('base64')}`;
  const running = await startNode({ tmpPrefix: 'facegate-soak-' });
  const counts: Counts = { liveSessions: 0, liveDecided: 0, restSessions: 0, restFrames: 0, errors: 0, lastError: null };
  const h = monitorEventLoopDelay({ resolution: 10 });
  try {
    const tenant = new AccessToken(running.url, await createTenant(running.node, 'Soak', { users: 0, sessions: 0 }));
    const t0 = Date.now();
    const until = t0 + totalMs;
    const timeline: TimelinePoint[] = [point(t0)];
    const every = setInterval(() => timeline.push(point(t0)), 60_000);
    const loops = [
      ...Array.from({ length: live }, () => liveLoop(running.url, tenant, packets, until, counts)),
      restLoop(running.url, tenant, image, restRate, until, counts),
    ].map((p) => p.catch((e: unknown) => noteError(counts, `loop stopped: ${e instanceof Error ? e.message : String(e)}`)));
    await sleep(warmupMs);
    h.enable();
    await sleep(windowMs);
    const start = sample(h);
    await sleep(Math.max(0, until - windowMs - Date.now()));
    h.reset();
    await sleep(Math.max(0, until - Date.now()));
    const end = sample(h);
    h.disable();
    clearInterval(every);
    timeline.push(point(t0));
    await Promise.all(loops);
    print(json, { minutes, live, restRate, start, end, counts, timeline });
    // A soak whose load stopped measures an idle node: errors over 1% of the requests fail it.
    const requests = counts.liveSessions + counts.restSessions + counts.restFrames;
    if (counts.errors > requests / 100) {
      process.stderr.write(`soak: ${counts.errors} errors in ${requests} requests (over 1%): the figures are not a soak's\n`);
      process.exitCode = 2;
    }
  } finally {
    await running.close();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
