// DTLS handshake recovery when mediasoup's first flight is lost: the server
// peer (werift) against a real mediasoup worker on loopback, with every
// connection's first ClientHello from mediasoup dropped before werift sees
// it (as a lost datagram would be), so the handshake can only complete when
// mediasoup's retransmission timer resends it (OpenSSL: after 1 s, then 2 s,
// 4 s...). A connection whose data channel is not open after --timeout-ms
// stalled: the worker never retransmitted. Prints the number of stalls and
// the median / p95 time from create to an open data channel.
//
// The worker binary is mediasoup's default or MEDIASOUP_WORKER_BIN; to compare
// two workers, run two of these at once (same machine load), one per binary.
// --busy N adds N busy-looping processes for the run's duration (scheduler
// pressure is what makes a worker timer fire early).
//
//   node --import tsx scripts/bench/dtls.ts [--runs 100] [--timeout-ms 8000] [--busy 0] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as mediasoup from 'mediasoup';
import { ROUTER_MEDIA_CODECS } from '../../media/MediaWorkerPool.ts';
import { ServerPeer } from '../../media/ServerPeer.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { quantile } from '../lib/stats.ts';

const { values } = parseScriptArgs({
  name: 'bench:dtls',
  usage: 'usage: node --import tsx scripts/bench/dtls.ts [--runs N>=1] [--timeout-ms MS>=1000] [--busy N>=0] [--json]',
  options: {
    runs: { type: 'number', default: 100, valid: (n) => Number.isInteger(n) && n >= 1, invalid: '--runs needs an integer >= 1' },
    'timeout-ms': { type: 'number', default: 8000, valid: (n) => n >= 1000, invalid: '--timeout-ms needs a number >= 1000' },
    busy: { type: 'number', default: 0, valid: (n) => Number.isInteger(n) && n >= 0, invalid: '--busy needs an integer >= 0' },
    json: { type: 'boolean' },
  },
  allowPositionals: false,
});
const RUNS = values.runs;
const TIMEOUT_MS = values['timeout-ms'];
const BUSY = values.busy;

interface IceConnection {
  dataReceived(data: Buffer, component: number): void;
}
const require = createRequire(import.meta.url);
const { Connection } = require('werift/lib/ice/src/ice.js') as { Connection: { prototype: IceConnection } };

/** A DTLS datagram whose first record is a ClientHello with an empty cookie (RFC 6347 4.2.1). */
function isFirstClientHello(data: Buffer): boolean {
  if (data.length < 61 || data[0] !== 22 || data[13] !== 1) return false;
  const sessionIdLength = data[59] ?? 0;
  return data[60 + sessionIdLength] === 0;
}

// Lose the first cookie-less ClientHello each connection receives; let every retransmission through.
const lostOnce = new WeakSet<IceConnection>();
let dropped = 0;
const dataReceived = Connection.prototype.dataReceived;
Connection.prototype.dataReceived = function (this: IceConnection, data: Buffer, component: number): void {
  if (isFirstClientHello(data) && !lostOnce.has(this)) {
    lostOnce.add(this);
    dropped++;
    return;
  }
  dataReceived.call(this, data, component);
};

const busy: ChildProcess[] = [];
for (let i = 0; i < BUSY; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));

const worker = await mediasoup.createWorker({ logLevel: 'error' });
const openMs: number[] = [];
let stalls = 0;
try {
  const webRtcServer = await worker.createWebRtcServer({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
  const router = await worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const peer = await ServerPeer.create({ router, webRtcServer });
    try {
      const { channel } = await peer.produceData('bench');
      const end = t0 + TIMEOUT_MS;
      while (channel.readyState !== 'open' && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
      if (channel.readyState === 'open') openMs.push(performance.now() - t0);
      else stalls++;
    } finally {
      peer.close();
    }
  }
} finally {
  worker.close();
  for (const b of busy) b.kill();
  Connection.prototype.dataReceived = dataReceived;
}

const q = (p: number): number | null => (openMs.length ? quantile(openMs, p, 'floor') : null);
const result = {
  workerBin: process.env['MEDIASOUP_WORKER_BIN'] ?? 'default',
  runs: RUNS,
  busy: BUSY,
  firstHellosDropped: dropped,
  stalls,
  openMedianMs: q(0.5),
  openP95Ms: q(0.95),
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const f = (v: number | null): string => (v === null ? '-' : `${v.toFixed(0)} ms`);
  console.log(`worker ${result.workerBin}: ${RUNS} connections, ${dropped} first ClientHellos dropped, ${BUSY} busy processes`);
  console.log(`stalled (no open data channel within ${TIMEOUT_MS} ms): ${stalls}; opened: median ${f(result.openMedianMs)}, p95 ${f(result.openP95Ms)}`);
}
