// REST frame upload boundary: a base64 data URL (JPEG or PNG) -> RawFrame,
// and the same for an upload's bytes forwarded by another node (decodeEncoded).
// Every way an upload can be wrong ends in a typed error (never a crash): not
// a data URL, bad base64 (FacegateError validation_error), and wrong media
// type, too many bytes, not an image, an image whose header lies about its
// type, or too many pixels (models' ImageError codes). The pixels come from
// the one decoder, models/decodeImage.ts, under the upload limits below.
import { FacegateError } from '../../common/errors.ts';
import { decodeImage, type DecodeLimits, type ImageKind } from '../../models/decodeImage.ts';
import { ImageError } from '../../models/errors.ts';
import type { RawFrame } from '../../models/types.ts';

const DATA_URL_RE = /^data:(image\/(?:jpeg|jpg|png));base64,([A-Za-z0-9+/]*={0,2})$/;

/** Pixel limits of an upload: stricter than the decoder's defaults (a 4096x4096 RGB frame is 50 MB). */
export const UPLOAD_PIXEL_LIMITS: Required<DecodeLimits> = { minSide: 32, maxSide: 8192, maxPixels: 4096 * 4096 };
const UPLOAD_FORMATS: readonly ImageKind[] = ['jpeg', 'png'];

export const IMAGE_MIMES = ['image/jpeg', 'image/png'] as const;
export type ImageMime = (typeof IMAGE_MIMES)[number];

/** An upload as it arrived: its encoded bytes (JPEG or PNG) and the type the client declared. */
export interface EncodedImage {
  readonly mime: ImageMime;
  readonly bytes: Uint8Array;
}

/** Byte limits of an upload, checked before anything is decoded. */
export interface UploadLimits {
  readonly maxBytes: number;
}

function checkSize(n: number, limits: UploadLimits): void {
  if (n === 0) throw new ImageError('image_empty', 'image is empty');
  if (n > limits.maxBytes) {
    throw new ImageError('image_too_large', `image exceeds ${limits.maxBytes} bytes`, { maxBytes: limits.maxBytes });
  }
}

/** Parses and size-checks a data URL; returns the declared type and the raw bytes. */
export function parseDataUrl(input: string, limits: UploadLimits): { mime: ImageMime; bytes: Buffer } {
  if (typeof input !== 'string' || input.length === 0) {
    throw new ImageError('image_empty', 'image is empty');
  }
  // Reject oversized payloads before decoding: base64 is 4/3 of the bytes.
  if (input.length > Math.ceil((limits.maxBytes * 4) / 3) + 64) {
    throw new ImageError('image_too_large', `image exceeds ${limits.maxBytes} bytes`, { maxBytes: limits.maxBytes });
  }
  if (!input.startsWith('data:')) {
    throw new FacegateError('validation_error', 'image must be a data URL (data:image/jpeg;base64,...)', { field: 'image' });
  }
  const head = input.slice(0, 40);
  if (!/^data:image\/(jpeg|jpg|png);base64,/.test(head)) {
    throw new ImageError('image_unsupported', 'image must be image/jpeg or image/png, base64-encoded', { field: 'image' });
  }
  const m = DATA_URL_RE.exec(input);
  if (!m || m[2]!.length % 4 !== 0) {
    throw new FacegateError('validation_error', 'image is not valid base64', { field: 'image', reason: 'invalid_base64' });
  }
  const bytes = Buffer.from(m[2]!, 'base64');
  checkSize(bytes.length, limits);
  return { mime: m[1] === 'image/png' ? 'image/png' : 'image/jpeg', bytes };
}

/** Decodes an upload's JPEG/PNG bytes to packed RGB24: the real format must be the declared one. */
export function decodeUpload(bytes: Uint8Array, declared: ImageMime): Promise<RawFrame> {
  return decodeImage(bytes, { ...UPLOAD_PIXEL_LIMITS, formats: UPLOAD_FORMATS, declared: declared === 'image/png' ? 'png' : 'jpeg' });
}

/**
 * Decodes an upload that arrives as bytes rather than a data URL (another node
 * forwarded it): the same size limits, decoder and errors as parseDataUrl +
 * decodeUpload, so the pixels and the failures are those of a local upload.
 */
export async function decodeEncoded(image: EncodedImage, limits: UploadLimits): Promise<RawFrame> {
  if (!(IMAGE_MIMES as readonly string[]).includes(image.mime)) {
    throw new ImageError('image_unsupported', 'image must be image/jpeg or image/png');
  }
  checkSize(image.bytes.length, limits);
  return decodeUpload(image.bytes, image.mime);
}
