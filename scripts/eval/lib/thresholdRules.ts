// How the engine's spoof and still thresholds follow from measurements on
// genuine clips only. Attack clips never move a threshold (three replays are
// too few to fit to); they only check it. The defaults in fusion.ts and
// LivenessSession.ts are these rules' output on the seven genuine clips of
// ../shared/video; eval:liveness --loo re-derives them without each clip and
// judges that clip (leave-one-out).
import type { ObservationTape } from './ObservationTape.ts';
import { DEFAULT_FUSION_OPTIONS, VOUCHABLE_CUES, type FusionOptions } from '../../../src/engine/fusion.ts';
import { countedFaces } from '../../../src/engine/frameGate.ts';
import type { ArtefactSample } from '../../../src/engine/types.ts';
import { median } from '../../../common/vector.ts';

export type CueName = keyof FusionOptions['cues'];
export const WEIGHTED_CUES: readonly CueName[] = ['edgeFrame', 'glare', 'blueCast'];

/** What one clip shows of each cue, as the session would see it. */
export interface ClipCueStats {
  /** Highest running median (from the session's minimum evidence on) per cue: the worst a genuine session meets. */
  readonly runningMax: Readonly<Record<CueName, number>>;
  /** Lowest running median per cue: the best an attack can hope for. */
  readonly runningMin: Readonly<Record<CueName, number>>;
  /** Lowest / highest median of cellDiff over any window of the still check. */
  readonly stillWindowMin: number;
  readonly stillWindowMax: number;
  /** Lowest running median of the passive live probability (from the session's minimum evidence on). */
  readonly passiveMin: number;
  readonly frames: number;
}

export interface ThresholdRule {
  /** A cue's ramp midpoint (spoof evidence 0.5) sits at least this factor above the genuine maximum... */
  readonly factor: number;
  /** ...and at least this far above it, in the cue's units (cues near or below zero). */
  readonly floors: Readonly<Record<CueName, number>>;
  /** The still threshold is the lowest genuine window median divided by this. */
  readonly stillDivisor: number;
  /**
   * The passive vouch (fusion.ts passiveVouch) is the lowest passive running
   * median of the genuine clips the frame-edge cue alone would reject, divided by this.
   */
  readonly vouchDivisor: number;
}

// The factor is the margin the first thresholds were set with (edgeFrame 0.40 =
// 2.3x the genuine maximum 0.174); it also leaves room for held-out scenes: on
// the 95 photos of ../shared/faces edgeFrame exceeds 0.40 in 8 (framed press
// photos, doorways), so a smaller factor would cost BPCER there.
export const THRESHOLD_RULE: ThresholdRule = Object.freeze({
  factor: 2.3,
  floors: Object.freeze({ hfRatio: 0.1, edgeFrame: 0.1, glare: 0.02, blueCast: 0.1 }),
  stillDivisor: 2,
  vouchDivisor: 2,
});

/** Per-cue running medians and still-window medians over a whole tape (analyses it to the end). */
export async function clipCueStats(tape: ObservationTape, minEvidenceFrames = 8, stillFrames = 10): Promise<ClipCueStats> {
  const samples: ArtefactSample[] = [];
  const live: number[] = [];
  for await (const o of tape.replay()) {
    if (countedFaces(o) !== 1 || !o.artefacts) continue;
    samples.push(o.artefacts);
    if (typeof o.face?.live === 'number') live.push(o.face.live);
  }
  let passiveMin = Number.POSITIVE_INFINITY;
  for (let i = minEvidenceFrames; i <= live.length; i++) passiveMin = Math.min(passiveMin, median(live.slice(0, i)));
  const cues = Object.keys(DEFAULT_FUSION_OPTIONS.cues) as CueName[];
  const runningMax = Object.fromEntries(cues.map((c) => [c, Number.NEGATIVE_INFINITY])) as Record<CueName, number>;
  const runningMin = Object.fromEntries(cues.map((c) => [c, Number.POSITIVE_INFINITY])) as Record<CueName, number>;
  for (let i = minEvidenceFrames; i <= samples.length; i++) {
    const head = samples.slice(0, i);
    for (const c of cues) {
      const m = median(head.map((s) => s[c]));
      runningMax[c] = Math.max(runningMax[c], m);
      runningMin[c] = Math.min(runningMin[c], m);
    }
  }
  let stillWindowMin = Number.POSITIVE_INFINITY;
  let stillWindowMax = Number.NEGATIVE_INFINITY;
  for (let i = stillFrames; i <= samples.length; i++) {
    const w = samples.slice(i - stillFrames, i).map((s) => s.cellDiff).filter((d) => Number.isFinite(d));
    if (w.length < Math.ceil(0.8 * stillFrames)) continue;
    const m = median(w);
    stillWindowMin = Math.min(stillWindowMin, m);
    stillWindowMax = Math.max(stillWindowMax, m);
  }
  return { runningMax, runningMin, stillWindowMin, stillWindowMax, passiveMin, frames: samples.length };
}

/**
 * The passive vouch from the genuine clips: straight lines in the room raise
 * the frame-edge cue on some genuine clips (a window or door frame, a sofa
 * back); the passive model still calls those faces live, and every attack
 * clip's passive median stays far below them. The vouch sits at the lowest
 * passive running median of the genuine clips whose frame-edge running median
 * reaches its decision point in `fusion`, divided by vouchDivisor (a 2x margin).
 * With no such clip nothing needs vouching: Infinity (the cue always counts).
 */
export function passiveVouchFromGenuine(genuine: readonly ClipCueStats[], fusion: FusionOptions = DEFAULT_FUSION_OPTIONS, rule: ThresholdRule = THRESHOLD_RULE): number {
  const point = cueDecisionPoint(fusion, 'edgeFrame');
  const edged = genuine.filter((g) => g.runningMax.edgeFrame >= point);
  return edged.length ? Math.min(...edged.map((g) => g.passiveMin)) / rule.vouchDivisor : Number.POSITIVE_INFINITY;
}

/**
 * Fusion ramps from the genuine clips' highest running medians (weights as in
 * `base`), then the passive vouch. A vouchable cue's ramp is derived from the
 * genuine clips the vouch does not cover (those the cue alone judges); the
 * vouch from the clips `base`'s ramp would reject.
 */
export function fusionFromGenuine(genuine: readonly ClipCueStats[], base: FusionOptions = DEFAULT_FUSION_OPTIONS, rule: ThresholdRule = THRESHOLD_RULE): FusionOptions {
  if (genuine.length === 0) throw new TypeError('fusionFromGenuine() needs at least one genuine clip');
  const passiveVouch = passiveVouchFromGenuine(genuine, base, rule);
  const cues = { ...base.cues };
  for (const c of WEIGHTED_CUES) {
    const judged = VOUCHABLE_CUES.includes(c) ? genuine.filter((g) => !(g.passiveMin >= passiveVouch)) : genuine;
    const hi = Math.max(...(judged.length ? judged : genuine).map((g) => g.runningMax[c]));
    const mid = Math.max(rule.factor * hi, hi + rule.floors[c]);
    const half = (mid - hi) / 3;
    cues[c] = { clean: mid - half, spoof: mid + half, weight: base.cues[c].weight };
  }
  return { ...base, cues, passiveVouch };
}

/** The still threshold from the genuine clips' lowest window median. */
export function staticDiffFromGenuine(genuine: readonly ClipCueStats[], rule: ThresholdRule = THRESHOLD_RULE): number {
  const lo = Math.min(...genuine.map((g) => g.stillWindowMin));
  if (!Number.isFinite(lo)) throw new TypeError('staticDiffFromGenuine() needs genuine clips with still windows');
  return lo / rule.stillDivisor;
}

/** A cue's decision point: where its evidence reaches the fusion threshold. */
export function cueDecisionPoint(options: FusionOptions, cue: CueName): number {
  const c = options.cues[cue];
  return c.clean + options.threshold * (c.spoof - c.clean);
}
