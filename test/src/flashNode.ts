// Test fixture: the real composition (FacegateNode on port 0, embedded store
// and in-memory state in a temp dir, one media worker, demo route on) whose
// liveness engines give every session one colour-flash challenge with live
// semantics (random delays, the bridge's send time, the data channel's RTT,
// a retry with fresh colours after a failure). Collects every engine
// decision. Shared by the closed-loop integration and end-to-end flash tests.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { loadConfig } from '../../src/config.ts';
import { FacegateNode, type FacegateNodeOptions } from '../../src/FacegateNode.ts';
import type { PlannedChallenge } from '../../src/liveness/challengePlan.ts';
import { LivenessEngine, type CreateSessionInput, type Decision, type LivenessEngineOptions, type SessionRecord } from '../../src/liveness/index.ts';

export const FLASH_PLAN: readonly PlannedChallenge[] = [{ kind: 'color_flash', delayMs: 300, windowMs: 4000 }];

export interface FlashNode {
  readonly node: FacegateNode;
  readonly analyzer: FaceAnalyzer;
  readonly tmp: string;
  readonly decisions: Decision[];
  close(): Promise<void>;
}

export async function startFlashNode(o: { tmpPrefix: string; node?: Pick<FacegateNodeOptions, 'sdkBundles'> }): Promise<FlashNode> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix));
  const decisions: Decision[] = [];
  class FlashEngine extends LivenessEngine {
    override create(input: CreateSessionInput): Promise<SessionRecord> {
      const sink = input.sink;
      return super.create({
        ...input,
        plan: FLASH_PLAN,
        sink: {
          send(m) {
            if (m.type === 'result') decisions.push(m.decision);
            sink.send(m);
          },
        },
      });
    }
  }
  const config = loadConfig({
    FACEGATE_DATA_DIR: path.join(tmp, 'data'),
    HOST: '127.0.0.1',
    PORT: '0',
    RTC_PORT: '0',
    MEDIA_WORKERS: '1',
    LOG_LEVEL: 'silent',
    FACEGATE_DEMO: 'auto',
    ENROLL_SAMPLES: '2',
  });
  let analyzer: FaceAnalyzer | undefined;
  try {
    analyzer = await FaceAnalyzer.create();
    const node = await FacegateNode.start(config, {
      log: pino({ level: 'silent' }),
      analyzer,
      createEngine: (options: LivenessEngineOptions) => new FlashEngine(options),
      clientIceConsentTimeoutS: 0,
      heartbeatIntervalMs: 2000,
      ...o.node,
    });
    const a = analyzer;
    return {
      node,
      analyzer: a,
      tmp,
      decisions,
      async close() {
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
