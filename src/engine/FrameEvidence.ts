// The per-frame evidence of one session: fed once per analysed frame, it gates
// the frame and keeps what the signals are scored on (eye and pose series,
// frontal baselines, passive scores, artefact and skin samples, nose points,
// identity samples) plus the frame counts a decision reports. The session
// state machine and the challenge plug-ins read it; only add() and the two
// capture marks write it.
import { median } from '../../common/vector.ts';
import type { FaceStage } from '../../models/types.ts';
import { EyeCoverTracker } from './EyeCoverTracker.ts';
import { countedFaces, eyesOccluded, gateFrame } from './frameGate.ts';
import { aggregateArtefacts, fuse } from './fusion.ts';
import type { SessionOptions } from './options.ts';
import type { EyeSample } from './signals/blink.ts';
import type { SkinSample } from './signals/colorFlash.ts';
import type { EyeCropSample } from './signals/eyeCrop.ts';
import { noseOutlineRatio, type TurnSample } from './signals/headTurn.ts';
import { IdentityTracker } from './signals/identity.ts';
import { aggregatePassive } from './signals/passive.ts';
import type { ArtefactSample, ChallengeTiming, Decision, GateVerdict, Observation, SignalName, SignalReport } from './types.ts';

/**
 * The stages a session runs below the frame rate when no challenge needs them.
 * The pose model is not one: it runs only where a session asks for it (the
 * capture's baseline, a head turn), and there at the same sparse interval;
 * on every other frame frontalness comes from the landmark pose
 * (models/landmarkPose.ts, measured against the model).
 */
export const SPARSE_STAGES = ['eyes', 'liveness'] as const satisfies readonly FaceStage[];
/** The stages a session may ask for at the sparse interval. */
export type SparseStage = (typeof SPARSE_STAGES)[number] | 'pose';

/** How the session's state bears on one frame's evidence. */
export interface FrameContext {
  /** The active challenge asks for a turned face: the gate does not require a frontal one. */
  readonly turning: boolean;
  /** Before the first challenge, none active: frontal frames set the pose baselines. */
  readonly baseline: boolean;
}

export interface MotionEvidence {
  readonly diff: number;
  readonly pointDiff: number;
  readonly jitter: number;
  readonly frames: number;
}

export class FrameEvidence {
  readonly #options: SessionOptions;
  /** Uploads: the schedule counts frames of this length (SessionOptions.uploadFrameMs); null: capture times. */
  readonly #frameMs: number | null;
  #frames = 0;
  #good = 0;
  #oneFace = 0;
  #firstT: number | null = null;
  #lastT: number | null = null;
  #lastGoodT: number | null = null;
  #analyzeMs = 0;
  readonly #gateCounts = new Map<GateVerdict, number>();
  readonly #eyes: EyeSample[] = [];
  readonly #eyeCrops: EyeCropSample[] = [];
  readonly #eyeCover: EyeCoverTracker;
  readonly #poses: TurnSample[] = [];
  readonly #frontalYaws: number[] = [];
  readonly #frontalRatios: number[] = [];
  readonly #live: number[] = [];
  readonly #artefacts: ArtefactSample[] = [];
  readonly #skin: SkinSample[] = [];
  readonly #nose: { t: number; x: number; y: number }[] = [];
  readonly #identity: IdentityTracker;
  #lastEmbeddingT = Number.NEGATIVE_INFINITY;
  readonly #samplesNeeded: number;
  /** When each sparse stage last delivered a result (its model ran on a face). */
  readonly #lastStageT: Record<SparseStage, number> = { eyes: -Infinity, liveness: -Infinity, pose: -Infinity };
  /** The frame count (#frames) at that time. */
  readonly #lastStageFrame: Record<SparseStage, number> = { eyes: -Infinity, liveness: -Infinity, pose: -Infinity };

  /**
   * `uploaded`: frames arrive as uploads (REST, frame socket), scheduled by count, not capture time.
   * `samplesNeeded`: identity samples the decision needs (enrollment: its samples; else the match's one).
   */
  constructor(options: SessionOptions, uploaded = false, samplesNeeded = 1) {
    this.#options = options;
    this.#samplesNeeded = samplesNeeded;
    this.#frameMs = uploaded ? options.uploadFrameMs : null;
    this.#identity = new IdentityTracker(options.identity);
    this.#eyeCover = new EyeCoverTracker(options.gate);
  }

  get frames(): number {
    return this.#frames;
  }
  /** Frames the gate passed before the current one's consequences (see accept()). */
  get good(): number {
    return this.#good;
  }
  get firstT(): number | null {
    return this.#firstT;
  }
  /** Capture time of the last frame fed. */
  get lastT(): number | null {
    return this.#lastT;
  }
  get lastGoodT(): number | null {
    return this.#lastGoodT;
  }
  get eyes(): readonly EyeSample[] {
    return this.#eyes;
  }
  get poses(): readonly TurnSample[] {
    return this.#poses;
  }
  get skin(): readonly SkinSample[] {
    return this.#skin;
  }
  get artefactFrames(): number {
    return this.#artefacts.length;
  }
  get identitySamples(): readonly Float32Array[] {
    return this.#identity.samples;
  }
  get identityChanged(): boolean {
    return this.#identity.state.changed;
  }

  /** Capture starts at `t`: the first frame, and the start of the gate timeout. */
  begin(t: number): void {
    this.#firstT = t;
    this.#lastGoodT = t;
  }

  /** The frame at `t` passed the gate and the session goes on with it. */
  accept(t: number): void {
    this.#good++;
    this.#lastGoodT = t;
  }

  /**
   * Which model stages the frame at `t` needs: landmarks and quality always
   * (tracking, the gate), `everyFrame` (what the active challenge scores on)
   * on every frame, `sparse` (default: eye state and passive) when they last
   * ran `sparseStageIntervalMs` ago or more, embeddings at their own cadence.
   * An upload session reads those intervals on its frame count (scheduleTime).
   * Without arguments: every model on every frame.
   */
  wantedStages(t: number, everyFrame: readonly FaceStage[] = [...SPARSE_STAGES, 'pose'], sparse: readonly SparseStage[] = SPARSE_STAGES): FaceStage[] {
    const interval = this.#options.sparseStageIntervalMs;
    const minFrames = this.#options.sparseStageMinFrames;
    // interval 0: every stage on every frame, the pose model included.
    const s = new Set<FaceStage>(['landmarks', 'quality', ...everyFrame, ...(interval <= 0 ? (['pose'] as const) : [])]);
    // The frame asked about is frame #frames + 1.
    const st = this.scheduleTime(t, this.#frames + 1);
    for (const stage of sparse) {
      if (interval <= 0 || (!(st - this.#lastStageT[stage] < interval) && this.#frames + 1 - this.#lastStageFrame[stage] >= minFrames)) s.add(stage);
    }
    if (st - this.#lastEmbeddingT >= this.#embeddingInterval()) s.add('embedding');
    return [...s];
  }

  /**
   * The time the analysis schedule reads for frame number `frame` (1-based)
   * captured at `t`: `t` on the live path; on uploads `frame * uploadFrameMs`,
   * so frames sent back-to-back or seconds apart run the same stages on the
   * same frames and a session never waits on the clock for a stage it needs.
   */
  scheduleTime(t: number, frame: number = this.#frames + 1): number {
    return this.#frameMs === null ? t : frame * this.#frameMs;
  }

  /** Gates one frame and keeps its evidence; returns the gate verdict. */
  add(obs: Observation, context: FrameContext): GateVerdict {
    this.#frames++;
    this.#lastT = obs.t;
    const f = obs.face;
    const st = this.scheduleTime(obs.t, this.#frames);
    const ran = (stage: SparseStage): void => {
      this.#lastStageT[stage] = st;
      this.#lastStageFrame[stage] = this.#frames;
    };
    if (f?.eyes) ran('eyes');
    if (typeof f?.live === 'number') ran('liveness');
    if (f?.pose) ran('pose');
    this.#analyzeMs += obs.analyzeMs ?? 0;
    const verdict = gateFrame(obs, !context.turning, this.#options.gate, this.#eyeCover.update(obs));
    this.#gateCounts.set(verdict, (this.#gateCounts.get(verdict) ?? 0) + 1);
    this.#collect(obs, verdict, context.baseline, st);
    return verdict;
  }

  /** `st`: the frame's schedule time (the embedding cadence). */
  #collect(obs: Observation, verdict: GateVerdict, baseline: boolean, st: number): void {
    const f = obs.face;
    if (!f || countedFaces(obs, this.#options.gate) !== 1) return;
    this.#oneFace++;
    const t = obs.t;
    if (f.eyes) this.#eyes.push({ t, leftClosed: f.eyes.leftClosed, rightClosed: f.eyes.rightClosed });
    if (obs.eyeCrop) this.#eyeCrops.push(obs.eyeCrop);
    const ratio = noseOutlineRatio(f.landmarks);
    this.#poses.push({ t, ratio, yaw: f.pose ? f.pose.yaw : null });
    if (verdict === 'ok' && baseline) {
      if (f.pose) this.#frontalYaws.push(f.pose.yaw);
      if (ratio !== null) this.#frontalRatios.push(ratio);
    }
    if (typeof f.live === 'number' && verdict === 'ok') this.#live.push(f.live);
    if (obs.artefacts) {
      this.#artefacts.push(obs.artefacts);
      this.#skin.push({ t, rgb: obs.artefacts.skinRgb });
    }
    const nose = f.fivePoints?.[2];
    if (nose) {
      const size = Math.max(1, f.box.y2 - f.box.y1);
      this.#nose.push({ t, x: nose.x / size, y: nose.y / size });
    }
    // The pose model can call a bearded full profile frontal on a poor frame
    // (held-out low-bitrate clip, eval:liveness --robust); the landmark geometry
    // must agree: no identity sample from a face turned as far as a head-turn answer.
    const turnedAway = ratio !== null && this.#frontalRatios.length > 0 && Math.abs(ratio - this.baselineRatio()) >= this.#options.turn.turnRatio;
    const frontal = (f.quality?.frontalness ?? 1) >= 0.6 && !turnedAway;
    if (f.embedding && frontal && verdict === 'ok' && st - this.#lastEmbeddingT >= this.#embeddingInterval()) {
      this.#lastEmbeddingT = st;
      this.#identity.add(f.embedding);
    }
  }

  /** Embeddings at `embeddingIntervalMs` until the decision has its samples, then identity continuity at `identityIntervalMs`. */
  #embeddingInterval(): number {
    const o = this.#options;
    return this.#identity.samples.length < this.#samplesNeeded ? o.embeddingIntervalMs : Math.max(o.embeddingIntervalMs, o.identityIntervalMs);
  }

  /** Median pose yaw of the frontal frames before the first challenge, or null. */
  baselineYaw(): number | null {
    return this.#frontalYaws.length > 0 ? median(this.#frontalYaws) : null;
  }

  /** Median nose-outline ratio of those frames (0.5, frontal, when none). */
  baselineRatio(): number {
    return this.#frontalRatios.length > 0 ? median(this.#frontalRatios) : 0.5;
  }

  /** Enough one-face frames and `embeddings` identity samples for a verdict. */
  ready(embeddings: number): boolean {
    return this.#oneFace >= this.#options.minEvidenceFrames && this.#identity.samples.length >= embeddings;
  }

  /**
   * A still picture shows no change of the face's cell means across a window of
   * frames. The median ignores the odd encoder key frame or resolution switch;
   * landmark jitter is reported only (on a still it is the detector's noise on
   * codec noise, as large as a calm face's sway).
   */
  motion(): MotionEvidence {
    const window = this.#artefacts.slice(-this.#options.staticFrames);
    const recent = window.map((a) => a.cellDiff).filter((d) => Number.isFinite(d));
    const points = window.map((a) => a.temporalDiff).filter((d) => Number.isFinite(d));
    const noses = this.#nose.slice(-this.#options.staticFrames);
    let jitter = Number.NaN;
    if (noses.length >= 3) {
      const mx = median(noses.map((n) => n.x));
      const my = median(noses.map((n) => n.y));
      jitter = median(noses.map((n) => Math.hypot(n.x - mx, n.y - my)));
    }
    return { diff: median(recent), pointDiff: median(points), jitter, frames: recent.length };
  }

  spoofScore(): number {
    return fuse(aggregateArtefacts(this.#artefacts), this.#options.fusion, aggregatePassive(this.#live).median).spoofScore;
  }

  isStill(): boolean {
    const m = this.motion();
    return m.frames >= Math.ceil(0.8 * this.#options.staticFrames) && m.diff < this.#options.staticDiff;
  }

  /** The gate verdict other than ok seen most often (no_face when none). */
  worstGate(): Exclude<GateVerdict, 'ok'> {
    let worst: Exclude<GateVerdict, 'ok'> = 'no_face';
    let n = -1;
    for (const [v, c] of this.#gateCounts) if (v !== 'ok' && c > n) [worst, n] = [v, c];
    return worst;
  }

  /** The signals measured on every frame: passive, artefacts, motion, identity. */
  reports(): Pick<Record<SignalName, SignalReport>, 'passive' | 'artefacts' | 'motion' | 'identity'> {
    const p = aggregatePassive(this.#live);
    const agg = aggregateArtefacts(this.#artefacts);
    const f = fuse(agg, this.#options.fusion, p.median);
    const m = this.motion();
    const id = this.#identity.state;
    return {
      passive: {
        evaluated: p.frames > 0,
        score: Number.isFinite(p.median) ? p.median : 0,
        // Reported, not decisive: see signals/passive.ts and fusion.ts.
        passed: p.frames > 0,
        values: { frames: p.frames, median: p.median, p25: p.p25, p75: p.p75 },
      },
      artefacts: {
        evaluated: agg.frames > 0,
        score: f.spoofScore,
        passed: f.spoofScore < this.#options.fusion.threshold,
        values: {
          frames: agg.frames,
          hfRatio: agg.hfRatio,
          edgeFrame: agg.edgeFrame,
          glare: agg.glare,
          blueCast: agg.blueCast,
          saturation: agg.saturation,
          ...Object.fromEntries(Object.entries(f.contributions).map(([k, v]) => [`evidence_${k}`, v])),
        },
      },
      motion: {
        evaluated: m.frames > 0,
        score: Number.isFinite(m.diff) ? Math.min(1, m.diff / (4 * this.#options.staticDiff)) : 0,
        passed: !this.isStill(),
        values: { cellDiff: m.diff, temporalDiff: m.pointDiff, noseJitter: Number.isFinite(m.jitter) ? m.jitter : null, frames: m.frames },
      },
      identity: {
        evaluated: id.samples > 1,
        score: id.minSimilarity,
        passed: !id.changed,
        values: { samples: id.samples, minSimilarity: id.minSimilarity, lastSimilarity: id.lastSimilarity },
      },
    };
  }

  /** The decision's timings: frame counts and times, and the session's `challenges`. */
  timings(challenges: readonly ChallengeTiming[]): Decision['timings'] {
    const first = this.#firstT;
    const verdictAt = this.#lastT;
    return {
      firstFrameAt: first,
      verdictAt,
      firstFrameToVerdictMs: first !== null && verdictAt !== null ? verdictAt - first : null,
      frames: this.#frames,
      goodFrames: this.#good,
      analyzeMsTotal: this.#analyzeMs,
      challenges: [...challenges],
    };
  }

  /** Gate verdict counts and the occlusion cue's medians over frames with eye crops. */
  gateReport(): NonNullable<Decision['gate']> {
    const crops = this.#eyeCrops;
    const occluded = crops.filter((e) => eyesOccluded(e, this.#options.gate)).length;
    const med = (v: number[]): number | null => (v.length > 0 ? median(v) : null);
    return {
      verdicts: Object.fromEntries(this.#gateCounts),
      values: {
        eyeLuma: med(crops.map((e) => e.eyeLuma)),
        eyeContrast: med(crops.map((e) => e.eyeContrast)),
        eyeCropFrames: crops.length,
        // Frames whose crops alone looked covered (blinks included; the gate needs a run of eyeOcclusionMs).
        eyeCueFrames: occluded,
      },
    };
  }
}
