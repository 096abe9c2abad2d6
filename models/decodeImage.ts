// The one image decoder: untrusted encoded bytes (JPEG, PNG, WebP) into an
// upright RGB RawFrame with sharp. Everything that can go wrong becomes an
// ImageError with a stable code, decided from the bytes and the header before
// any pixel is decoded, so a 20000x20000 header or a text file costs nothing
// and a broken file never takes the process down. Callers pass their own
// limits and, for uploads, the formats they accept and the type the sender
// declared (src/sessions/frameDecoder.ts does for REST uploads).
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

export interface DecodeOptions extends DecodeLimits {
  /** Container formats accepted (default: all of ImageKind); another is image_unsupported. */
  readonly formats?: readonly ImageKind[];
  /**
   * The format the sender declared. Bytes of another format are then
   * image_unsupported, and bytes that are no image at all image_corrupt (a
   * broken file of the declared type) rather than image_unsupported.
   */
  readonly declared?: ImageKind;
}

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
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RawFrame> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeImage expects a Uint8Array');
  const lim: Required<DecodeLimits> = {
    minSide: options.minSide ?? DEFAULT_DECODE_LIMITS.minSide,
    maxSide: options.maxSide ?? DEFAULT_DECODE_LIMITS.maxSide,
    maxPixels: options.maxPixels ?? DEFAULT_DECODE_LIMITS.maxPixels,
  };
  if (bytes.length === 0) throw new ImageError('image_empty', 'the image is empty (0 bytes)');
  const kind = await checkFormat(bytes, options);
  const { width, height } = await checkSize(bytes, kind, lim);
  return decodePixels(bytes, kind, width, height, lim.maxPixels);
}

/** The container format, if it is one the caller accepts. */
async function checkFormat(bytes: Uint8Array, options: DecodeOptions): Promise<ImageKind> {
  const kind = sniffImage(bytes);
  if (kind === undefined) throw await notOurFormat(bytes, options.declared);
  if (options.formats !== undefined && !options.formats.includes(kind)) {
    throw new ImageError('image_unsupported', `a ${kind} image; accepted: ${options.formats.join(', ')}`, { format: kind });
  }
  if (options.declared !== undefined && kind !== options.declared) {
    throw new ImageError('image_unsupported', `image is ${kind}, declared ${options.declared}`, { format: kind, declared: options.declared });
  }
  return kind;
}

/** The error for bytes that are not JPEG, PNG or WebP: another image format sharp reads, or no image. */
async function notOurFormat(bytes: Uint8Array, declared: ImageKind | undefined): Promise<ImageError> {
  let format: string | undefined;
  try {
    format = (await sharp(bytes, { limitInputPixels: false }).metadata()).format;
  } catch {
    format = undefined;
  }
  if (format !== undefined) return new ImageError('image_unsupported', `a ${format} image; not a JPEG, PNG or WebP image`, { format });
  if (declared !== undefined) return new ImageError('image_corrupt', `the ${declared} image cannot be read`, { declared, bytes: bytes.length });
  return new ImageError('image_unsupported', 'not a JPEG, PNG or WebP image', { bytes: bytes.length });
}

/** The size from the header, checked against the limits before any pixel is decoded. */
async function checkSize(bytes: Uint8Array, kind: ImageKind, lim: Required<DecodeLimits>): Promise<{ width: number; height: number }> {
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
  return { width: w, height: h };
}

async function decodePixels(bytes: Uint8Array, kind: ImageKind, w: number, h: number, maxPixels: number): Promise<RawFrame> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
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
