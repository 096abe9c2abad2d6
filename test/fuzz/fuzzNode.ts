// The node the fuzz suite and the soak run against: the real composition
// (FacegateNode: mediasoup workers, service on the embedded defaults, PGlite
// in a temp data dir, in-memory state, the real face models, socket.io
// signaling) on loopback, port 0. Rate limits are raised so that thousands
// of generated requests from one IP and key reach the handlers instead of
// stopping at 429, and sessions live an hour so none expires (and writes its
// lazy 'expired' result) in the middle of a run.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { loadConfig } from '../../src/config.ts';
import { FacegateNode, type NodeTesting } from '../../src/FacegateNode.ts';
import { loopbackNodeEnv } from '../support/nodeEnv.ts';

export interface RunningNode {
  readonly node: FacegateNode;
  readonly url: string;
  close(): Promise<void>;
}

export async function startNode(o: { tmpPrefix: string; env?: Readonly<Record<string, string>>; testing?: Pick<NodeTesting, 'onEngineFrame'> }): Promise<RunningNode> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix));
  const config = loadConfig({
    ...loopbackNodeEnv(tmp),
    FACEGATE_DEMO: 'auto',
    SESSION_TTL_S: '3600',
    RATE_LIMIT_PER_KEY: '100000000',
    RATE_LIMIT_PER_IP: '100000000',
    // Background jobs write job_runs on their own schedule; the digest checks
    // that a rejected request changed nothing, so they stay off here.
    JOBS: 'off',
    ...o.env,
  });
  let analyzer: FaceAnalyzer | undefined;
  try {
    analyzer = await FaceAnalyzer.create();
    const node = await FacegateNode.start(config, { log: pino({ level: 'silent' }), analyzer, testing: { clientIceConsentTimeoutS: 0, heartbeatIntervalMs: 5000, ...o.testing } });
    const a = analyzer;
    let closed = false;
    return {
      node,
      url: node.url,
      async close() {
        if (closed) return;
        closed = true;
        await node.close();
        await a.close();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await analyzer?.close();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
