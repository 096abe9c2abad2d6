// Test fixture: the real composition (FacegateNode on port 0, embedded store
// and in-memory state in a temp dir unless `env` names PostgreSQL / Redis,
// one media worker, demo route on) whose
// liveness engines give every session a fixed challenge schedule — a
// recording cannot answer random prompts — or, with `semantics: 'live'`, a
// given plan run with live semantics (random delays, the bridge's send time,
// the data channel's RTT, retries). Collects every engine decision for
// assertion messages. Shared by the integration and end-to-end tests.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import type { PlannedChallenge } from '../../src/engine/challengePlan.ts';
import { loadConfig } from '../../src/config.ts';
import { FacegateNode, type NodeTesting } from '../../src/FacegateNode.ts';
import { LivenessEngine, type CreateSessionInput, type Decision, type LivenessEngineOptions, type EngineSessionRecord } from '../../src/engine/index.ts';
import { loopbackNodeEnv } from '../support/nodeEnv.ts';

export interface ScheduledNode {
  readonly node: FacegateNode;
  readonly analyzer: FaceAnalyzer;
  /** The temp folder (the data dir is inside it); removed by close(). */
  readonly tmp: string;
  /** Every engine decision, in order. */
  readonly decisions: Decision[];
  close(): Promise<void>;
}

export interface ScheduledNodeOptions {
  readonly tmpPrefix: string;
  /** Read at each session's creation, so a test can change it between sessions. */
  readonly schedule: () => readonly PlannedChallenge[];
  /**
   * 'fixed' (default): the schedule is followed as recorded (no reaction-time
   * floor, no retries); 'live': it is the session's plan, with live semantics.
   */
  readonly semantics?: 'fixed' | 'live';
  /** The node's test knobs (createEngine is the fixture's own). */
  readonly node?: Omit<NodeTesting, 'createEngine'>;
  /** Extra environment for loadConfig (DATABASE_URL, REDIS_URL, shared secrets for several nodes). */
  readonly env?: Readonly<Record<string, string>>;
  /** A face analyzer shared by several nodes (the caller closes it); default: one of the fixture's own. */
  readonly analyzer?: FaceAnalyzer;
}

export async function startScheduledNode(o: ScheduledNodeOptions): Promise<ScheduledNode> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix));
  const decisions: Decision[] = [];
  /** Test-only: sessions get the schedule the recording contains. */
  class ScheduleEngine extends LivenessEngine {
    override create(input: CreateSessionInput): Promise<EngineSessionRecord> {
      const sink = input.sink;
      return super.create({
        ...input,
        ...(o.semantics === 'live' ? { plan: o.schedule() } : { fixedSchedule: o.schedule() }),
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
    ...loopbackNodeEnv(tmp),
    FACEGATE_DEMO: 'auto',
    ENROLL_SAMPLES: '2',
    ...o.env,
  });
  const ownAnalyzer = o.analyzer === undefined;
  let analyzer: FaceAnalyzer | undefined;
  try {
    analyzer = o.analyzer ?? (await FaceAnalyzer.create());
    const node = await FacegateNode.start(config, {
      log: pino({ level: 'silent' }),
      analyzer,
      testing: { createEngine: (options: LivenessEngineOptions) => new ScheduleEngine(options), ...o.node },
    });
    const a = analyzer;
    return {
      node,
      analyzer: a,
      tmp,
      decisions,
      async close() {
        await node.close();
        if (ownAnalyzer) await a.close();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (ownAnalyzer) await analyzer?.close();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
