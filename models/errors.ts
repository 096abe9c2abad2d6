// Typed errors of the face-analysis layer (models/). Two families: a model
// file that is missing or does not match the shipped manifest (fails the
// service at start), and an image that cannot be analysed (a 4xx for the
// caller; the process carries on). Codes are part of the API contract.
import { FacegateError } from '../common/errors.ts';

export type ModelErrorCode = 'model_missing' | 'model_altered';

export type ImageErrorCode =
  | 'image_empty'
  | 'image_corrupt'
  | 'image_too_small'
  | 'image_too_large'
  | 'image_unsupported';

/** A model file is absent or its bytes differ from models/manifest.json. */
export class ModelError extends FacegateError {
  declare readonly code: ModelErrorCode;

  constructor(code: ModelErrorCode, message: string, details: { file: string; fix: string } & Record<string, unknown>) {
    // The fix goes into the message too: this error usually ends the process at start and is read in a log.
    super(code, `${message}. Fix: ${details.fix}`, details);
    this.name = 'ModelError';
  }
}

/** Encoded image bytes that are empty, broken, too small, too large or not an image. */
export class ImageError extends FacegateError {
  declare readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
    this.name = 'ImageError';
  }
}

export function isImageError(e: unknown): e is ImageError {
  return e instanceof ImageError;
}

export function isModelError(e: unknown): e is ModelError {
  return e instanceof ModelError;
}
