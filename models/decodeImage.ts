// Turns untrusted encoded image bytes (JPEG, PNG, WebP) into an upright RGB
// RawFrame with sharp. Everything that can go wrong becomes an ImageError with
// a stable code, decided from the bytes and the header before any pixel is
// decoded, so a 20000x20000 header or a text file costs nothing and a broken
// file never takes the process down.
import sharp, { type Metadata } from 'sharp';
import { ImageError } from './errors.ts';
import type { RawFrame } from './types.ts';

export interface DecodeLimits {
  /** Smallest accepted width and height (default 32). */
  readonly minSide?: number;
  /** Largest accepted width or height (default 8192). */
  readonly maxSide?: number;
  /** Largest accepted width * height (default 40 megapixels). */
  readonly maxPixels?: number;
}

export const DEFAULT_DECODE_LIMITS: Required<DecodeLimits> = {
  minSide: 32,
  maxSide: 8192,
  maxPixels: 40_000_000,
};

export type ImageKind = 'jpeg' | 'png' | 'webp';

/** The container format from the magic bytes, or undefined for anything else. */
export function sniffImage(bytes: Uint8Array): ImageKind | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a) {
    return 'png';
  }
  if (
    b.length >= 12 &&
    b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
    b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50
  ) {
    return 'webp';
  }
  return undefined;
}

/** Decodes to rgb24, EXIF orientation applied, alpha flattened onto mid-grey. */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = {}): Promise<RawFrame> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeImage expects a Uint8Array');
  const lim = { ...DEFAULT_DECODE_LIMITS, ...limits };
  if (bytes.length === 0) throw new ImageError('image_empty', 'the image is empty (0 bytes)');
  const kind = sniffImage(bytes);
  if (kind === undefined) {
    throw new ImageError('image_unsupported', 'not a JPEG, PNG or WebP image', { bytes: bytes.length });
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new ImageError('image_corrupt', `the ${kind} header cannot be read`, { kind }, { cause: e });
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w <= 0 || h <= 0) throw new ImageError('image_corrupt', `the ${kind} header has no size`, { kind });
  if (w > lim.maxSide || h > lim.maxSide || w * h > lim.maxPixels) {
    throw new ImageError('image_too_large', `image is ${w}x${h}; the limit is ${lim.maxSide} per side and ${lim.maxPixels} pixels`, {
      kind,
      width: w,
      height: h,
    });
  }
  if (w < lim.minSide || h < lim.minSide) {
    throw new ImageError('image_too_small', `image is ${w}x${h}; at least ${lim.minSide}x${lim.minSide} is needed`, {
      kind,
      width: w,
      height: h,
    });
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: lim.maxPixels, failOn: 'error' })
      .rotate()
      .flatten({ background: { r: 127, g: 127, b: 127 } })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new ImageError('image_unsupported', `decoded to ${info.channels} channels, expected 3`, { kind });
    }
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { data: pixels, width: info.width, height: info.height, stride: info.width * 3, format: 'rgb24' };
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError('image_corrupt', `the ${kind} data cannot be decoded`, { kind, width: w, height: h }, { cause: e });
  }
}
