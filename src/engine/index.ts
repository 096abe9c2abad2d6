// The liveness engine's public surface: the one import the composition root,
// the REST service and the live path use (other modules are internal).
export type * from './types.ts';
export { ENGINE_REASONS } from './types.ts';
export { LivenessEngine, type CreateSessionInput, type EngineFrameStats, type LivenessEngineOptions } from './LivenessEngine.ts';
export { LivenessSession, type SessionInit } from './LivenessSession.ts';
export { DEFAULT_SESSION_OPTIONS, type PlanOptions, type SessionOptions } from './options.ts';
export { InMemorySessionStore } from './InMemorySessionStore.ts';
export { InMemoryGallery } from './InMemoryGallery.ts';
export { SystemClock } from './SystemClock.ts';
export { ManualClock } from './ManualClock.ts';
export { planChallenges, type PlannedChallenge } from './challengePlan.ts';
export { CHALLENGES, challengeFor, type ChallengeType } from './challenges/index.ts';
export { toClientMessage, publicDecision } from './wire.ts';
export { generateFlashSequence, scoreFlash } from './signals/colorFlash.ts';
export {
  assessInjection, DEFAULT_INJECTION_OPTIONS, INJECTION_POLICIES, INJECTION_SIGNALS,
  type InjectionAssessment, type InjectionOptions, type InjectionPolicy, type InjectionSignal, type InjectionSource,
} from './injection/index.ts';
