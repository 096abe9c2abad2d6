// SessionEngine for single uploaded frames (REST fallback): gates on face
// count, size and frontalness, and returns the embedding of a usable face.
// It records the passive anti-spoof probability as a score but does not
// decide liveness on one frame (see ../shared/MODELS.md: passive alone does
// not separate replays); temporal liveness belongs to the liveness engine.
import type { FaceAnalyzerLike } from '../../models/types.ts';
import type { FrameInput, FrameStep, SessionEngine } from './SessionEngine.ts';
import type { SessionRecord } from '../../common/session.ts';

export interface FrameEngineOptions {
  /** Minimum face box height in pixels. */
  readonly minFaceSize?: number;
  /** Minimum frontalness (1 = frontal). */
  readonly minFrontalness?: number;
}

export class FrameEngine implements SessionEngine {
  readonly #analyzer: FaceAnalyzerLike;
  readonly #minFaceSize: number;
  readonly #minFrontalness: number;

  constructor(analyzer: FaceAnalyzerLike, options: FrameEngineOptions = {}) {
    this.#analyzer = analyzer;
    this.#minFaceSize = options.minFaceSize ?? 64;
    this.#minFrontalness = options.minFrontalness ?? 0.5;
  }

  async processFrame(_session: SessionRecord, input: FrameInput): Promise<FrameStep> {
    const r = await this.#analyzer.analyze(await input.pixels(), { stages: ['landmarks', 'pose', 'quality', 'liveness', 'embedding'], maxFaces: 2 });
    const timings = r.timings;
    if (r.faces.length === 0) return { kind: 'retry', reason: 'no_face', scores: { faces: 0 }, timings };
    if (r.faces.length > 1) return { kind: 'retry', reason: 'multiple_faces', scores: { faces: r.faces.length }, timings };
    const face = r.faces[0]!;
    const scores: Record<string, number> = { faces: 1, detection: face.score };
    if (face.live !== undefined) scores.passiveLive = face.live;
    if (face.quality) {
      scores.faceSize = face.quality.faceSize;
      scores.sharpness = face.quality.sharpness;
      scores.brightness = face.quality.brightness;
      scores.frontalness = face.quality.frontalness;
    }
    const size = face.quality?.faceSize ?? face.box.y2 - face.box.y1;
    if (size < this.#minFaceSize) return { kind: 'retry', reason: 'face_too_small', scores, timings };
    if (face.quality && face.quality.frontalness < this.#minFrontalness) {
      return { kind: 'retry', reason: 'poor_quality', scores, timings };
    }
    if (!face.embedding) return { kind: 'retry', reason: 'poor_quality', scores, timings };
    return { kind: 'sample', embedding: face.embedding, scores, timings };
  }
}
