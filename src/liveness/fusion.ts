// Fusion of the pixel-artefact cues and the passive score into one spoof
// score. Thresholds here were chosen from per-clip measurements on
// ../shared/video (scripts/eval-liveness.ts prints them) with a margin; see
// the comments on each for the measured ranges.
import type { ArtefactSample } from './types.ts';
import { median } from './vector.ts';

export interface ArtefactAggregate {
  readonly frames: number;
  readonly hfRatio: number;
  readonly edgeFrame: number;
  readonly glare: number;
  readonly blueCast: number;
  readonly saturation: number;
  readonly temporalDiff: number;
}

export function aggregateArtefacts(samples: readonly ArtefactSample[]): ArtefactAggregate {
  const m = (f: (s: ArtefactSample) => number): number => median(samples.map(f));
  return {
    frames: samples.length,
    hfRatio: m((s) => s.hfRatio),
    edgeFrame: m((s) => s.edgeFrame),
    glare: m((s) => s.glare),
    blueCast: m((s) => s.blueCast),
    saturation: m((s) => s.saturation),
    temporalDiff: m((s) => s.temporalDiff),
  };
}

export interface FusionOptions {
  /** Each cue maps linearly from `clean` (0 evidence) to `spoof` (full evidence). */
  readonly cues: Readonly<Record<'hfRatio' | 'edgeFrame' | 'glare' | 'blueCast', { readonly clean: number; readonly spoof: number; readonly weight: number }>>;
  /** Spoof score at or above which the session fails with spoof_suspected. */
  readonly threshold: number;
  /** Minimum frames before the artefact evidence is trusted. */
  readonly minFrames: number;
}

// Per-clip medians measured on ../shared/video (10 fps, <= 640 px; eval:liveness):
//   edgeFrame  genuine 0.004..0.174   attacks 0.409 (phone next to face), 0.605 (monitor), 1.0 (phone)
//   glare      genuine 0.000..0.021   attacks 0.000, 0.000, 0.068 (phone screen)
//   blueCast   genuine -0.152..-0.023 attacks 0.139 (feature-phone screen), -0.046, -0.212
//   hfRatio    genuine 0.153..0.419   attacks 0.146..0.306: overlaps, reported with weight 0
// Each ramp's midpoint sits between the two groups with room on both sides
// (edgeFrame 0.27: 1.55x the genuine maximum, 0.66x the attack minimum).
export const DEFAULT_FUSION_OPTIONS: FusionOptions = Object.freeze({
  cues: Object.freeze({
    hfRatio: Object.freeze({ clean: 0.6, spoof: 0.9, weight: 0 }),
    edgeFrame: Object.freeze({ clean: 0.2, spoof: 0.34, weight: 1 }),
    glare: Object.freeze({ clean: 0.03, spoof: 0.05, weight: 1 }),
    blueCast: Object.freeze({ clean: 0.0, spoof: 0.1, weight: 1 }),
  }),
  threshold: 0.5,
  minFrames: 5,
});

export interface FusionResult {
  readonly spoofScore: number;
  readonly contributions: Readonly<Record<string, number>>;
}

/** Evidence per cue in 0..1, and the strongest weighted one as the spoof score (any one clear cue suffices). */
export function fuse(agg: ArtefactAggregate, options: FusionOptions = DEFAULT_FUSION_OPTIONS): FusionResult {
  const contributions: Record<string, number> = {};
  let score = 0;
  for (const [name, c] of Object.entries(options.cues)) {
    const v = agg[name as keyof ArtefactAggregate];
    const e = c.spoof === c.clean ? 0 : (v - c.clean) / (c.spoof - c.clean);
    const ev = Number.isFinite(e) ? Math.max(0, Math.min(1, e)) * c.weight : 0;
    contributions[name] = ev;
    score = Math.max(score, ev);
  }
  return { spoofScore: agg.frames >= options.minFrames ? score : 0, contributions };
}
