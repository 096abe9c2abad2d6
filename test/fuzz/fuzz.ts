// npm run test:fuzz: fast-check properties and a bounded fuzzer against one
// real node on loopback (fuzzNode.ts): every REST route the routers list,
// frame uploads, tenant isolation, the socket.io signaling messages and the
// data-channel messages. Between suites the node must still answer /health.
// Prints every failure with its shrunk counter-example, then exactly
// `fuzz: N cases, F failures` as the last line; exits 1 on any failure.
// FUZZ_SEED=n replays a run; FUZZ_SCALE=x scales every case count (default 1:
// about 12,000 cases, 2-4 minutes on 2 cores).
import path from 'node:path';
import { createSdkRouter } from '../../signaling/index.ts';
import { encodeRtpClip } from '../support/rtpClip.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';
import { SignalingClient } from '../signaling/liveServer.ts';
import { fuzzDataChannelLive, fuzzDataChannelParsers } from './dataChannelSuite.ts';
import { fuzzFrames } from './frameSuite.ts';
import { startNode, type RunningNode } from './fuzzNode.ts';
import { FuzzRun } from './FuzzRun.ts';
import { documentedErrorCodes, HttpOracle } from './httpOracle.ts';
import { changedTables } from './storeDigest.ts';
import { loadImages } from './images.ts';
import { tenantIsolation } from './isolationSuite.ts';
import { corpus, fuzzRoutes, type RestContext } from './restSuite.ts';
import { listRoutes, type HasStack } from './routes.ts';
import { fuzzSignaling, signalingCorpus } from './signalingSuite.ts';
import { createTenant } from './tenants.ts';

const VIDEO = new URL('../../../shared/video/', import.meta.url).pathname;
const scale = Number(process.env.FUZZ_SCALE ?? 1);
const n = (x: number): number => Math.max(1, Math.round(x * scale));
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;

async function newSessionToken(ctx: RestContext): Promise<string> {
  const res = await fetch(`${ctx.node.url}/api/auth/enrollment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.a.token}` },
    body: JSON.stringify({ external_user_id: `a-live-${Date.now()}` }),
  });
  const s = (await res.json()) as { session_token?: unknown };
  ctx.oracle.invalidate();
  if (res.status !== 201 || typeof s.session_token !== 'string') throw new Error(`could not open a session: ${res.status} ${JSON.stringify(s)}`);
  return s.session_token;
}

/** The routes of the routers the node serves: the REST app and the SDK/demo router mounted before it. */
function servedRoutes(running: RunningNode) {
  const app = running.node.service.app as unknown as { router: HasStack };
  // FacegateNode mounts its own instance of this router; its routes do not depend on the options beyond the demo route.
  const sdk = createSdkRouter({ demoSession: async () => ({ token: '', subject: '', visitor: '', visitorExpires: new Date(0) }) }) as unknown as HasStack;
  return listRoutes([sdk, app.router]);
}

async function liveDataChannel(ctx: RestContext): Promise<void> {
  const packets = await encodeRtpClip({ file: path.join(VIDEO, 'genuine', 'liveportrait_d0.mp4'), codec: 'VP8', seconds: 2, fps: 15, width: 640, height: 480 });
  const client = await SignalingClient.connect(ctx.node.url);
  const publisher = new SyntheticPublisher(await client.join(await newSessionToken(ctx)), { codec: 'VP8', packets });
  const beat = setInterval(() => void client.request('heartbeat', {}).catch(() => undefined), 2000);
  try {
    await publisher.start();
    await fuzzDataChannelLive(ctx.run, publisher, n(300));
  } finally {
    clearInterval(beat);
    publisher.close();
    client.socket.disconnect();
  }
}

async function suites(ctx: RestContext): Promise<void> {
  const steps: [string, () => Promise<void>][] = [
    ['REST corpus', () => corpus(ctx)],
    ['REST routes, hostile transport', () => fuzzRoutes(ctx, n(150), 'hostile')],
    ['REST routes, well-formed transport', () => fuzzRoutes(ctx, n(200), 'well-formed')],
    ['frame uploads', () => fuzzFrames(ctx, n(500))],
    ['tenant isolation', () => tenantIsolation(ctx, n(300))],
    ['signaling corpus', () => signalingCorpus(ctx.run, { url: ctx.node.url, newSessionToken: () => newSessionToken(ctx) })],
    ['signaling', () => fuzzSignaling(ctx.run, { url: ctx.node.url, newSessionToken: () => newSessionToken(ctx) }, { unjoined: n(1500), joinedPerRequest: n(200) })],
    ['data-channel parsers', () => fuzzDataChannelParsers(ctx.run, n(3000))],
    ['data channel, live', () => liveDataChannel(ctx)],
  ];
  for (const [name, step] of steps) {
    const t0 = Date.now();
    try {
      await step();
    } catch (e) {
      ctx.run.fail(name, `the suite stopped: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    const down = await ctx.oracle.healthy();
    if (down !== null) ctx.run.fail(`${name}: node health afterwards`, down);
    process.stderr.write(`fuzz: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${ctx.run.cases} cases so far, ${ctx.run.failures.length} failures\n`);
  }
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const run = new FuzzRun(seed);
  const running = await startNode({ tmpPrefix: 'facegate-fuzz-' });
  let oracle: HttpOracle | undefined;
  try {
    const node = running.node;
    oracle = new HttpOracle(node, await documentedErrorCodes(running.url));
    const empty = await oracle.snapshot();
    const a = await createTenant(node, 'A', { users: 2, sessions: 4 });
    const b = await createTenant(node, 'B', { users: 2, sessions: 4, webhook: 'https://example.com/facegate-hook' });
    // The digest must see writes, or "the store unchanged" would hold trivially.
    const seen = changedTables(empty, await oracle.snapshot());
    if (!['clients', 'users', 'templates', 'audit_log'].every((t) => seen.includes(t))) run.fail('store digest', `creating two tenants changed only [${seen.join(', ')}]`);
    const routes = servedRoutes(running);
    process.stderr.write(`fuzz: ${routes.length} routes from the routers: ${routes.map((r) => `${r.method} ${r.path}${r.prefix ? '/*' : ''}`).join(', ')}\n`);
    const known = { tokens: [a.token, ...a.sessions.map((s) => s.token)], apiKeys: [a.apiKey], ids: [...a.users, ...a.sessions.map((s) => s.id)] };
    const ctx: RestContext = { run, oracle, node, routes, known, a, b, images: await loadImages() };
    await suites(ctx);
  } finally {
    oracle?.close();
    await running.close();
  }
  const wanted = Math.round(10_000 * Math.min(1, scale));
  if (run.cases < wanted) run.fail('case count', `${run.cases} cases run, at least ${wanted} wanted`);
  process.stderr.write(`fuzz: finished in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  run.report((line) => process.stdout.write(`${line}\n`));
  return run.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fuzz: could not run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.stdout.write('fuzz: 0 cases, 1 failures\n');
    process.exit(1);
  },
);
