// FaceAnalyzer: one frame in, the faces in it out, biggest first, with the
// stages the caller asked for (landmarks, pose, eyes, passive liveness,
// embedding, quality). Implements the recipe of models/README.md on top of
// ModelRegistry sessions and the typed-array kernels: each model input is one
// fused sampling pass into a Float32Array that is allocated once and reused,
// and calls are serialised so those buffers are never shared by two frames.
// With two or more cores, the box-only stages (liveness, pose) run on a
// StageWorker thread while this thread runs landmarks, eyes and embedding.
import os from 'node:os';
import ort from 'onnxruntime-node';
import { clamp01, l2normalize, median } from '../common/vector.ts';
import { BoxStages, type HeadPose } from './BoxStages.ts';
import { decodeImage, type DecodeLimits } from './decodeImage.ts';
import {
  ALIGN_REFERENCE,
  boxArea,
  decodeDetections,
  eyeCropRects,
  fivePointsFrom68,
  frontalnessFromPose,
  intBox,
  invertSimilarity,
  letterbox,
  scaledCropRect,
  similarityTransform,
  softmax,
  type Detection,
} from './faceGeometry.ts';
import {
  cropView,
  GRAY_MODEL,
  laplacianStats,
  padFrame,
  resizeToTensor,
  warpAffineToTensor,
  type TensorSpec,
} from './imageKernels.ts';
import { ModelRegistry, type ModelName, type ModelRegistryOptions } from './ModelRegistry.ts';
import { poseFromLandmarks } from './landmarkPose.ts';
import { StageWorker, type SharedFrame, type StageResult } from './StageWorker.ts';
import type {
  AnalyzeOptions,
  AnalyzeResult,
  Box,
  Face,
  FaceAnalyzerLike,
  FaceQuality,
  FaceStage,
  FaceTrack,
  Point,
  RawFrame,
} from './types.ts';

export { frontalnessFromPose };

export const FACE_STAGES: readonly FaceStage[] = ['landmarks', 'pose', 'eyes', 'liveness', 'embedding', 'quality'];
/** Stages run when AnalyzeOptions.stages is not given. */
export const DEFAULT_STAGES: readonly FaceStage[] = ['landmarks', 'pose', 'eyes', 'liveness', 'quality'];

/** Detector score threshold of the recipe. */
export const DETECT_THRESHOLD = 0.65;
const NMS_IOU = 0.4;
const NMS_TOP_K = 750;
const DET_W = 320;
const DET_H = 240;
/** Photos whose long side is at most this are tight crops: detect on a grey-padded copy. */
const SMALL_STILL_SIDE = 256;
/**
 * A followed face is lost when its landmarks' centroid moved more than this
 * fraction of the box side since the previous frame, or their spread changed by
 * more than this factor: the box the stages ran on no longer frames it.
 */
const TRACK_MAX_SHIFT = 0.15;
const TRACK_MAX_SCALE = 1.2;

const SPEC_DETECT: TensorSpec = { layout: 'bgr', mean: [127, 127, 127], mul: [1 / 128, 1 / 128, 1 / 128] };
const SPEC_LANDMARK: TensorSpec = { layout: 'gray', mean: [0, 0, 0], mul: [1 / 256, 0, 0], grayWeights: GRAY_MODEL };
const SPEC_FEATURE: TensorSpec = { layout: 'rgb', mean: [127, 127, 127], mul: [1 / 128, 1 / 128, 1 / 128] };
const SPEC_EYE: TensorSpec = { layout: 'gray', mean: [0, 0, 0], mul: [1 / 255, 0, 0], grayWeights: GRAY_MODEL };
/** Milliseconds a worker round trip adds (message + wake-up), for the split decision. */
const WORKER_OVERHEAD_MS = 0.3;

export interface FaceAnalyzerOptions extends ModelRegistryOptions {
  /** Use these sessions instead of opening new ones; the analyzer will not close them. */
  readonly registry?: ModelRegistry;
  /** Detector score threshold (default 0.65). */
  readonly detectThreshold?: number;
  /** Limits for encoded input (see decodeImage). */
  readonly decodeLimits?: DecodeLimits;
  /**
   * Run liveness and pose on a worker thread, overlapping the other stages.
   * 'auto' (the default with two or more cores) measures both ways as it goes
   * and keeps the faster: on an oversubscribed machine the hand-off to another
   * thread can cost more than the overlap saves. true: always; false: never.
   */
  readonly parallel?: boolean | 'auto';
}

/**
 * Recent wall times (ms) of the per-face stages done inline vs with the
 * worker, per stage set. Medians of short windows: one slow frame on a busy
 * machine must not flip the choice.
 */
interface ModeStats {
  readonly inline: number[];
  readonly worker: number[];
  count: number;
}

const MODE_WINDOW = 5;
/** Samples of each way taken before the faster one is preferred. */
const MODE_MIN_SAMPLES = 3;

/** In 'auto' mode, one face in this many is run the other way to keep both estimates fresh. */
const PROBE_EVERY = 8;

type BoxStage = 'liveness' | 'pose';

/** One reusable model input: the buffer the kernels write and the tensor that wraps it. */
interface Input {
  readonly data: Float32Array;
  readonly tensor: ort.Tensor;
  readonly session: ort.InferenceSession;
}

type Timings = Record<string, number>;

/** A Face while its stages fill it in. */
interface FaceDraft {
  box: Box;
  score: number;
  landmarks?: Point[];
  fivePoints?: Point[];
  pose?: { yaw: number; pitch: number; roll: number };
  eyes?: { leftClosed: number; rightClosed: number };
  live?: number;
  quality?: FaceQuality;
  embedding?: Float32Array;
}

export class FaceAnalyzer implements FaceAnalyzerLike {
  readonly #registry: ModelRegistry;
  readonly #ownsRegistry: boolean;
  readonly #threshold: number;
  readonly #decodeLimits: DecodeLimits;
  readonly #inputs: Partial<Record<ModelName, Input>> = {};
  readonly #landmarks = new Float64Array(136);
  readonly #boxStages: BoxStages;
  readonly #worker: StageWorker | undefined;
  /** Running estimate of each stage's cost (ms), to split the work between the threads. */
  readonly #cost: Record<FaceStage, number> = { landmarks: 0.7, eyes: 0.5, embedding: 10, liveness: 6.5, pose: 4.6, quality: 0.1 };
  #shared: SharedArrayBuffer | undefined;
  readonly #auto: boolean;
  readonly #modeStats = new Map<string, ModeStats>();
  #queue: Promise<unknown> = Promise.resolve();
  /** Calls waiting behind the running one. */
  #waiting = 0;
  #closed = false;

  private constructor(
    registry: ModelRegistry,
    ownsRegistry: boolean,
    worker: StageWorker | undefined,
    options: FaceAnalyzerOptions,
  ) {
    this.#registry = registry;
    this.#ownsRegistry = ownsRegistry;
    this.#worker = worker;
    this.#auto = (options.parallel ?? 'auto') === 'auto';
    this.#boxStages = new BoxStages(registry);
    this.#threshold = options.detectThreshold ?? DETECT_THRESHOLD;
    this.#decodeLimits = options.decodeLimits ?? {};
    for (const info of registry.info()) {
      // Liveness and pose inputs live in BoxStages (and in the worker).
      if (info.name === 'liveness' || info.name === 'pose') continue;
      const size = info.inputShape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      this.#inputs[info.name] = {
        data,
        tensor: new ort.Tensor('float32', data, info.inputShape),
        session: registry.session(info.name),
      };
    }
  }

  /** Opens (or borrows) the model sessions; throws ModelError when a model is missing or altered. */
  static async create(options: FaceAnalyzerOptions = {}): Promise<FaceAnalyzer> {
    const t = options.detectThreshold;
    if (t !== undefined && !(t > 0 && t < 1)) throw new TypeError(`detectThreshold must be in (0, 1), got ${t}`);
    const registry = options.registry ?? (await ModelRegistry.open(options));
    const owns = options.registry === undefined;
    let worker: StageWorker | undefined;
    const p = options.parallel ?? 'auto';
    if (p !== true && p !== false && p !== 'auto') throw new TypeError(`parallel must be true, false or 'auto'`);
    const parallel = p === true || (p === 'auto' && os.availableParallelism() >= 2);
    if (parallel && registry.has('liveness') && registry.has('pose')) {
      try {
        worker = await StageWorker.start({ dir: registry.dir, intraOpThreads: registry.intraOpThreads });
      } catch (e) {
        if (owns) await registry.close();
        throw e;
      }
    }
    return new FaceAnalyzer(registry, owns, worker, options);
  }

  /** True while a worker thread is available for liveness and pose (in 'auto' mode it may still run inline). */
  get parallel(): boolean {
    return this.#worker?.alive ?? false;
  }

  get registry(): ModelRegistry {
    return this.#registry;
  }

  /**
   * Finds the faces in a decoded frame or encoded JPEG/PNG/WebP bytes and runs
   * the requested stages on the biggest `maxFaces`. Encoded input that cannot be
   * used rejects with an ImageError; the analyzer stays usable.
   */
  analyze(input: RawFrame | Uint8Array, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
    if (this.#closed) return Promise.reject(new Error('FaceAnalyzer is closed'));
    const stages = new Set<FaceStage>(options.stages ?? DEFAULT_STAGES);
    for (const s of stages) {
      if (!FACE_STAGES.includes(s)) return Promise.reject(new TypeError(`unknown stage ${String(s)}`));
    }
    const maxFaces = options.maxFaces ?? Infinity;
    if (!(maxFaces >= 0)) return Promise.reject(new TypeError(`maxFaces must be >= 0, got ${maxFaces}`));
    const track = options.track;
    if (track !== undefined && !validTrack(track)) return Promise.reject(new TypeError('track needs a finite box, a score and 68 landmarks'));
    const queued = performance.now();
    this.#waiting++;
    const run = this.#queue.then(() => {
      this.#waiting--;
      return this.#analyze(input, stages, maxFaces, track, performance.now() - queued);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.#worker?.close();
    if (this.#ownsRegistry) await this.#registry.close();
  }

  /** `queueMs`: how long the call waited behind earlier ones (AnalyzeResult.queueMs). */
  async #analyze(input: RawFrame | Uint8Array, stages: Set<FaceStage>, maxFaces: number, track: FaceTrack | undefined, queueMs: number): Promise<AnalyzeResult> {
    const t0 = performance.now();
    const timings: Timings = {};
    let frame: RawFrame;
    const still = input instanceof Uint8Array;
    if (still) {
      frame = await decodeImage(input, this.#decodeLimits);
      timings.decode = performance.now() - t0;
    } else {
      frame = input;
      checkRawFrame(frame);
      if (track !== undefined && maxFaces >= 1) {
        const face = await this.#follow(frame, track, stages, timings);
        if (face !== undefined) {
          timings.total = performance.now() - t0;
          return { faces: [face], width: frame.width, height: frame.height, timings, queueMs };
        }
      }
    }
    // Tight crops (ID photos, thumbnails) leave the detector no context: look at a
    // grey-padded copy first, or when nothing is found in the original.
    let work = frame;
    let px = 0;
    let py = 0;
    let dets: Detection[] = [];
    const smallStill = still && Math.max(frame.width, frame.height) <= SMALL_STILL_SIDE;
    if (!smallStill) dets = await this.#detect(frame, timings);
    if (still && dets.length === 0) {
      px = Math.round(frame.width * 0.5);
      py = Math.round(frame.height * 0.5);
      work = padFrame(frame, px, py, 127);
      dets = await this.#detect(work, timings);
    }
    dets.sort((a, b) => boxArea(b) - boxArea(a));

    const needLandmarks = stages.has('landmarks') || stages.has('eyes') || stages.has('embedding') || stages.has('quality');
    // The worker reads the frame from shared memory (copied there once, on first
    // use in this call); padded stills stay on this thread.
    const canShare = work === frame && (stages.has('liveness') || stages.has('pose')) && this.#worker?.alive === true;
    let sharedFrame: SharedFrame | undefined;
    const shared = canShare ? (): SharedFrame => (sharedFrame ??= this.#share(frame)) : undefined;
    const faces: Face[] = [];
    for (let i = 0; i < dets.length; i++) {
      const det = dets[i]!;
      if (i >= maxFaces) {
        faces.push({ box: shiftBox(det, px, py, frame), score: det.score });
        continue;
      }
      faces.push(await this.#analyzeFace(work, frame, shared, det, px, py, stages, needLandmarks, timings));
    }
    timings.total = performance.now() - t0;
    return { faces, width: frame.width, height: frame.height, timings, queueMs };
  }

  /**
   * The stages on the previous frame's box, landmarks always: the face is
   * followed when its landmarks moved less than TRACK_MAX_SHIFT of the box side
   * and kept their spread within TRACK_MAX_SCALE; otherwise undefined (detect).
   */
  async #follow(frame: RawFrame, track: FaceTrack, stages: Set<FaceStage>, timings: Timings): Promise<Face | undefined> {
    const t = performance.now();
    const b = track.box;
    if (!(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= frame.width && b.y2 <= frame.height && b.x2 - b.x1 >= 8 && b.y2 - b.y1 >= 8)) return undefined;
    const det: Detection = { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, score: track.score };
    const withLm = new Set<FaceStage>(stages).add('landmarks');
    const canShare = (stages.has('liveness') || stages.has('pose')) && this.#worker?.alive === true;
    let sharedFrame: SharedFrame | undefined;
    const shared = canShare ? (): SharedFrame => (sharedFrame ??= this.#share(frame)) : undefined;
    const face = await this.#analyzeFace(frame, frame, shared, det, 0, 0, withLm, true, timings);
    const moved = trackMotion(track.landmarks, face.landmarks!);
    const side = b.y2 - b.y1;
    add(timings, 'track', t);
    if (!(Math.hypot(moved.dx, moved.dy) <= TRACK_MAX_SHIFT * side && moved.scale <= TRACK_MAX_SCALE && moved.scale >= 1 / TRACK_MAX_SCALE)) return undefined;
    const cx = (v: number): number => Math.min(Math.max(v, 0), frame.width);
    const cy = (v: number): number => Math.min(Math.max(v, 0), frame.height);
    const box = { x1: cx(b.x1 + moved.dx), y1: cy(b.y1 + moved.dy), x2: cx(b.x2 + moved.dx), y2: cy(b.y2 + moved.dy) };
    return { ...face, box, tracked: true };
  }

  async #detect(frame: RawFrame, timings: Timings): Promise<Detection[]> {
    const t = performance.now();
    const inp = this.#input('detect');
    const lb = letterbox(frame.width, frame.height, DET_W, DET_H);
    resizeToTensor(frame, lb.rw, lb.rh, inp.data, SPEC_DETECT, DET_W, DET_H, 127);
    const out = await inp.session.run({ input: inp.tensor });
    const dets = decodeDetections(out.scores!.data as Float32Array, out.boxes!.data as Float32Array, {
      inW: DET_W,
      inH: DET_H,
      frameW: frame.width,
      frameH: frame.height,
      lb,
      threshold: this.#threshold,
      iou: NMS_IOU,
      topK: NMS_TOP_K,
    });
    add(timings, 'detect', t);
    return dets;
  }

  async #analyzeFace(
    work: RawFrame,
    original: RawFrame,
    shared: (() => SharedFrame) | undefined,
    det: Detection,
    px: number,
    py: number,
    stages: Set<FaceStage>,
    needLandmarks: boolean,
    timings: Timings,
  ): Promise<Face> {
    const face: FaceDraft = { box: shiftBox(det, px, py, original), score: det.score };
    const tFace = performance.now();
    const { offload, stats } = this.#planOffload(shared !== undefined, stages, needLandmarks);
    let job: Promise<StageResult | Error> | undefined;
    if (offload.length > 0) {
      job = this.#worker!.run(shared!(), det, { liveness: offload.includes('liveness'), pose: offload.includes('pose') }).catch(
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
    }
    const landmarks = needLandmarks ? await this.#landmarkStages(work, det, px, py, stages, timings, face) : undefined;
    const { live, pose } = await this.#boxStagesFor(job, offload, work, original, det, px, py, stages, timings);
    if (live !== undefined) face.live = live;
    if (pose !== undefined) face.pose = pose;
    if (stats !== undefined) {
      const window = offload.length > 0 ? stats.worker : stats.inline;
      window.push(performance.now() - tFace);
      if (window.length > MODE_WINDOW) window.shift();
    }
    if (stages.has('quality') && landmarks?.cropStats !== undefined) {
      const t = performance.now();
      face.quality = {
        faceSize: face.box.y2 - face.box.y1,
        sharpness: landmarks.cropStats.variance,
        brightness: landmarks.cropStats.mean,
        // Without the pose model: the landmark pose (models/landmarkPose.ts, measured against the model).
        frontalness: frontalnessFromPose(face.pose ?? poseFromLandmarks(face.landmarks!)),
      };
      add(timings, 'quality', t);
    }
    return face;
  }

  /** Which box-only stages go to the worker for this face, and the mode window the face's time lands in. */
  #planOffload(canShare: boolean, stages: Set<FaceStage>, needLandmarks: boolean): { offload: BoxStage[]; stats: ModeStats | undefined } {
    let offload = canShare ? this.#split(stages, needLandmarks) : [];
    let stats: ModeStats | undefined;
    // 'auto' with calls queued: the node is saturated, the worker's core is busy
    // with other work anyway, and handing stages over costs CPU (models/README.md).
    if (offload.length > 0 && this.#auto && this.#waiting > 0) offload = [];
    if (offload.length > 0 && this.#auto) {
      const key = [...stages].sort().join(',');
      stats = this.#modeStats.get(key) ?? { inline: [], worker: [], count: 0 };
      this.#modeStats.set(key, stats);
      if (!this.#preferWorker(stats)) offload = [];
    }
    return { offload, stats };
  }

  /**
   * The stages that need the 68 landmarks: landmarks, eyes, embedding (and the
   * quality crop's statistics, taken from the landmark input). Fills `face`.
   */
  async #landmarkStages(
    work: RawFrame,
    det: Detection,
    px: number,
    py: number,
    stages: Set<FaceStage>,
    timings: Timings,
    face: FaceDraft,
  ): Promise<{ lm: Float64Array; cropStats: { mean: number; variance: number } | undefined }> {
    const ib = intBox(det);
    let t = performance.now();
    const inp = this.#input('landmark');
    resizeToTensor(cropView(work, scaledCropRect(work.width, work.height, ib, 1)), 64, 64, inp.data, SPEC_LANDMARK);
    // The 64x64 gray face is also the quality crop: size-normalised, so sharpness compares across distances.
    const cropStats = stages.has('quality') ? laplacianStats(inp.data, 64, 64, 256) : undefined;
    const o = (await inp.session.run({ input: inp.tensor })).output!.data as Float32Array;
    const lm = this.#landmarks;
    for (let k = 0; k < 68; k++) {
      lm[2 * k] = o[2 * k]! * ib.w + ib.x;
      lm[2 * k + 1] = o[2 * k + 1]! * ib.h + ib.y;
    }
    const pts: Point[] = new Array<Point>(68);
    for (let k = 0; k < 68; k++) pts[k] = { x: lm[2 * k]! - px, y: lm[2 * k + 1]! - py };
    face.landmarks = pts;
    face.fivePoints = fivePointsFrom68(lm).map((p) => ({ x: p.x - px, y: p.y - py }));
    this.#observe('landmarks', performance.now() - t, timings);

    if (stages.has('eyes')) {
      t = performance.now();
      const eye = this.#input('eye');
      const closed: number[] = [];
      for (const r of eyeCropRects(lm, work.width, work.height)) {
        resizeToTensor(cropView(work, r), 24, 24, eye.data, SPEC_EYE);
        const p = softmax((await eye.session.run({ input: eye.tensor })).output!.data as Float32Array);
        closed.push(p[0]!);
      }
      face.eyes = { leftClosed: closed[0]!, rightClosed: closed[1]! };
      this.#observe('eyes', performance.now() - t, timings);
    }

    if (stages.has('embedding')) {
      t = performance.now();
      face.embedding = await this.#embed(work, lm);
      this.#observe('embedding', performance.now() - t, timings);
    }
    return { lm, cropStats };
  }

  /** Liveness and pose: those kept on this thread run while the worker (if any) does the rest. */
  async #boxStagesFor(
    job: Promise<StageResult | Error> | undefined,
    offload: readonly BoxStage[],
    work: RawFrame,
    original: RawFrame,
    det: Detection,
    px: number,
    py: number,
    stages: Set<FaceStage>,
    timings: Timings,
  ): Promise<{ live?: number | undefined; pose?: HeadPose | undefined }> {
    const inline = (['liveness', 'pose'] as const).filter((st) => stages.has(st) && !offload.includes(st));
    if (job === undefined) return this.#runBoxStages(inline, work, original, det, px, py, timings);
    // Stages kept on this thread run while the worker is still busy.
    const onMain = await this.#runBoxStages(inline, work, original, det, px, py, timings);
    const r = await job;
    // A dead worker: its stages run here now (and it reports alive = false from then on).
    const res = r instanceof Error ? await this.#runBoxStages(offload, work, original, det, px, py, timings) : r;
    if (!(r instanceof Error)) for (const [k, v] of Object.entries(r.ms)) this.#observe(k as FaceStage, v, timings);
    return { live: res.live ?? onMain.live, pose: res.pose ?? onMain.pose };
  }

  async #runBoxStages(
    which: readonly BoxStage[],
    work: RawFrame,
    original: RawFrame,
    det: Detection,
    px: number,
    py: number,
    timings: Timings,
  ): Promise<{ live?: number; pose?: HeadPose }> {
    const out: { live?: number; pose?: HeadPose } = {};
    if (which.includes('liveness')) {
      const t = performance.now();
      // The passive model judges the context around the face: feed the frame as
      // it came, never the grey-padded copy (a uniform border reads as a spoof).
      out.live = await this.#boxStages.liveness(original, shiftBox(det, px, py, original));
      this.#observe('liveness', performance.now() - t, timings);
    }
    if (which.includes('pose')) {
      const t = performance.now();
      out.pose = await this.#boxStages.pose(work, det);
      this.#observe('pose', performance.now() - t, timings);
    }
    return out;
  }

  async #embed(frame: RawFrame, lm: Float64Array): Promise<Float32Array> {
    const inp = this.#input('feature');
    const m = similarityTransform(fivePointsFrom68(lm), ALIGN_REFERENCE);
    warpAffineToTensor(frame, invertSimilarity(m), 112, 112, inp.data, SPEC_FEATURE, 0);
    return l2normalize((await inp.session.run({ input: inp.tensor })).output!.data as Float32Array);
  }

  /**
   * Which box-only stages to hand to the worker: the split that minimises the
   * longer of the two threads, from the running cost estimates.
   */
  #split(stages: Set<FaceStage>, needLandmarks: boolean): BoxStage[] {
    const c = this.#cost;
    let main = 0;
    if (needLandmarks) main += c.landmarks;
    if (stages.has('eyes')) main += c.eyes;
    if (stages.has('embedding')) main += c.embedding;
    const box = (['liveness', 'pose'] as const).filter((s) => stages.has(s));
    let best: BoxStage[] = [];
    let bestCost = main + box.reduce((a, s) => a + c[s], 0);
    for (let mask = 1; mask < 1 << box.length; mask++) {
      const off = box.filter((_, i) => mask & (1 << i));
      const onMain = box.filter((_, i) => !(mask & (1 << i)));
      const cost = Math.max(
        main + onMain.reduce((a, s) => a + c[s], 0),
        WORKER_OVERHEAD_MS + off.reduce((a, s) => a + c[s], 0),
      );
      if (cost < bestCost) {
        best = off;
        bestCost = cost;
      }
    }
    return best;
  }

  /** Auto mode: alternate until each way has a few samples, then the faster median, probing the other now and then. */
  #preferWorker(st: ModeStats): boolean {
    st.count++;
    if (st.worker.length < MODE_MIN_SAMPLES || st.inline.length < MODE_MIN_SAMPLES) {
      return st.worker.length <= st.inline.length;
    }
    const faster = median(st.worker) <= median(st.inline);
    return st.count % PROBE_EVERY === 0 ? !faster : faster;
  }

  #observe(stage: FaceStage, ms: number, timings: Timings): void {
    timings[stage] = (timings[stage] ?? 0) + ms;
    this.#cost[stage] = 0.9 * this.#cost[stage] + 0.1 * ms;
  }

  /** The frame in shared memory for the worker (copied unless it already is shared). */
  #share(frame: RawFrame): SharedFrame {
    const len = frame.stride * (frame.height - 1) + frame.width * 3;
    const common = { byteLength: len, width: frame.width, height: frame.height, stride: frame.stride, format: frame.format };
    if (frame.data.buffer instanceof SharedArrayBuffer) {
      return { buffer: frame.data.buffer, byteOffset: frame.data.byteOffset, ...common };
    }
    if (this.#shared === undefined || this.#shared.byteLength < len) this.#shared = new SharedArrayBuffer(len);
    new Uint8Array(this.#shared, 0, len).set(frame.data.subarray(0, len));
    return { buffer: this.#shared, byteOffset: 0, ...common };
  }

  #input(name: ModelName): Input {
    const inp = this.#inputs[name];
    if (inp === undefined) {
      throw new Error(`model ${name} is not loaded: open the registry with it to use this stage`);
    }
    return inp;
  }
}

function add(timings: Timings, stage: string, since: number): void {
  timings[stage] = (timings[stage] ?? 0) + (performance.now() - since);
}

/** Box in the caller's coordinates: undo the padding, clip to the original frame. */
function shiftBox(b: Box, px: number, py: number, frame: RawFrame): Box {
  if (px === 0 && py === 0) return { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 };
  const cx = (v: number): number => Math.min(Math.max(v - px, 0), frame.width - 1);
  const cy = (v: number): number => Math.min(Math.max(v - py, 0), frame.height - 1);
  return { x1: cx(b.x1), y1: cy(b.y1), x2: cx(b.x2), y2: cy(b.y2) };
}

/** Centroid shift and spread ratio (now / before) of two 68-point sets. */
function trackMotion(before: readonly Point[], now: readonly Point[]): { dx: number; dy: number; scale: number } {
  const c = (pts: readonly Point[]): { x: number; y: number; r: number } => {
    let x = 0;
    let y = 0;
    for (const p of pts) {
      x += p.x;
      y += p.y;
    }
    x /= pts.length;
    y /= pts.length;
    let r = 0;
    for (const p of pts) r += Math.hypot(p.x - x, p.y - y);
    return { x, y, r: r / pts.length };
  };
  const a = c(before);
  const b = c(now);
  return { dx: b.x - a.x, dy: b.y - a.y, scale: a.r > 0 ? b.r / a.r : Infinity };
}

function validTrack(t: FaceTrack): boolean {
  const b = t?.box;
  const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  return (
    b !== undefined &&
    finite(b.x1) && finite(b.y1) && finite(b.x2) && finite(b.y2) && b.x2 > b.x1 && b.y2 > b.y1 &&
    finite(t.score) &&
    Array.isArray(t.landmarks) && t.landmarks.length === 68 && t.landmarks.every((p) => finite(p?.x) && finite(p?.y))
  );
}

function checkRawFrame(f: RawFrame): void {
  if (f === null || typeof f !== 'object' || !(f.data instanceof Uint8Array)) {
    throw new TypeError('analyze() expects a RawFrame or a Uint8Array of encoded image bytes');
  }
  if (f.format !== 'rgb24' && f.format !== 'bgr24') throw new TypeError(`unsupported frame format ${String(f.format)}`);
  if (!Number.isInteger(f.width) || !Number.isInteger(f.height) || f.width < 1 || f.height < 1) {
    throw new TypeError(`frame size must be positive integers, got ${f.width}x${f.height}`);
  }
  if (!Number.isInteger(f.stride) || f.stride < f.width * 3 || f.data.length < f.stride * (f.height - 1) + f.width * 3) {
    throw new TypeError(`frame data (${f.data.length} bytes, stride ${f.stride}) does not hold ${f.width}x${f.height} rgb`);
  }
}
