// Backends a test can take away and give back: a private redis-server it
// starts and SIGKILLs, and a TCP proxy in front of PostgreSQL that it cuts
// (stops listening and destroys every live connection) and restores on the
// same port. Shared by the outage and fault tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts a redis-server without persistence on `port`; resolves once it accepts connections (at most 5 s). */
export async function startRedis(port: number): Promise<ChildProcess> {
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return p;
    await sleep(100);
  }
  p.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

/** SIGKILLs a child process (no-op once it exited) and waits for its exit. */
export async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await done;
}

/** Polls `fn` every 200 ms until it resolves true (a rejection counts as false); throws after `ms`. */
export async function until(fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error('condition not met in time');
}

/** A loopback TCP proxy to one upstream that a test can cut and restore. */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | null = null;
  #port = 0;

  private constructor(host: string, port: number) {
    this.#target = { host, port };
  }

  /** Listens on a free loopback port in front of host:port. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const p = new TcpProxy(host, port);
    await p.restore();
    return p;
  }

  get port(): number {
    return this.#port;
  }

  /** `url` with its host replaced by this proxy's. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.host = `127.0.0.1:${this.#port}`;
    return u.toString();
  }

  /** Stops accepting and destroys every live connection: the upstream is unreachable. */
  async cut(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    for (const c of this.#sockets) c.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Listens again (on the same port once it has one). */
  async restore(): Promise<void> {
    if (this.#server) return;
    const server = net.createServer((c) => {
      const up = net.connect(this.#target.port, this.#target.host);
      this.#sockets.add(c).add(up);
      c.pipe(up).pipe(c);
      const drop = (): void => {
        c.destroy();
        up.destroy();
      };
      c.on('error', drop);
      up.on('error', drop);
      c.on('close', () => this.#sockets.delete(c));
      up.on('close', () => this.#sockets.delete(up));
    });
    await new Promise<void>((r, j) => server.once('error', j).listen(this.#port, '127.0.0.1', () => r()));
    this.#server = server;
    this.#port = (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
