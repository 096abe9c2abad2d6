// Test fixture: the scheduled node whose liveness engines give every session
// one colour-flash challenge with live semantics (random delays, the bridge's
// send time, the data channel's RTT, a retry with fresh colours after a
// failure). Shared by the closed-loop integration and end-to-end flash tests.
import type { NodeTesting } from '../../src/FacegateNode.ts';
import type { PlannedChallenge } from '../../src/engine/challengePlan.ts';
import { startScheduledNode, type ScheduledNode } from './scheduledNode.ts';

export const FLASH_PLAN: readonly PlannedChallenge[] = [{ kind: 'color_flash', delayMs: 300, windowMs: 4000 }];

export type FlashNode = ScheduledNode;

export function startFlashNode(o: { tmpPrefix: string; node?: Pick<NodeTesting, 'sdkBundles'> }): Promise<FlashNode> {
  return startScheduledNode({
    tmpPrefix: o.tmpPrefix,
    schedule: () => FLASH_PLAN,
    semantics: 'live',
    node: { clientIceConsentTimeoutS: 0, heartbeatIntervalMs: 2000, ...o.node },
  });
}
