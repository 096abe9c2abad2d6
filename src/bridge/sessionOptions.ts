// Engine session options from the service's validated config: one place maps
// environment settings onto the engine, so the REST and live paths agree. It
// lives in the bridge because the engine never reads the service config.
import type { Config } from '../config.ts';
import { DEFAULT_INJECTION_OPTIONS, DEFAULT_SESSION_OPTIONS, type InjectionOptions, type SessionOptions } from '../engine/index.ts';
import { flashPalette } from '../engine/signals/colorFlash.ts';

export function sessionOptionsFromConfig(config: Config): SessionOptions {
  return {
    ...DEFAULT_SESSION_OPTIONS,
    ttlMs: config.service.sessionTtlS * 1000,
    matchThreshold: config.service.matchThreshold,
    enrollmentSamples: config.service.enrollSamples,
    maxAttempts: config.liveness.maxAttempts,
    // The flash is the live path's default; the REST fallback turns it off per session.
    plan: { ...DEFAULT_SESSION_OPTIONS.plan, count: config.liveness.challenges, flash: config.liveness.flash },
    flash: {
      ...DEFAULT_SESSION_OPTIONS.flash,
      palette: flashPalette(config.liveness.flashColors, { saturation: config.liveness.flashSaturation, intensity: config.liveness.flashIntensity }),
      noticeMs: config.liveness.flashNoticeMs,
    },
  };
}

/** The live path's injection signals: the configured policy per signal over the measured thresholds. */
export function injectionOptionsFromConfig(config: Config): InjectionOptions {
  return { ...DEFAULT_INJECTION_OPTIONS, policy: config.liveness.injectionPolicy };
}
