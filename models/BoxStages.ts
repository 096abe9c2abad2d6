// The two stages that need only the face box and the frame: passive liveness
// and head pose. Kept apart from FaceAnalyzer so the same code runs inline or
// in the StageWorker thread, overlapping with the landmark-based stages.
import ort from 'onnxruntime-node';
import { intBox, poseAngle, poseCropRect, scaledCropRect, softmax } from './faceGeometry.ts';
import { cropView, resizeToTensor, type TensorSpec } from './imageKernels.ts';
import type { ModelRegistry } from './ModelRegistry.ts';
import type { Box, RawFrame } from './types.ts';

export interface HeadPose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

const SPEC_LIVENESS: TensorSpec = { layout: 'rgb', mean: [0, 0, 0], mul: [1, 1, 1] };
// ImageNet mean/std per plane in the order the pose model was fed (B, G, R planes get the R, G, B stats).
const SPEC_POSE: TensorSpec = {
  layout: 'bgr',
  mean: [0.485 * 255, 0.456 * 255, 0.406 * 255],
  mul: [1 / (0.229 * 255), 1 / (0.224 * 255), 1 / (0.225 * 255)],
};
/** Liveness context: the box scaled 2.7x about its centre (models/README.md). */
const LIVENESS_SCALE = 2.7;

export class BoxStages {
  readonly #liveData = new Float32Array(3 * 128 * 128);
  readonly #liveTensor = new ort.Tensor('float32', this.#liveData, [1, 3, 128, 128]);
  readonly #poseData = new Float32Array(3 * 224 * 224);
  readonly #poseTensor = new ort.Tensor('float32', this.#poseData, [1, 3, 224, 224]);
  readonly #live: ort.InferenceSession | undefined;
  readonly #pose: ort.InferenceSession | undefined;

  constructor(registry: ModelRegistry) {
    this.#live = registry.has('liveness') ? registry.session('liveness') : undefined;
    this.#pose = registry.has('pose') ? registry.session('pose') : undefined;
  }

  /**
   * Passive live probability, p[0] of the softmax. `frame` must be the frame
   * as captured: the model reads the context around the face, and a padded or
   * letterboxed crop reads as a spoof.
   */
  async liveness(frame: RawFrame, box: Box): Promise<number> {
    if (this.#live === undefined) throw new Error('model liveness is not loaded');
    const r = scaledCropRect(frame.width, frame.height, intBox(box), LIVENESS_SCALE);
    resizeToTensor(cropView(frame, r), 128, 128, this.#liveData, SPEC_LIVENESS);
    const out = await this.#live.run({ input: this.#liveTensor });
    return softmax(out[this.#live.outputNames[0]!]!.data as Float32Array)[0]!;
  }

  /** Yaw, pitch, roll in degrees from the box widened by a quarter on each side. */
  async pose(frame: RawFrame, box: Box): Promise<HeadPose> {
    if (this.#pose === undefined) throw new Error('model pose is not loaded');
    resizeToTensor(cropView(frame, poseCropRect(frame.width, frame.height, box)), 224, 224, this.#poseData, SPEC_POSE);
    const out = await this.#pose.run({ input: this.#poseTensor });
    const n = this.#pose.outputNames;
    return {
      yaw: poseAngle(out[n[0]!]!.data as Float32Array),
      pitch: poseAngle(out[n[1]!]!.data as Float32Array),
      roll: poseAngle(out[n[2]!]!.data as Float32Array),
    };
  }
}
