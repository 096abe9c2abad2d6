// REST frame upload boundary: a base64 data URL (JPEG or PNG) -> RawFrame,
// and the same for an upload's bytes forwarded by another node (decodeEncoded).
// Every way an upload can be wrong ends in a typed FacegateError (never a
// crash): not a data URL, wrong media type, bad base64, too many bytes, not
// an image, an image whose header lies about its type, or too many pixels.
import sharp from 'sharp';
import { FacegateError } from '../../common/errors.ts';
import type { RawFrame } from '../../models/types.ts';

const DATA_URL_RE = /^data:(image\/(?:jpeg|jpg|png));base64,([A-Za-z0-9+/]*={0,2})$/;
const MAX_PIXELS = 4096 * 4096;
const MIN_SIDE = 32;

export const IMAGE_MIMES = ['image/jpeg', 'image/png'] as const;
export type ImageMime = (typeof IMAGE_MIMES)[number];

/** An upload as it arrived: its encoded bytes (JPEG or PNG) and the type the client declared. */
export interface EncodedImage {
  readonly mime: ImageMime;
  readonly bytes: Uint8Array;
}

export interface DecodeLimits {
  readonly maxBytes: number;
}

function checkSize(n: number, limits: DecodeLimits): void {
  if (n === 0) throw new FacegateError('image_empty', 'image is empty');
  if (n > limits.maxBytes) {
    throw new FacegateError('image_too_large', `image exceeds ${limits.maxBytes} bytes`, { maxBytes: limits.maxBytes });
  }
}

/** Parses and size-checks a data URL; returns the declared type and the raw bytes. */
export function parseDataUrl(input: string, limits: DecodeLimits): { mime: ImageMime; bytes: Buffer } {
  if (typeof input !== 'string' || input.length === 0) {
    throw new FacegateError('image_empty', 'image is empty');
  }
  // Reject oversized payloads before decoding: base64 is 4/3 of the bytes.
  if (input.length > Math.ceil((limits.maxBytes * 4) / 3) + 64) {
    throw new FacegateError('image_too_large', `image exceeds ${limits.maxBytes} bytes`, { maxBytes: limits.maxBytes });
  }
  if (!input.startsWith('data:')) {
    throw new FacegateError('validation_error', 'image must be a data URL (data:image/jpeg;base64,...)', { field: 'image' });
  }
  const head = input.slice(0, 40);
  if (!/^data:image\/(jpeg|jpg|png);base64,/.test(head)) {
    throw new FacegateError('image_unsupported', 'image must be image/jpeg or image/png, base64-encoded', { field: 'image' });
  }
  const m = DATA_URL_RE.exec(input);
  if (!m || m[2]!.length % 4 !== 0) {
    throw new FacegateError('validation_error', 'image is not valid base64', { field: 'image', reason: 'invalid_base64' });
  }
  const bytes = Buffer.from(m[2]!, 'base64');
  checkSize(bytes.length, limits);
  return { mime: m[1] === 'image/png' ? 'image/png' : 'image/jpeg', bytes };
}

/** Decodes JPEG/PNG bytes to packed RGB24, checking the real format and size. */
export async function decodeImage(bytes: Buffer, declared: ImageMime): Promise<RawFrame> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch (e) {
    throw new FacegateError('image_corrupt', 'image could not be decoded', { reason: 'not_an_image' }, { cause: e });
  }
  const actual = meta.format === 'jpeg' ? 'image/jpeg' : meta.format === 'png' ? 'image/png' : null;
  if (actual === null) {
    throw new FacegateError('image_unsupported', 'image must be JPEG or PNG', { format: meta.format ?? 'unknown' });
  }
  if (actual !== declared) {
    throw new FacegateError('image_unsupported', `image is ${actual}, declared ${declared}`);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w < MIN_SIDE || h < MIN_SIDE) {
    throw new FacegateError('image_too_small', `image must be at least ${MIN_SIDE}x${MIN_SIDE}`, { width: w, height: h });
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, stride: info.width * 3, format: 'rgb24' };
  } catch (e) {
    throw new FacegateError('image_corrupt', 'image could not be decoded', { reason: 'decode_failed' }, { cause: e });
  }
}

/**
 * Decodes an upload that arrives as bytes rather than a data URL (another node
 * forwarded it): the same size limits, decoder and errors as parseDataUrl +
 * decodeImage, so the pixels and the failures are those of a local upload.
 */
export async function decodeEncoded(image: EncodedImage, limits: DecodeLimits): Promise<RawFrame> {
  if (!(IMAGE_MIMES as readonly string[]).includes(image.mime)) {
    throw new FacegateError('image_unsupported', 'image must be image/jpeg or image/png');
  }
  checkSize(image.bytes.length, limits);
  return decodeImage(Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength), image.mime);
}
