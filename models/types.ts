// Public types of the face-analysis layer (models/). Consumers (the liveness
// engine, the service) depend on these, never on onnxruntime or sharp directly.
// Extend freely; do not break existing fields.

/** A decoded frame: packed 8-bit pixels, 3 channels, row stride in bytes. */
export interface RawFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Bytes per row (>= width * 3). */
  readonly stride: number;
  readonly format: 'rgb24' | 'bgr24';
}

export type FaceStage = 'landmarks' | 'pose' | 'eyes' | 'liveness' | 'embedding' | 'quality';

export interface AnalyzeOptions {
  /** Stages to run after detection; detection always runs. Default: all but 'embedding'. */
  readonly stages?: readonly FaceStage[];
  /** Only analyse the N biggest faces (detection still reports the count). Default: all. */
  readonly maxFaces?: number;
  /**
   * The previous frame's one face (same camera, decoded frames only): detection
   * is skipped and the stages run on its box; the face's landmarks say where it
   * went. When they disagree with the track (it moved or scaled too far) the
   * frame is detected as usual. The face comes back with `tracked: true`.
   */
  readonly track?: FaceTrack;
}

/** Where a face was on the previous frame: its box and 68 landmarks. */
export interface FaceTrack {
  readonly box: Box;
  readonly score: number;
  readonly landmarks: readonly Point[];
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface FaceQuality {
  /** Face box height in pixels of the input frame. */
  readonly faceSize: number;
  /** Variance of the Laplacian of the gray face crop. */
  readonly sharpness: number;
  /** Mean gray level of the face crop, 0..255. */
  readonly brightness: number;
  /** 1 = frontal, 0 = profile or worse (from yaw/pitch). */
  readonly frontalness: number;
}

export interface Face {
  readonly box: Box;
  readonly score: number;
  /** 68 iBUG points in frame pixels (landmarks stage). */
  readonly landmarks?: readonly Point[];
  /** Eyes (L, R), nose, mouth L, mouth R in frame pixels (landmarks stage). */
  readonly fivePoints?: readonly Point[];
  /** Degrees (pose stage). */
  readonly pose?: { readonly yaw: number; readonly pitch: number; readonly roll: number };
  /** Probability each eye is closed (eyes stage). */
  readonly eyes?: { readonly leftClosed: number; readonly rightClosed: number };
  /** Passive anti-spoof live probability (liveness stage). */
  readonly live?: number;
  readonly quality?: FaceQuality;
  /** L2-normalised 512-d embedding of the aligned face (embedding stage). */
  readonly embedding?: Float32Array;
  /** Found by following AnalyzeOptions.track, not by the detector (other faces would not be seen). */
  readonly tracked?: boolean;
}

export interface AnalyzeResult {
  /** Faces, biggest first. */
  readonly faces: readonly Face[];
  readonly width: number;
  readonly height: number;
  /** Milliseconds per stage for this call. */
  readonly timings: Readonly<Record<string, number>>;
  /** Milliseconds the call waited behind earlier calls before it started (one analysis runs at a time). */
  readonly queueMs?: number;
}

/** The seam the liveness engine and the service use (fakeable in unit tests). */
export interface FaceAnalyzerLike {
  analyze(input: RawFrame | Uint8Array, options?: AnalyzeOptions): Promise<AnalyzeResult>;
  close(): Promise<void>;
}
