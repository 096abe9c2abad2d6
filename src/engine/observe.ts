// Turns one raw frame into the engine's Observation: the face analyzer's
// output for the biggest face plus the pixel artefact cues around it.
import { frontalnessFromPose } from '../../models/faceGeometry.ts';
import { poseFromLandmarks } from '../../models/landmarkPose.ts';
import type { FaceAnalyzerLike, FaceStage, FaceTrack, RawFrame } from '../../models/types.ts';
import { measureArtefacts, type FaceGrid } from './signals/artefacts.ts';
import { measureEyeCrops } from './signals/eyeCrop.ts';
import type { Observation } from './types.ts';

export interface Observed {
  readonly observation: Observation;
  /** Face grid for the next frame's temporal cue (undefined without a face). */
  readonly grid: FaceGrid | undefined;
  /** The one face to follow on the next frame (undefined unless exactly one face with landmarks). */
  readonly track: FaceTrack | undefined;
  /** The face was followed from `track`, not detected. */
  readonly tracked: boolean;
  /** Time the frame waited for the shared analyzer, ms (0: did not wait or not measured). */
  readonly queueMs?: number;
}

/**
 * When a session's next frame is detected and when its face is followed
 * instead (SessionOptions.detectIntervalMs): one per session, fed each
 * frame's Observed.
 */
export class DetectSchedule {
  readonly #intervalMs: number;
  readonly #minFrames: number;
  #track: FaceTrack | undefined;
  #detectedAt = Number.NEGATIVE_INFINITY;
  #followed = 0;

  /** Detect every `intervalMs`, but follow at least `minFrames - 1` frames in between (0 / 1: detect every frame). */
  constructor(intervalMs: number, minFrames = 1) {
    this.#intervalMs = intervalMs;
    this.#minFrames = intervalMs > 0 ? minFrames : 0;
  }

  /** The face to follow on the frame at `t`, or undefined: run the detector. */
  trackFor(t: number): FaceTrack | undefined {
    if (this.#track === undefined || this.#intervalMs <= 0) return undefined;
    return t - this.#detectedAt < this.#intervalMs || this.#followed + 1 < this.#minFrames ? this.#track : undefined;
  }

  update(o: Observed, t: number): void {
    this.#track = o.track;
    if (o.tracked) this.#followed++;
    else {
      this.#detectedAt = t;
      this.#followed = 0;
    }
  }
}

export async function observeFrame(
  analyzer: FaceAnalyzerLike,
  frame: RawFrame,
  t: number,
  stages: readonly FaceStage[],
  previous?: FaceGrid,
  track?: FaceTrack,
): Promise<Observed> {
  const t0 = performance.now();
  const r = await analyzer.analyze(frame, { stages, maxFaces: 1, ...(track !== undefined ? { track } : {}) });
  const face = r.faces[0];
  const other = r.faces[1];
  let artefacts;
  let grid: FaceGrid | undefined;
  let eyeCrop;
  if (face) {
    const m = measureArtefacts(frame, face.box, previous);
    artefacts = m.sample;
    grid = m.grid;
    eyeCrop = measureEyeCrops(frame, face.fivePoints);
  }
  return {
    observation: {
      t,
      width: r.width,
      height: r.height,
      faceCount: r.faces.length,
      ...(other ? { otherFaceSize: other.box.y2 - other.box.y1 } : {}),
      ...(face ? { face } : {}),
      ...(artefacts ? { artefacts } : {}),
      ...(eyeCrop ? { eyeCrop } : {}),
      analyzeMs: performance.now() - t0,
    },
    grid,
    track: face?.landmarks !== undefined && r.faces.length === 1 ? { box: face.box, score: face.score, landmarks: face.landmarks } : undefined,
    tracked: face?.tracked === true,
    queueMs: r.queueMs ?? 0,
  };
}

/**
 * The observation as if only `stages` had run on its frame: drops what the
 * analyzer would have left out (and takes frontalness from the landmarks when
 * pose did not run, as the analyzer does). Replays an all-stage recording
 * under the session's stage schedule (eval:liveness, tests).
 */
export function restrictObservation(obs: Observation, stages: readonly FaceStage[]): Observation {
  const f = obs.face;
  if (f === undefined) return obs;
  const has = (s: FaceStage): boolean => stages.includes(s);
  const { pose, eyes, live, embedding, quality, ...rest } = f;
  let q = has('quality') ? quality : undefined;
  if (q !== undefined && pose !== undefined && !has('pose') && f.landmarks !== undefined) {
    q = { ...q, frontalness: frontalnessFromPose(poseFromLandmarks(f.landmarks)) };
  }
  const face: NonNullable<Observation['face']> = {
    ...rest,
    ...(pose !== undefined && has('pose') ? { pose } : {}),
    ...(eyes !== undefined && has('eyes') ? { eyes } : {}),
    ...(live !== undefined && has('liveness') ? { live } : {}),
    ...(embedding !== undefined && has('embedding') ? { embedding } : {}),
    ...(q !== undefined ? { quality: q } : {}),
  };
  return { ...obs, face };
}
