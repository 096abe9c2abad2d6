// Evaluation of the eye-crop occlusion cue on still photos (eval:liveness
// --occlusion and the tests): each photo as it is (false-occlusion rate) and
// with synthetic occlusions painted over both eyes (hit rate): a black patch,
// dark sunglasses, a skin-coloured patch. Evaluation tooling: product code
// never needs it.
import type { FaceAnalyzerLike, Point, RawFrame } from '../../../models/types.ts';
import { eyesOccluded, gateFrame, DEFAULT_GATE_OPTIONS, type GateOptions } from '../../../src/engine/frameGate.ts';
import { measureEyeCrops, type EyeCropSample } from '../../../src/engine/signals/eyeCrop.ts';
import { median } from '../../../common/vector.ts';

export type OcclusionKind = 'none' | 'black_patch' | 'sunglasses' | 'skin_patch';
export const OCCLUSION_KINDS: readonly OcclusionKind[] = ['none', 'black_patch', 'sunglasses', 'skin_patch'];

/** A copy of `frame` with `kind` painted over both eyes located by `fivePoints`. */
export function paintOcclusion(frame: RawFrame, fivePoints: readonly Point[], kind: OcclusionKind): RawFrame {
  if (kind === 'none') return frame;
  const le = fivePoints[0];
  const re = fivePoints[1];
  if (!le || !re) throw new TypeError('paintOcclusion() needs the eye points');
  const data = new Uint8Array(frame.data);
  const bgr = frame.format === 'bgr24';
  const d = Math.hypot(re.x - le.x, re.y - le.y);
  const at = (x: number, y: number): number => y * frame.stride + x * 3;
  const inFrame = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < frame.width && y < frame.height;
  const set = (x: number, y: number, c: readonly [number, number, number]): void => {
    if (!inFrame(x, y)) return;
    const i = at(x, y);
    data[i + (bgr ? 2 : 0)] = Math.max(0, Math.min(255, Math.round(c[0])));
    data[i + 1] = Math.max(0, Math.min(255, Math.round(c[1])));
    data[i + (bgr ? 0 : 2)] = Math.max(0, Math.min(255, Math.round(c[2])));
  };
  // Skin colour: the cheeks under both eyes.
  const skin = [0, 0, 0];
  let n = 0;
  for (const e of [le, re]) {
    for (let y = Math.round(e.y + 0.45 * d); y < e.y + 0.7 * d; y++) {
      for (let x = Math.round(e.x - 0.15 * d); x < e.x + 0.15 * d; x++) {
        if (!inFrame(x, y)) continue;
        const i = at(x, y);
        skin[0]! += frame.data[i + (bgr ? 2 : 0)]!;
        skin[1]! += frame.data[i + 1]!;
        skin[2]! += frame.data[i + (bgr ? 0 : 2)]!;
        n++;
      }
    }
  }
  const sk = skin.map((v) => v / Math.max(1, n)) as [number, number, number];
  const cx = (le.x + re.x) / 2;
  const cy = (le.y + re.y) / 2;
  for (let y = Math.floor(cy - 0.6 * d); y < cy + 0.6 * d; y++) {
    for (let x = Math.floor(le.x - 0.8 * d); x < re.x + 0.8 * d; x++) {
      const inBand = x >= le.x - 0.5 * d && x <= re.x + 0.5 * d && Math.abs(y - cy) <= 0.3 * d;
      // A little texture, as a real patch or hand has.
      const grain = ((x * 7 + y * 13) % 5) - 2;
      if (kind === 'black_patch' && inBand) set(x, y, [8 + grain, 8 + grain, 8 + grain]);
      else if (kind === 'skin_patch' && inBand) set(x, y, [sk[0] + grain, sk[1] + grain, sk[2] + grain]);
      else if (kind === 'sunglasses') {
        const lens = (e: Point): boolean => ((x - e.x) / (0.45 * d)) ** 2 + ((y - e.y) / (0.32 * d)) ** 2 <= 1;
        const bridge = x > le.x && x < re.x && Math.abs(y - (cy - 0.1 * d)) < 0.04 * d;
        if (lens(le) || lens(re) || bridge) {
          const g = 25 + (10 * (y - cy)) / d;
          set(x, y, [g, g, g + 5]);
        }
      }
    }
  }
  return { ...frame, data };
}

export interface OcclusionRow {
  readonly kind: OcclusionKind;
  /** Photos the kind was painted on (those with a face and eye points as they are). */
  readonly photos: number;
  /** No face found any more after painting (a rejection too, but not the eye-crop cue's). */
  readonly noFace: number;
  /** Gated 'occluded' (landmark geometry or eye crops) on the single frame. */
  readonly occluded: number;
  /** The eye-crop cue alone says covered. */
  readonly eyeCue: number;
  /** eyeLuma / eyeContrast medians over the photos measured. */
  readonly eyeLuma: number;
  readonly eyeContrast: number;
  readonly values: readonly EyeCropSample[];
}

/**
 * Each frame as it is and with every synthetic occlusion: the analyzer is run
 * again on the painted frame (the landmarks move when the eyes are covered).
 */
export async function evaluateOcclusion(
  analyzer: FaceAnalyzerLike,
  frames: AsyncIterable<RawFrame> | Iterable<RawFrame>,
  options: GateOptions = DEFAULT_GATE_OPTIONS,
): Promise<OcclusionRow[]> {
  const acc = new Map<OcclusionKind, { photos: number; noFace: number; occluded: number; eyeCue: number; values: EyeCropSample[] }>(
    OCCLUSION_KINDS.map((k) => [k, { photos: 0, noFace: 0, occluded: 0, eyeCue: 0, values: [] }]),
  );
  for await (const frame of frames) {
    const base = (await analyzer.analyze(frame, { stages: ['landmarks', 'quality'], maxFaces: 1 })).faces[0];
    if (!base?.fivePoints) continue;
    for (const kind of OCCLUSION_KINDS) {
      const a = acc.get(kind)!;
      a.photos++;
      const painted = paintOcclusion(frame, base.fivePoints, kind);
      const r = kind === 'none' ? { faces: [base], width: frame.width, height: frame.height } : await analyzer.analyze(painted, { stages: ['landmarks', 'quality'], maxFaces: 1 });
      const face = r.faces[0];
      if (!face) {
        a.noFace++;
        continue;
      }
      const eyeCrop = measureEyeCrops(painted, face.fivePoints);
      if (eyeCrop) a.values.push(eyeCrop);
      const covered = eyeCrop !== undefined && eyesOccluded(eyeCrop, options);
      if (covered) a.eyeCue++;
      const obs = { t: 0, width: frame.width, height: frame.height, faceCount: r.faces.length, face, ...(eyeCrop ? { eyeCrop } : {}) };
      if (gateFrame(obs, true, options, covered) === 'occluded') a.occluded++;
    }
  }
  return OCCLUSION_KINDS.map((kind) => {
    const a = acc.get(kind)!;
    return {
      kind,
      photos: a.photos,
      noFace: a.noFace,
      occluded: a.occluded,
      eyeCue: a.eyeCue,
      eyeLuma: median(a.values.map((v) => v.eyeLuma)),
      eyeContrast: median(a.values.map((v) => v.eyeContrast)),
      values: a.values,
    };
  });
}
