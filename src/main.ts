// Composition root: config -> logger -> face analyzer -> FacegateNode (service
// core: store, state, gallery, webhooks; liveness engines, media workers,
// sessions and API, SDK/demo router, HTTP server, socket.io signaling). Logs one line
// `listening on http://HOST:PORT` with the real port once bound (PORT=0
// picks a free one). SIGINT/SIGTERM close everything in reverse order (one CloseStack).
import { pino } from 'pino';
import { LOG_REDACTION } from './auth/logRedaction.ts';
import { CloseStack } from './CloseStack.ts';
import { ConfigError, loadConfig } from './config.ts';
import { FacegateNode } from './FacegateNode.ts';
import { FaceAnalyzer } from '../models/FaceAnalyzer.ts';
import type { FaceAnalyzerLike } from '../models/types.ts';
import type { HealthState } from './api/createApp.ts';

/**
 * /health's models component: runs detection on a small blank frame (a real
 * inference through every loaded session's runtime), at most every 10 s.
 */
function modelsHealth(analyzer: FaceAnalyzerLike): () => Promise<HealthState> {
  const blank = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, stride: 64 * 3, format: 'rgb24' as const };
  let last: { at: number; state: HealthState } | null = null;
  return async () => {
    if (last && Date.now() - last.at < 10_000) return last.state;
    let state: HealthState;
    try {
      const r = await analyzer.analyze(blank, { stages: [] });
      state = Array.isArray(r.faces) ? 'up' : 'down';
    } catch {
      state = 'down';
    }
    last = { at: Date.now(), state };
    return state;
  };
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = pino({ level: config.server.logLevel, base: { service: 'facegate' }, redact: LOG_REDACTION });

  // The analyzer outlives the node that uses it: opened first, closed last.
  const stack = new CloseStack((f) => log.warn({ err: f.error, step: f.name }, 'error while closing'));
  const analyzer = await FaceAnalyzer.create({ dir: config.models.dir, intraOpThreads: config.models.intraOpThreads });
  stack.push('models', () => analyzer.close());
  log.info('face models loaded');
  let node: FacegateNode;
  try {
    node = await FacegateNode.start(config, { log, analyzer, healthChecks: { models: modelsHealth(analyzer) } });
  } catch (e) {
    await stack.closeAll();
    throw e;
  }
  stack.push('node', () => node.close());

  let closing: Promise<void> | null = null;
  const shutdown = (signal: string): Promise<void> => {
    // The node in reverse opening order (FacegateNode.close), then the analyzer.
    closing ??= (async () => {
      log.info({ signal }, 'shutting down');
      await stack.closeAll();
      log.info('stopped');
    })();
    return closing;
  };
  process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));

  const addr = node.address;
  log.info(
    { host: addr.address, port: addr.port, store: node.service.store.engine, state: node.service.state.kind, demo: config.server.demo },
    `listening on ${node.url}`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`facegate failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
