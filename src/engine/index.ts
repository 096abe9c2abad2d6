// The liveness engine's public surface: the one import the composition root,
// the REST service and the live path use (other modules are internal).
export type * from './types.ts';
export { LivenessEngine, type CreateSessionInput, type LivenessEngineOptions } from './LivenessEngine.ts';
export { LivenessSession, DEFAULT_SESSION_OPTIONS, type SessionInit, type SessionOptions } from './LivenessSession.ts';
export { InMemorySessionStore } from './InMemorySessionStore.ts';
export { InMemoryGallery } from './InMemoryGallery.ts';
export { SystemClock } from './SystemClock.ts';
export { ManualClock } from './ManualClock.ts';
export { planChallenges, type PlannedChallenge, type PlanOptions } from './challengePlan.ts';
export { liveSinkFactory, type LiveBridgeOptions, type LiveFrame, type LiveHandle, type LiveSessionSpec, type LiveSink } from '../bridge/liveBridge.ts';
export { toClientMessage, publicDecision, type ClientMessage } from './wire.ts';
export { sessionOptionsFromConfig } from './sessionConfig.ts';
export { generateFlashSequence, scoreFlash } from './signals/colorFlash.ts';
