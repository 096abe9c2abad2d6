// Turns one raw frame into the engine's Observation: the face analyzer's
// output for the biggest face plus the pixel artefact cues around it.
import { frontalnessFromLandmarks } from '../../models/faceGeometry.ts';
import type { FaceAnalyzerLike, FaceStage, RawFrame } from '../../models/types.ts';
import { measureArtefacts, type FaceGrid } from './signals/artefacts.ts';
import { measureEyeCrops } from './signals/eyeCrop.ts';
import type { Observation } from './types.ts';

export interface Observed {
  readonly observation: Observation;
  /** Face grid for the next frame's temporal cue (undefined without a face). */
  readonly grid: FaceGrid | undefined;
}

export async function observeFrame(
  analyzer: FaceAnalyzerLike,
  frame: RawFrame,
  t: number,
  stages: readonly FaceStage[],
  previous?: FaceGrid,
): Promise<Observed> {
  const t0 = performance.now();
  const r = await analyzer.analyze(frame, { stages, maxFaces: 1 });
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
    q = { ...q, frontalness: frontalnessFromLandmarks(f.landmarks.flatMap((p) => [p.x, p.y])) };
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
