// A real node as `npm start` runs it: `node --import tsx src/main.ts` in a
// child process on PORT=0, its URL read from the `listening on` log line.
// The caller stops it (SIGTERM and wait) or kills it (any signal).
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Test-only secrets, and every setting a developer's shell might carry cleared. */
export const NODE_SECRETS = {
  JWT_SECRET: 'cli-test-secret-0123456789abcdef0123456789abcdef',
  MASTER_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  AUDIT_SIGNING_KEY: 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100',
} as const;
export const NODE_BASE_ENV = { DATABASE_URL: '', REDIS_URL: '', JWT_SECRET: '', MASTER_KEY: '', ADMIN_TOKEN: '', AUDIT_SIGNING_KEY: '', LOG_LEVEL: 'info' } as const;

export interface NodeProc {
  readonly url: string;
  readonly pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves once it exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM (a clean shutdown) unless it already exited; resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts src/main.ts with NODE_BASE_ENV overlaid by `env`; rejects when it exits or has not listened within `startMs`. */
export async function startNodeProcess(env: Record<string, string>, startMs = 180_000): Promise<NodeProc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...NODE_BASE_ENV, PORT: '0', HOST: '127.0.0.1', RTC_PORT: '0', MEDIA_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node did not listen:\n${out}`));
    }, startMs);
    const check = (): void => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', () => {
      clearTimeout(t);
      reject(new Error(`node exited early:\n${out}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    output: () => out,
    kill: async (signal) => {
      if (running()) child.kill(signal);
      await exited;
    },
    stop: async () => {
      if (running()) child.kill('SIGTERM');
      await exited;
    },
  };
}
