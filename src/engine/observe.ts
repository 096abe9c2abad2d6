// Turns one raw frame into the engine's Observation: the face analyzer's
// output for the biggest face plus the pixel artefact cues around it.
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
