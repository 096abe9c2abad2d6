// Synthetic observations for unit tests of the session state machine: a face
// whose eyes, head turn, identity and pixel cues a test dictates frame by frame.
import type { Point } from '../../../models/types.ts';
import type { EyeCropSample } from '../../../src/engine/signals/eyeCrop.ts';
import type { ArtefactSample, EngineMessage, EngineSink, Observation } from '../../../src/engine/types.ts';

export interface FaceSpec {
  readonly closed?: number;
  /** Nose-outline ratio (0.5 frontal). */
  readonly ratio?: number;
  readonly yaw?: number;
  readonly embedding?: Float32Array;
  readonly faceCount?: number;
  readonly artefacts?: Partial<ArtefactSample>;
  readonly frontalness?: number;
  readonly size?: number;
  /** Eye-crop cue (absent: not measured). */
  readonly eyeCrop?: EyeCropSample;
  /** Passive live probability (default 0.5). */
  readonly live?: number;
}

/** A unit vector along axis `k` with a little per-frame noise, as a stable identity. */
export function identity(k: number, noise = 0, seed = 1): Float32Array {
  const v = new Float32Array(512);
  let s = seed;
  for (let i = 0; i < v.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = (s / 2147483648 - 0.5) * noise;
  }
  v[k] = (v[k] ?? 0) + 1;
  return v;
}

/**
 * Box-relative 68 points of a frontal face (the mean over the frontal faces of
 * ../shared/faces, pose model within 8 degrees), so code that reads the whole
 * shape (the landmark pose) sees a face.
 */
const FRONTAL_SHAPE: readonly number[] = [0.097,0.36,0.101,0.465,0.115,0.57,0.134,0.674,0.169,0.772,0.229,0.859,0.305,0.932,0.393,0.992,0.498,1.008,0.605,0.99,0.696,0.929,0.775,0.854,0.835,0.765,0.867,0.663,0.881,0.555,0.89,0.448,0.891,0.339,0.149,0.296,0.194,0.245,0.267,0.23,0.342,0.241,0.412,0.271,0.543,0.271,0.614,0.239,0.69,0.226,0.765,0.238,0.816,0.287,0.478,0.35,0.479,0.423,0.48,0.495,0.481,0.569,0.401,0.608,0.441,0.623,0.484,0.635,0.529,0.621,0.57,0.606,0.233,0.361,0.275,0.334,0.33,0.335,0.376,0.371,0.326,0.38,0.273,0.379,0.588,0.369,0.633,0.332,0.687,0.329,0.732,0.354,0.692,0.373,0.638,0.375,0.331,0.728,0.388,0.711,0.445,0.701,0.488,0.711,0.53,0.7,0.592,0.708,0.656,0.722,0.597,0.785,0.537,0.812,0.491,0.818,0.445,0.813,0.388,0.788,0.355,0.733,0.446,0.734,0.489,0.739,0.532,0.733,0.632,0.728,0.533,0.761,0.489,0.766,0.446,0.761];

export function landmarksFor(ratio: number, x1: number, y1: number, size: number): Point[] {
  const pts: Point[] = [];
  for (let i = 0; i < 68; i++) pts.push({ x: x1 + FRONTAL_SHAPE[2 * i]! * size, y: y1 + FRONTAL_SHAPE[2 * i + 1]! * size });
  pts[0] = { x: x1 + 0.05 * size, y: y1 + 0.45 * size };
  pts[16] = { x: x1 + 0.95 * size, y: y1 + 0.45 * size };
  pts[30] = { x: x1 + (0.05 + 0.9 * ratio) * size, y: y1 + 0.6 * size };
  return pts;
}

let frameCounter = 0;

export function obs(t: number, spec: FaceSpec = {}): Observation {
  const width = 640;
  const height = 480;
  const size = spec.size ?? 220;
  const x1 = width / 2 - size / 2;
  const y1 = height / 2 - size / 2;
  const faceCount = spec.faceCount ?? 1;
  if (faceCount === 0) return { t, width, height, faceCount: 0 };
  const closed = spec.closed ?? 0.05;
  const ratio = spec.ratio ?? 0.5;
  frameCounter++;
  const artefacts: ArtefactSample = {
    hfRatio: 0.2,
    edgeFrame: 0.05,
    glare: 0,
    blueCast: -0.1,
    saturation: 0.3,
    // A live scene always changes a little between frames.
    temporalDiff: 3 + (frameCounter % 3),
    cellDiff: 0.8 + 0.2 * (frameCounter % 3),
    skinRgb: [150, 110, 90],
    ...spec.artefacts,
  };
  return {
    t,
    width,
    height,
    faceCount,
    face: {
      box: { x1, y1, x2: x1 + size, y2: y1 + size },
      landmarks: landmarksFor(ratio, x1, y1, size),
      fivePoints: [
        { x: x1 + 0.3 * size, y: y1 + 0.4 * size },
        { x: x1 + 0.7 * size, y: y1 + 0.4 * size },
        { x: x1 + (0.05 + 0.9 * ratio) * size, y: y1 + 0.6 * size + (frameCounter % 2) },
        { x: x1 + 0.35 * size, y: y1 + 0.8 * size },
        { x: x1 + 0.65 * size, y: y1 + 0.8 * size },
      ],
      pose: { yaw: spec.yaw ?? 0, pitch: -8, roll: 0 },
      eyes: { leftClosed: closed, rightClosed: closed },
      live: spec.live ?? 0.5,
      quality: { faceSize: size, sharpness: 500, brightness: 120, frontalness: spec.frontalness ?? 0.9 },
      embedding: spec.embedding ?? identity(0, 0.02, frameCounter),
    },
    artefacts,
    ...(spec.eyeCrop ? { eyeCrop: spec.eyeCrop } : {}),
  };
}

/** A sink that keeps every message for assertions. */
export class RecordingSink implements EngineSink {
  readonly messages: EngineMessage[] = [];

  send(m: EngineMessage): void {
    this.messages.push(m);
  }

  of<T extends EngineMessage['type']>(type: T): Extract<EngineMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<EngineMessage, { type: T }> => m.type === type);
  }
}
