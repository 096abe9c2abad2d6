// The one place facegate reads its environment. Every setting is parsed and
// validated here, at start; a missing or bad value fails with a message that
// says which variable and how to fix it. The result is deeply frozen.
// Sections are grouped by owner (server, media, models, storage, security) so
// additions stay local.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_FLASH_BASE_COLORS,
  DEFAULT_FLASH_INTENSITY,
  DEFAULT_FLASH_NOTICE_MS,
  DEFAULT_FLASH_SATURATION,
  DEFAULT_FLASH_STEPS,
  DEFAULT_HNSW_MIN,
  DEFAULT_LARGE_INDEX,
  DEFAULT_MATCH_THRESHOLD,
} from '../common/defaults.ts';
import { INJECTION_POLICIES, INJECTION_SIGNALS, type InjectionPolicy, type InjectionSignal } from '../common/injection.ts';

const FLASH_STEPS = DEFAULT_FLASH_STEPS;
const hex2 = (v: number): string => v.toString(16).padStart(2, '0');
const DEFAULT_FLASH_COLORS = DEFAULT_FLASH_BASE_COLORS.map((c) => `#${hex2(c[0])}${hex2(c[1])}${hex2(c[2])}`).join(',');

const port = z.coerce.number().int().min(0).max(65535);
const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const origin = z.string().refine((o) => {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
}, 'each origin is scheme://host[:port], no path or trailing slash (e.g. https://app.example.com)');

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One TRUST_PROXY list entry: an IP, an IP/prefix CIDR, or one of proxy-addr's names. */
function isProxyAddress(a: string): boolean {
  if (PROXY_NAMES.has(a)) return true;
  const [ip, prefix, extra] = a.split('/');
  const v = net.isIP(ip ?? '');
  if (v === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (v === 4 ? 32 : 128);
}

/** TRUST_PROXY: off (default), true, a hop count, or a comma list of addresses/CIDRs. */
const trustProxy = z
  .string()
  .transform((s, ctx): boolean | number | string[] => {
    const t = s.trim().toLowerCase();
    if (t === 'false' || t === 'off' || t === '0') return false;
    if (t === 'true' || t === 'on') return true;
    if (/^\d+$/.test(t)) return Number(t);
    const list = t.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    const bad = list.filter((x) => !isProxyAddress(x));
    if (list.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `use false, true, a hop count, or a comma list of IPs/CIDRs/loopback/linklocal/uniquelocal (bad: ${bad.join(', ') || s})` });
      return z.NEVER;
    }
    return list;
  });

const EnvSchema = z.object({
  // server
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_URL: z.string().url().optional(),
  // demo kiosk's POST /demo/session ('auto': on only when HOST is loopback)
  FACEGATE_DEMO: z.enum(['auto', 'on', 'off']).default('auto'),
  // browser origins allowed to call the API cross-origin (CORS); none by default
  CORS_ALLOWED_ORIGINS: csv.pipe(z.array(origin)).default([]),
  // express's trust proxy: off, true, a hop count, or addresses/CIDRs/loopback|linklocal|uniquelocal
  TRUST_PROXY: trustProxy.default(false),
  // storage
  FACEGATE_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  // media
  MEDIA_WORKERS: z.coerce.number().int().min(1).max(64).default(os.availableParallelism()),
  RTC_LISTEN_IP: z.string().min(1).default('127.0.0.1'),
  RTC_ANNOUNCED_ADDRESS: z.string().min(1).optional(),
  RTC_PORT: port.default(40000),
  FRAME_RATE: z.coerce.number().min(1).max(30).default(10),
  STUN_URLS: csv.default([]),
  TURN_URLS: csv.default([]),
  TURN_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  TURN_TTL_S: z.coerce.number().int().min(60).max(86400).default(600),
  // models
  MODELS_DIR: z.string().min(1).optional(),
  ORT_INTRA_OP_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  // security
  JWT_SECRET: z.string().min(32, 'use at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  MASTER_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes): `openssl rand -hex 32`')
    .optional(),
  // operations: admin API credential and reach, audit signing key, retention
  ADMIN_TOKEN: z.string().min(32, 'use at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  ADMIN_ALLOW_REMOTE: z.enum(['on', 'off']).default('off'),
  AUDIT_SIGNING_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be a 64-hex-character Ed25519 seed: `openssl rand -hex 32`')
    .optional(),
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(365),
  JOBS: z.enum(['on', 'off']).default('on'),
  // service (tenancy, sessions, gallery, rate limits)
  JWT_TTL_S: z.coerce.number().int().min(60).max(86400).default(900),
  /** Verdict-token signing key: an EC P-256 private key as PKCS#8 PEM; default: generated into the data dir. */
  VERDICT_SIGNING_KEY: z.string().includes('PRIVATE KEY', { message: 'use a PKCS#8 PEM EC P-256 private key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)' }).optional(),
  /** End-user refresh token lifetime (access tokens live JWT_TTL_S). */
  REFRESH_TTL_S: z.coerce.number().int().min(300).max(90 * 86400).default(14 * 86400),
  SESSION_TTL_S: z.coerce.number().int().min(10).max(3600).default(180),
  MATCH_THRESHOLD: z.coerce.number().min(0).max(1).default(DEFAULT_MATCH_THRESHOLD),
  ENROLL_SAMPLES: z.coerce.number().int().min(1).max(20).default(3),
  MAX_IMAGE_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(5 * 1024 * 1024),
  RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_PER_SESSION: z.coerce.number().int().min(1).default(120),
  LOCKOUT_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOCKOUT_WINDOW_S: z.coerce.number().int().min(1).max(86400).default(180),
  GALLERY_HNSW_MIN: z.coerce.number().int().min(1000).default(DEFAULT_HNSW_MIN),
  GALLERY_INDEX: z.enum(['ivf', 'hnsw']).default(DEFAULT_LARGE_INDEX),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** 1: webhooks may be delivered to loopback/private/link-local addresses (own-network receivers, tests). */
  WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
  // liveness engine
  LIVENESS_CHALLENGES: z.coerce.number().int().min(1).max(2).default(2),
  LIVENESS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(5).default(2),
  LIVENESS_FLASH: z.enum(['on', 'off']).default('on'),
  // The flash's look: base colours (#rrggbb, comma-separated, distinct, at
  // least as many as a sequence has steps), then mixed toward grey by
  // 1 - saturation and scaled by intensity; the first colour comes
  // NOTICE_MS after the prompt that announces it.
  LIVENESS_FLASH_COLORS: z
    .string()
    .default(DEFAULT_FLASH_COLORS)
    .transform((v, ctx) => {
      const list = v.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
      const bad = list.find((c) => !/^#[0-9a-f]{6}$/.test(c));
      if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `"${bad}" is not a #rrggbb colour` });
      else if (new Set(list).size !== list.length) ctx.addIssue({ code: 'custom', message: 'colours must be distinct' });
      else if (list.length < FLASH_STEPS || list.length > 12) ctx.addIssue({ code: 'custom', message: `give ${FLASH_STEPS}..12 colours (a sequence has ${FLASH_STEPS} steps)` });
      return list.map((c) => [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)] as const);
    }),
  LIVENESS_FLASH_SATURATION: z.coerce.number().gt(0).max(1).default(DEFAULT_FLASH_SATURATION),
  LIVENESS_FLASH_INTENSITY: z.coerce.number().gt(0).max(1).default(DEFAULT_FLASH_INTENSITY),
  // Whether a user's opt-out of the flash (the kiosk's "Avoid flashing
  // colours", SDK option flash: 'off') is honoured: 'deny' keeps the flash
  // for every live session (the opt-out is also what an attacker would pick).
  LIVENESS_FLASH_OPT_OUT: z.enum(['allow', 'deny']).default('allow'),
  LIVENESS_FLASH_NOTICE_MS: z.coerce.number().int().min(0).max(5000).default(DEFAULT_FLASH_NOTICE_MS),
  // Injection signals on the live path (src/engine/README.md): what a fired
  // signal does, for all of them, then per signal (capture_facts=block,...).
  LIVENESS_INJECTION_POLICY: z.enum(INJECTION_POLICIES).default('flag'),
  LIVENESS_INJECTION_OVERRIDES: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const out: Partial<Record<InjectionSignal, InjectionPolicy>> = {};
      for (const item of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
        const [name, policy, ...rest] = item.split('=').map((x) => x.trim());
        if (rest.length > 0 || !(INJECTION_SIGNALS as readonly string[]).includes(name ?? '') || !(INJECTION_POLICIES as readonly string[]).includes(policy ?? '')) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not signal=policy (signals: ${INJECTION_SIGNALS.join(', ')}; policies: ${INJECTION_POLICIES.join(', ')})` });
          continue;
        }
        out[name as InjectionSignal] = policy as InjectionPolicy;
      }
      return out;
    }),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly logLevel: Env['LOG_LEVEL'];
    readonly publicUrl: string | undefined;
    /** Whether POST /demo/session creates demo sessions (resolved from FACEGATE_DEMO and HOST). */
    readonly demo: boolean;
    /** Browser origins allowed cross-origin (CORS); empty: none. */
    readonly corsAllowedOrigins: readonly string[];
    /** express's `trust proxy`: false (default), true, a hop count, or addresses/CIDRs. */
    readonly trustProxy: boolean | number | readonly string[];
  };
  readonly storage: {
    readonly dataDir: string;
    readonly databaseUrl: string | undefined;
    readonly redisUrl: string | undefined;
  };
  readonly media: {
    readonly workers: number;
    readonly listenIp: string;
    readonly announcedAddress: string | undefined;
    readonly rtcPort: number;
    readonly frameRate: number;
    readonly stunUrls: readonly string[];
    readonly turnUrls: readonly string[];
    readonly turnSecret: string | undefined;
    readonly turnTtlS: number;
  };
  readonly models: {
    readonly dir: string | undefined;
    readonly intraOpThreads: number;
  };
  readonly security: {
    readonly jwtSecret: string | undefined;
    readonly masterKeyHex: string | undefined;
    /** PKCS#8 PEM; undefined: a key generated into the data dir on first start. */
    readonly verdictSigningKeyPem: string | undefined;
    readonly refreshTtlS: number;
  };
  readonly admin: {
    /** Bearer credential of /api/admin; generated into <dataDir>/admin-token when unset. */
    readonly token: string | undefined;
    /** Whether /api/admin answers other hosts than loopback. */
    readonly allowRemote: boolean;
    /** Ed25519 seed (hex) signing the audit chain head; generated into the data dir when unset. */
    readonly auditSigningKeyHex: string | undefined;
    /** Days session results and webhook deliveries are kept. */
    readonly retentionDays: number;
    /** Days audit rows are kept before they are pruned behind a signed checkpoint. */
    readonly auditRetentionDays: number;
    /** Whether this node runs the background jobs (retention, audit pruning, gallery compaction). */
    readonly jobs: boolean;
  };
  readonly service: {
    readonly jwtTtlS: number;
    readonly sessionTtlS: number;
    readonly matchThreshold: number;
    readonly enrollSamples: number;
    readonly maxImageBytes: number;
    /** Requests per minute per API key / client token. */
    readonly rateLimitPerKey: number;
    /** Requests per minute per client IP. */
    readonly rateLimitPerIp: number;
    /** REST frame uploads per minute per session (session-token traffic never spends a key's budget). */
    readonly rateLimitPerSession: number;
    readonly lockoutFailures: number;
    readonly lockoutWindowS: number;
    /** Live templates from which a client's gallery is searched through an HNSW graph (back to flat below 75% of it). */
    readonly galleryHnswMin: number;
    readonly galleryIndex: 'ivf' | 'hnsw';
    readonly webhookMaxAttempts: number;
    /** Whether webhooks may go to loopback, private, link-local or multicast addresses (default: refused). */
    readonly webhookAllowPrivate: boolean;
  };
  readonly liveness: {
    /** Random challenges per session (blink, head turn, colour flash on the live path). */
    readonly challenges: number;
    /** Failed or unanswered challenges tolerated before a session fails. */
    readonly maxAttempts: number;
    /** Whether live WebRTC sessions may draw the colour-flash challenge (REST uploads never do). */
    readonly flash: boolean;
    /** The flash's base colours (sRGB), saturation and intensity (0..1), and the notice before it, ms. */
    readonly flashColors: readonly (readonly [number, number, number])[];
    readonly flashSaturation: number;
    readonly flashIntensity: number;
    readonly flashNoticeMs: number;
    /** Whether a client's flash opt-out at join is honoured. */
    readonly flashOptOut: boolean;
    /** What each injection signal does when it fires (flag, step_up, block). */
    readonly injectionPolicy: Readonly<Record<InjectionSignal, InjectionPolicy>>;
  };
}

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The demo route is safe by default only where nothing but this machine can reach it. */
function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Parses an environment (default: process.env) into a frozen Config, or throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" so `FOO=` in a shell or compose file behaves.
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') clean[k] = v;
  const r = EnvSchema.safeParse(clean);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = r.data;
  return deepFreeze<Config>({
    server: {
      host: e.HOST,
      port: e.PORT,
      logLevel: e.LOG_LEVEL,
      publicUrl: e.PUBLIC_URL,
      demo: e.FACEGATE_DEMO === 'on' || (e.FACEGATE_DEMO === 'auto' && isLoopbackHost(e.HOST)),
      corsAllowedOrigins: e.CORS_ALLOWED_ORIGINS,
      trustProxy: e.TRUST_PROXY,
    },
    storage: {
      dataDir: path.resolve(e.FACEGATE_DATA_DIR),
      databaseUrl: e.DATABASE_URL,
      redisUrl: e.REDIS_URL,
    },
    media: {
      workers: e.MEDIA_WORKERS,
      listenIp: e.RTC_LISTEN_IP,
      announcedAddress: e.RTC_ANNOUNCED_ADDRESS,
      rtcPort: e.RTC_PORT,
      frameRate: e.FRAME_RATE,
      stunUrls: e.STUN_URLS,
      turnUrls: e.TURN_URLS,
      turnSecret: e.TURN_SECRET,
      turnTtlS: e.TURN_TTL_S,
    },
    models: { dir: e.MODELS_DIR, intraOpThreads: e.ORT_INTRA_OP_THREADS },
    security: { jwtSecret: e.JWT_SECRET, masterKeyHex: e.MASTER_KEY, verdictSigningKeyPem: e.VERDICT_SIGNING_KEY, refreshTtlS: e.REFRESH_TTL_S },
    admin: {
      token: e.ADMIN_TOKEN,
      allowRemote: e.ADMIN_ALLOW_REMOTE === 'on',
      auditSigningKeyHex: e.AUDIT_SIGNING_KEY,
      retentionDays: e.RETENTION_DAYS,
      auditRetentionDays: e.AUDIT_RETENTION_DAYS,
      jobs: e.JOBS === 'on',
    },
    service: {
      jwtTtlS: e.JWT_TTL_S,
      sessionTtlS: e.SESSION_TTL_S,
      matchThreshold: e.MATCH_THRESHOLD,
      enrollSamples: e.ENROLL_SAMPLES,
      maxImageBytes: e.MAX_IMAGE_BYTES,
      rateLimitPerKey: e.RATE_LIMIT_PER_KEY,
      rateLimitPerIp: e.RATE_LIMIT_PER_IP,
      rateLimitPerSession: e.RATE_LIMIT_PER_SESSION,
      lockoutFailures: e.LOCKOUT_FAILURES,
      lockoutWindowS: e.LOCKOUT_WINDOW_S,
      galleryHnswMin: e.GALLERY_HNSW_MIN,
      galleryIndex: e.GALLERY_INDEX,
      webhookMaxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE === '1',
    },
    liveness: {
      challenges: e.LIVENESS_CHALLENGES,
      maxAttempts: e.LIVENESS_MAX_ATTEMPTS,
      flash: e.LIVENESS_FLASH === 'on',
      flashColors: e.LIVENESS_FLASH_COLORS,
      flashSaturation: e.LIVENESS_FLASH_SATURATION,
      flashIntensity: e.LIVENESS_FLASH_INTENSITY,
      flashNoticeMs: e.LIVENESS_FLASH_NOTICE_MS,
      flashOptOut: e.LIVENESS_FLASH_OPT_OUT === 'allow',
      injectionPolicy: Object.fromEntries(INJECTION_SIGNALS.map((s) => [s, e.LIVENESS_INJECTION_OVERRIDES[s] ?? e.LIVENESS_INJECTION_POLICY])) as Record<InjectionSignal, InjectionPolicy>,
    },
  });
}
