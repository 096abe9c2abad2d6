// The one place facegate reads its environment. Every setting is parsed and
// validated here, at start; a missing or bad value fails with a message that
// says which variable and how to fix it. The result is deeply frozen.
// Sections are grouped by owner (server, media, models, storage, security) so
// additions stay local.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const EnvSchema = z.object({
  // server
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_URL: z.string().url().optional(),
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
  SECURE_COOKIES: bool.default('false'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly logLevel: Env['LOG_LEVEL'];
    readonly publicUrl: string | undefined;
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
    server: { host: e.HOST, port: e.PORT, logLevel: e.LOG_LEVEL, publicUrl: e.PUBLIC_URL },
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
    security: { jwtSecret: e.JWT_SECRET, masterKeyHex: e.MASTER_KEY },
  });
}
