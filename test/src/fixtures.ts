// Shared fixtures for the service tests: the backends to run the same suite
// on (embedded PGlite + in-memory state always; PostgreSQL + Redis when
// FACEGATE_TEST_DATABASE_URL / FACEGATE_TEST_REDIS_URL are set), a service
// started on port 0, and a FaceAnalyzerLike test double that derives one
// face's identity from a solid-colour image (behind the models/ seam only;
// the real analyzer has its own test in service-real-models.test.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import sharp from 'sharp';
import { loadConfig, type Config } from '../../src/config.ts';
import { FacegateService, type FacegateServiceOptions } from '../../src/FacegateService.ts';
import type { AnalyzeOptions, AnalyzeResult, FaceAnalyzerLike, RawFrame } from '../../models/types.ts';

export interface Backend {
  readonly name: string;
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
}

export const PG_URL = process.env.FACEGATE_TEST_DATABASE_URL;
export const REDIS_URL = process.env.FACEGATE_TEST_REDIS_URL;
export const SKIP_PG = PG_URL ? false : 'FACEGATE_TEST_DATABASE_URL not set: PostgreSQL run skipped';
export const SKIP_REDIS = REDIS_URL ? false : 'FACEGATE_TEST_REDIS_URL not set: Redis run skipped';

export const BACKENDS: readonly (Backend & { skip: string | false })[] = [
  { name: 'embedded (PGlite + memory)', skip: false },
  {
    name: 'PostgreSQL + Redis',
    ...(PG_URL ? { databaseUrl: PG_URL } : {}),
    ...(REDIS_URL ? { redisUrl: REDIS_URL } : {}),
    skip: PG_URL && REDIS_URL ? false : 'FACEGATE_TEST_DATABASE_URL / FACEGATE_TEST_REDIS_URL not set: PostgreSQL + Redis run skipped',
  },
];

/** A unique, valid PostgreSQL schema / Redis prefix for one test run. */
export function runId(): string {
  return `fgt_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
}

/** Drops a test run's PostgreSQL schema (no-op without FACEGATE_TEST_DATABASE_URL). */
export async function dropSchema(schema: string): Promise<void> {
  if (!PG_URL) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-test-'));
}

export function testConfig(dataDir: string, backend: Backend, extra: Record<string, string> = {}): Config {
  return loadConfig({
    FACEGATE_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    MASTER_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    // The suite's webhook receivers listen on loopback; the SSRF test sets 0.
    WEBHOOK_ALLOW_PRIVATE: '1',
    ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
    ...(backend.redisUrl ? { REDIS_URL: backend.redisUrl } : {}),
    ...extra,
  });
}

// ---- the colour-identity analyzer ----------------------------------------

function seededUnit(seed: number, dim = 512): Float32Array {
  // xorshift32: deterministic pseudo-random directions per identity.
  let x = seed >>> 0 || 1;
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = ((x >>> 0) / 0xffffffff) * 2 - 1;
    n += v[i]! * v[i]!;
  }
  n = Math.sqrt(n);
  for (let i = 0; i < dim; i++) v[i]! /= n;
  return v;
}

/**
 * Test double for FaceAnalyzerLike: the first pixel's colour is the identity
 * (same colour -> same embedding). Pure black: no face. Pure white: two faces.
 * A red channel below 40: a face too small to use.
 */
export class ColourAnalyzer implements FaceAnalyzerLike {
  calls = 0;
  async analyze(input: RawFrame | Uint8Array, _options?: AnalyzeOptions): Promise<AnalyzeResult> {
    this.calls++;
    if (input instanceof Uint8Array) throw new TypeError('ColourAnalyzer takes decoded frames');
    const [r, g, b] = [input.data[0]!, input.data[1]!, input.data[2]!];
    const base = { width: input.width, height: input.height, timings: { detect: 1, embedding: 2 } };
    if (r === 0 && g === 0 && b === 0) return { ...base, faces: [] };
    const face = (size: number, emb: Float32Array) => ({
      box: { x1: 0, y1: 0, x2: size, y2: size },
      score: 0.99,
      live: 0.9,
      quality: { faceSize: size, sharpness: 100, brightness: 128, frontalness: 0.95 },
      embedding: emb,
    });
    if (r === 255 && g === 255 && b === 255) return { ...base, faces: [face(120, seededUnit(1)), face(110, seededUnit(2))] };
    const size = r < 40 ? 20 : 120;
    return { ...base, faces: [face(size, seededUnit(r * 65536 + g * 256 + b))] };
  }
  async close(): Promise<void> {}
}

const pngCache = new Map<string, string>();
/** A 64x64 solid-colour PNG as a data URL. */
export async function colourImage(r: number, g: number, b: number): Promise<string> {
  const k = `${r},${g},${b}`;
  let u = pngCache.get(k);
  if (!u) {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r, g, b } } }).png().toBuffer();
    u = `data:image/png;base64,${png.toString('base64')}`;
    pngCache.set(k, u);
  }
  return u;
}

// ---- a running service ----------------------------------------------------

export interface Running {
  readonly service: FacegateService;
  readonly url: string;
  readonly server: http.Server;
  readonly dataDir: string;
  readonly schema: string;
  close(): Promise<void>;
}

export async function startService(
  backend: Backend,
  options: { env?: Record<string, string>; dataDir?: string; schema?: string; service?: Partial<FacegateServiceOptions> } = {},
): Promise<Running> {
  const dataDir = options.dataDir ?? tempDir();
  const schema = options.schema ?? runId();
  const config = testConfig(dataDir, backend, options.env);
  const service = await FacegateService.start(config, {
    log: pino({ level: 'silent' }),
    analyzer: new ColourAnalyzer(),
    testing: { dbSchema: schema, redisPrefix: `${schema}:`, webhookBaseDelayMs: 50, galleryPersistDelayMs: 20 },
    ...options.service,
  });
  const server = http.createServer(service.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    service,
    server,
    dataDir,
    schema,
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await service.close();
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

export async function call(
  base: string,
  method: string,
  p: string,
  opts: { token?: string; json?: unknown; raw?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = opts.contentType ?? 'application/json';
  } else if (opts.raw !== undefined) {
    body = opts.raw;
    if (opts.contentType) headers['content-type'] = opts.contentType;
  }
  const res = await fetch(base + p, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Creates a client and returns its id, API key and an access token. */
export async function newClient(run: Running, name = 'Acme'): Promise<{ clientId: string; apiKey: string; token: string }> {
  const c = await run.service.tenants.createClient(name);
  const r = await call(run.url, 'POST', '/api/auth/client', { json: { api_key: c.apiKey } });
  if (r.status !== 200) throw new Error(`token exchange failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { clientId: c.clientId, apiKey: c.apiKey, token: String(r.body.access_token) };
}

/** Enrolls externalId with a colour identity through the REST API; returns the final frame reply. */
export async function enroll(run: Running, token: string, externalId: string, rgb: [number, number, number]): Promise<Reply> {
  const s = await call(run.url, 'POST', '/api/auth/enrollment', { token, json: { external_user_id: externalId } });
  if (s.status !== 201) throw new Error(`enrollment session failed: ${s.status} ${JSON.stringify(s.body)}`);
  const image = await colourImage(...rgb);
  let last: Reply | null = null;
  for (let i = 0; i < run.service.config.service.enrollSamples; i++) {
    last = await call(run.url, 'POST', '/api/auth/enrollment/process-frame', { json: { session_token: s.body.session_token, image } });
  }
  return last!;
}

export async function authenticate(run: Running, token: string, rgb: [number, number, number], externalId?: string): Promise<Reply> {
  const s = await call(run.url, 'POST', '/api/auth/authentication', { token, json: externalId ? { external_user_id: externalId } : {} });
  if (s.status !== 201) return s;
  return call(run.url, 'POST', '/api/auth/authentication/process-frame', {
    json: { session_token: s.body.session_token, image: await colourImage(...rgb) },
  });
}

/** Asserts the error shape; returns the body. */
export function isErrorShape(body: Record<string, unknown>): boolean {
  return (
    typeof body.error === 'string' &&
    typeof body.message === 'string' &&
    typeof body.details === 'object' &&
    body.details !== null &&
    typeof body.timestamp === 'string' &&
    !Number.isNaN(Date.parse(String(body.timestamp)))
  );
}
