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

export function landmarksFor(ratio: number, x1: number, y1: number, size: number): Point[] {
  const pts: Point[] = [];
  for (let i = 0; i < 68; i++) pts.push({ x: x1 + size / 2, y: y1 + size / 2 });
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
