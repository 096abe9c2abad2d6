// API benchmark on loopback: starts the real server (src/main.ts, embedded
// store, in-memory state, real face models) as a child process, then drives
// it with a closed-loop load generator (N concurrent keep-alive clients) for a
// bounded time per scenario, and prints requests/s, p50 and p95:
//   1. session creation      POST /api/auth/authentication
//   2. process-frame         POST /api/auth/authentication/process-frame (a real face JPEG,
//                            one fresh session per request, 1:N search)
//   npm run bench:api [-- --json] [--seconds 10] [--sessions-concurrency 16] [--frame-concurrency 4]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScriptArgs } from '../lib/args.ts';
import { percentile } from '../lib/stats.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const positiveInteger = (n: number): boolean => Number.isInteger(n) && n >= 1;
const { values } = parseScriptArgs({
  name: 'bench:api',
  usage: 'usage: npm run bench:api [-- --json] [--seconds 10] [--sessions-concurrency 16] [--frame-concurrency 4]',
  options: {
    json: { type: 'boolean' },
    seconds: { type: 'number', default: 10, valid: (n) => n > 0, invalid: '--seconds needs a number > 0' },
    'sessions-concurrency': { type: 'number', default: 16, valid: positiveInteger, invalid: '--sessions-concurrency needs an integer >= 1' },
    'frame-concurrency': { type: 'number', default: 4, valid: positiveInteger, invalid: '--frame-concurrency needs an integer >= 1' },
  },
  allowPositionals: false,
});
const { json, seconds, 'sessions-concurrency': sessionConc, 'frame-concurrency': frameConc } = values;
const log = (m: string) => !json && process.stderr.write(`${m}\n`);

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(base: URL, method: string, p: string, body: unknown, token?: string): Promise<{ status: number; body: string }> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: p, agent, headers: { ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const pct = (xs: number[], p: number): number | null => {
  const v = percentile(xs, p, 'floor');
  return Number.isNaN(v) ? null : +v.toFixed(2);
};

interface ScenarioResult {
  name: string;
  concurrency: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number | null;
  p95Ms: number | null;
  statuses: Record<string, number>;
}

async function load(name: string, concurrency: number, durS: number, one: () => Promise<number>): Promise<ScenarioResult> {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  const end = performance.now() + durS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        let code: number;
        try {
          code = await one();
        } catch {
          code = 0;
        }
        lat.push(performance.now() - t);
        statuses[code] = (statuses[code] ?? 0) + 1;
      }
    }),
  );
  const el = (performance.now() - t0) / 1000;
  return { name, concurrency, seconds: +el.toFixed(1), requests: lat.length, rps: +(lat.length / el).toFixed(1), p50Ms: pct(lat, 50), p95Ms: pct(lat, 95), statuses };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-api-'));
  const env = { ...process.env, FACEGATE_DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_KEY: '100000000', RATE_LIMIT_PER_IP: '100000000' };
  log('creating a client (admin CLI)');
  const admin = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli/admin.ts', 'create-client', 'bench', '--json'], { cwd: ROOT, env, encoding: 'utf8' });
  if (admin.status !== 0) throw new Error(`admin failed: ${admin.stderr}`);
  const { api_key: apiKey } = JSON.parse(admin.stdout) as { api_key: string };

  log('starting the server');
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const base = await new Promise<URL>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 180_000);
      server.stdout.on('data', () => {
        const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(new URL(m[1]!));
        }
      });
      server.once('exit', () => reject(new Error(`server exited:\n${out}`)));
    });
    const tok = JSON.parse((await request(base, 'POST', '/api/auth/client', { api_key: apiKey })).body) as { access_token: string };
    const token = tok.access_token;

    // A gallery to search: enroll one person from three photos.
    const faceDir = path.resolve(ROOT, '../shared/faces/Angelina_Jolie');
    const imgs = fs.readdirSync(faceDir).filter((f) => f.endsWith('.jpg')).sort().map((f) => `data:image/jpeg;base64,${fs.readFileSync(path.join(faceDir, f)).toString('base64')}`);
    const s = JSON.parse((await request(base, 'POST', '/api/auth/enrollment', { external_user_id: 'angelina' }, token)).body) as { session_token: string };
    for (const img of imgs) {
      const r = JSON.parse((await request(base, 'POST', '/api/auth/enrollment/process-frame', { session_token: s.session_token, image: img })).body) as { status: string };
      if (r.status === 'succeeded' || r.status === 'failed') break;
    }
    const probe = imgs[imgs.length - 1]!;

    const results: ScenarioResult[] = [];
    log(`session creation: ${sessionConc} clients, ${seconds} s`);
    results.push(await load('session creation', sessionConc, seconds, async () => (await request(base, 'POST', '/api/auth/authentication', {}, token)).status));

    log(`process-frame: ${frameConc} clients, ${seconds} s`);
    results.push(
      await load('process-frame (real models, 1:N)', frameConc, seconds, async () => {
        // Each frame needs a fresh session (one accepted frame decides it); the frame request is also timed alone.
        const sess = JSON.parse((await request(base, 'POST', '/api/auth/authentication', {}, token)).body) as { session_token: string };
        const t = performance.now();
        const r = await request(base, 'POST', '/api/auth/authentication/process-frame', { session_token: sess.session_token, image: probe });
        frameLat.push(performance.now() - t);
        return r.status;
      }),
    );
    // The scenario's latency includes the session request; report the frame request alone too.
    const frame = results[1]!;
    const frameOnly = { p50Ms: pct(frameLat, 50), p95Ms: pct(frameLat, 95) };

    const report = { cpus: os.availableParallelism(), imageBytes: Buffer.from(probe.split(',')[1]!, 'base64').length, results, processFrameRequestOnly: frameOnly };
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      process.stdout.write(`API bench on loopback (${report.cpus} CPUs; server and load generator share them)\n`);
      for (const r of results) {
        process.stdout.write(`  ${r.name.padEnd(36)} c=${r.concurrency}  ${r.requests} req in ${r.seconds} s  ${r.rps} req/s  p50 ${r.p50Ms} ms  p95 ${r.p95Ms} ms  statuses ${JSON.stringify(r.statuses)}\n`);
      }
      process.stdout.write(`  process-frame request alone (${frame.requests} frames, ${report.imageBytes} B JPEG): p50 ${frameOnly.p50Ms} ms  p95 ${frameOnly.p95Ms} ms\n`);
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    agent.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const frameLat: number[] = [];
main().catch((e: unknown) => {
  process.stderr.write(`bench:api failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
