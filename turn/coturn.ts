// Starts coturn (`turnserver`, Debian package) on loopback with the TURN
// REST API configuration from turn/turnserver.conf, on a free port, for tests
// and benchmarks. Production runs coturn as its own service with the same
// template.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface CoturnOptions {
  readonly secret: string;
  readonly listenIp?: string;
  readonly realm?: string;
  readonly binary?: string;
  /** Allow relaying to loopback peers (needed when mediasoup listens on 127.0.0.1). */
  readonly allowLoopbackPeers?: boolean;
}

export interface RunningCoturn {
  readonly port: number;
  /** turn: URL for ICE servers, UDP. */
  readonly url: string;
  readonly pid: number | undefined;
  /** Relay port range (relayed candidates use these ports). */
  readonly minPort: number;
  readonly maxPort: number;
  stop(): Promise<void>;
}

const TEMPLATE = new URL('./turnserver.conf', import.meta.url);

/** Fills the config template. Exported so the template is tested too. */
export function renderCoturnConfig(values: {
  listenIp: string;
  port: number;
  minPort: number;
  maxPort: number;
  realm: string;
  secret: string;
  allowLoopbackPeers: boolean;
}): string {
  if (/\s/.test(values.secret)) throw new TypeError('TURN secret must not contain whitespace');
  const vars: Record<string, string> = {
    LISTEN_IP: values.listenIp,
    RELAY_IP: values.listenIp,
    PORT: String(values.port),
    MIN_PORT: String(values.minPort),
    MAX_PORT: String(values.maxPort),
    REALM: values.realm,
    TURN_SECRET: values.secret,
    ALLOW_LOOPBACK: values.allowLoopbackPeers ? 'allow-loopback-peers' : '',
  };
  return readFileSync(TEMPLATE, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_m, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new TypeError(`unknown template variable ${k}`);
    return v;
  });
}

async function freeUdpTcpPort(ip: string): Promise<number> {
  const server = net.createServer();
  server.listen(0, ip);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export async function startCoturn(options: CoturnOptions): Promise<RunningCoturn> {
  const listenIp = options.listenIp ?? '127.0.0.1';
  const port = await freeUdpTcpPort(listenIp);
  // A relay range away from the listening port; coturn picks free ones in it.
  const minPort = 49152 + Math.floor(Math.random() * 10000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-coturn-'));
  const conf = path.join(dir, 'turnserver.conf');
  writeFileSync(
    conf,
    renderCoturnConfig({
      listenIp,
      port,
      minPort,
      maxPort: minPort + 200,
      realm: options.realm ?? 'facegate.local',
      secret: options.secret,
      allowLoopbackPeers: options.allowLoopbackPeers ?? true,
    }),
  );
  const child: ChildProcess = spawn(options.binary ?? 'turnserver', ['-c', conf, '--pidfile', path.join(dir, 'pid'), '--userdb', path.join(dir, 'db')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (s: string) => (log = (log + s).slice(-4000)));
  child.stderr?.on('data', (s: string) => (log = (log + s).slice(-4000)));
  const exited = once(child, 'exit');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // Wait until it accepts TCP on the port (it opens UDP and TCP listeners together).
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      cleanup();
      throw new Error(`turnserver exited at start: ${log.slice(-800)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, listenIp);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      cleanup();
      throw new Error(`turnserver did not start listening: ${log.slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped = false;
  return {
    port,
    url: `turn:${listenIp}:${port}?transport=udp`,
    pid: child.pid,
    minPort,
    maxPort: minPort + 200,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}
