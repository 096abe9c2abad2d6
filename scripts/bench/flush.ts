// How long LiveSession.close() spends flushing the server's data channel
// before it tears a session down, against how long the same messages take to
// reach the client when nothing closes (the floor). A real mediasoup worker,
// the real server peer, and a werift data client on loopback (the tests'
// DataClient). Scenarios: the client answers pings (the SDK does: the flush is
// confirmed by a pong) or not (the flush waits for SCTP acks and mediasoup's
// send buffer); one small result, or 20 progress messages and a 12 KB result.
// Prints medians and p90 over --runs sessions per scenario.
//   node --import tsx scripts/bench/flush.ts [--runs 7]
import pino from 'pino';
import type { ServerMessage } from '../../common/protocol/dataChannel.ts';
import { MediaWorkerPool } from '../../media/MediaWorkerPool.ts';
import { DataClient } from '../../test/media/dataClient.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { quantile } from '../lib/stats.ts';

const { runs } = parseScriptArgs({
  name: 'bench:flush',
  usage: 'usage: node --import tsx scripts/bench/flush.ts [--runs 7]',
  options: { runs: { type: 'number', default: 7, valid: (n) => Number.isInteger(n) && n >= 1, invalid: '--runs must be a positive integer' } },
  allowPositionals: false,
}).values;

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
  return cond();
};

function messages(burst: boolean): ServerMessage[] {
  const out: ServerMessage[] = [];
  if (burst) for (let i = 0; i < 20; i++) out.push({ type: 'progress', value: i / 20, label: `step ${i}` });
  out.push({ type: 'result', outcome: 'pass', data: burst ? { blob: 'x'.repeat(12_000) } : { n: 1 } });
  return out;
}

const pool = await MediaWorkerPool.create({ workers: 1, listenIp: '127.0.0.1', rtcPort: 0, frameRate: 10, logger: pino({ level: 'silent' }), clientIceConsentTimeoutS: 0 });
let n = 0;
try {
  for (const answerPings of [true, false]) {
    for (const burst of [false, true]) {
      const deliver: number[] = [];
      const flush: number[] = [];
      const outcomes = new Map<string, number>();
      let lost = 0;
      for (const mode of ['deliver', 'close'] as const) {
        for (let k = 0; k < runs; k++) {
          const session = await pool.createSession({ sessionId: `bench-${n++}` });
          session.setSink({ onFrame: () => undefined });
          const client = await DataClient.connect(session, { answerPings });
          try {
            if (!(await until(() => client.messages.some((m) => m.type === 'ping'), 5000))) throw new Error('the server channel did not open');
            if (answerPings && !(await until(() => session.rttMs !== undefined, 5000))) throw new Error('no pong');
            await new Promise((r) => setTimeout(r, 250));
            const before = client.raw.length;
            const sent = messages(burst);
            const t0 = performance.now();
            for (const m of sent) session.send(m);
            if (mode === 'deliver') {
              if (!(await until(() => client.raw.length >= before + sent.length, 5000))) throw new Error('not delivered');
              deliver.push(performance.now() - t0);
              await session.close('client_left');
            } else {
              await session.close('closed_by_server');
              const f = session.toJSON().flush;
              flush.push(f?.ms ?? Number.NaN);
              outcomes.set(f?.outcome ?? 'none', (outcomes.get(f?.outcome ?? 'none') ?? 0) + 1);
              // 'drained' means on the wire to the client: give loopback a moment to deliver it.
              const got = () => client.messages.filter((m) => m.type !== 'ping').length;
              if (!(await until(() => got() >= sent.length, 500))) lost++;
            }
          } finally {
            if (!session.closed) await session.close('client_left');
            client.close();
          }
        }
      }
      const label = `${answerPings ? 'answers pings' : 'no pongs     '} ${burst ? '20 + 12 KB' : '1 small   '}`;
      console.log(
        `${label}  deliver median ${quantile(deliver, 0.5, 'floor').toFixed(1)} ms p90 ${quantile(deliver, 0.9, 'floor').toFixed(1)}  |  ` +
          `close flush median ${quantile(flush, 0.5, 'floor').toFixed(1)} ms p90 ${quantile(flush, 0.9, 'floor').toFixed(1)}  ` +
          `(${[...outcomes].map(([o, c]) => `${o} ${c}`).join(', ')}; sessions with a message lost: ${lost}/${runs})`,
      );
    }
  }
} finally {
  await pool.close();
}
