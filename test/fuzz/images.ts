// Frame uploads for the fuzzer: real photos and generated pictures (the heavy
// cases: they reach the models), and broken ones that must stop at the
// decoder with a 4xx: truncated files, a header that lies about the type
// (wrong magic), dimensions far past the pixel limit, EXIF segments that
// loop or claim more entries than they hold, and data URLs that are not
// quite data URLs.
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';

const STILLS = new URL('../../../shared/stills/', import.meta.url);

export interface ImageCorpus {
  /** Real JPEG photos of faces (../shared/stills). */
  readonly photos: readonly Buffer[];
  /** Small generated pictures, PNG and JPEG. */
  readonly generated: readonly { readonly mime: 'image/png' | 'image/jpeg'; readonly bytes: Buffer }[];
}

export async function loadImages(): Promise<ImageCorpus> {
  const photos = ['silentface_image_T1.jpg', 'silentface_image_F1.jpg'].map((f) => readFileSync(new URL(f, STILLS)));
  // A shrunk copy: the models see a face, the upload stays small.
  photos.push(await sharp(photos[0]!).resize(320).jpeg({ quality: 80 }).toBuffer());
  const generated = [];
  for (const [w, h] of [[32, 32], [64, 48], [31, 200], [640, 480]] as const) {
    const raw = { create: { width: w, height: h, channels: 3 as const, background: { r: (w * 7) % 256, g: 90, b: 160 } } };
    generated.push({ mime: 'image/png' as const, bytes: await sharp(raw).png().toBuffer() });
    generated.push({ mime: 'image/jpeg' as const, bytes: await sharp(raw).jpeg().toBuffer() });
  }
  return { photos, generated };
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** A well-formed PNG header declaring width x height, with one tiny IDAT. */
export function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

/** A baseline JPEG frame header declaring width x height, then no scan data. */
export function hugeJpeg(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]);
}

/** An APP1 Exif segment whose IFD0 claims `entries` entries and points its next IFD back at itself. */
export function exifSegment(entries: number, orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 * 2 + 4);
  tiff.write('II*\0', 0, 'latin1');
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(entries, 8);
  // 0x0112 Orientation (SHORT), 0x8769 ExifIFD pointer -> offset 8 (a loop).
  tiff.writeUInt16LE(0x0112, 10);
  tiff.writeUInt16LE(3, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(orientation & 0xffff, 18);
  tiff.writeUInt16LE(0x8769, 22);
  tiff.writeUInt16LE(4, 24);
  tiff.writeUInt32LE(1, 26);
  tiff.writeUInt32LE(8, 30);
  tiff.writeUInt32LE(8, 34);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  return Buffer.concat([head, body]);
}

/** A real JPEG with `copies` Exif segments inserted after its SOI. */
export function withExif(jpeg: Buffer, segment: Buffer, copies: number): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...Array.from({ length: copies }, () => segment), jpeg.subarray(2)]);
}

export const dataUrl = (mime: string, bytes: Buffer): string => `data:${mime};base64,${bytes.toString('base64')}`;

/** An upload's image field: mostly broken, some whole (heavy: the models run). */
export function imageFieldArb(c: ImageCorpus): fc.Arbitrary<{ readonly kind: string; readonly image: string }> {
  const anyImage = fc.constantFrom(...c.photos.map((b) => ({ mime: 'image/jpeg', bytes: b })), ...c.generated);
  const tag = (kind: string) => (image: string) => ({ kind, image });
  return fc.oneof(
    { weight: 2, arbitrary: anyImage.map((i) => dataUrl(i.mime, i.bytes)).map(tag('whole')) },
    {
      weight: 3,
      arbitrary: fc.tuple(anyImage, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([i, f]) => dataUrl(i.mime, i.bytes.subarray(0, Math.floor(i.bytes.length * f)))).map(tag('truncated')),
    },
    { weight: 2, arbitrary: anyImage.map((i) => dataUrl(i.mime === 'image/png' ? 'image/jpeg' : 'image/png', i.bytes)).map(tag('wrong-magic')) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('png', 'jpeg'), fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), fc.boolean())
        .map(([f, w, h, big]) => (f === 'png' ? dataUrl('image/png', hugePng(big ? 0x7fffffff : w, h)) : dataUrl('image/jpeg', hugeJpeg(w, h))))
        .map(tag('huge-dimensions')),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...c.photos), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 400 }))
        .map(([jpeg, n, o, copies]) => dataUrl('image/jpeg', withExif(jpeg, exifSegment(n, o), copies)))
        .map(tag('exif-bomb')),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => dataUrl('image/jpeg', Buffer.from(b))).map(tag('random-bytes')) },
    { weight: 2, arbitrary: dataUrlFormArb(c).map(tag('data-url-form')) },
  );
}

function dataUrlFormArb(c: ImageCorpus): fc.Arbitrary<string> {
  const b64 = c.generated[0]!.bytes.toString('base64');
  return fc.oneof(
    fc.constantFrom(
      b64,
      `data:image/png,${b64}`,
      `DATA:IMAGE/PNG;BASE64,${b64}`,
      `data:image/png;base64,${b64.replace(/\+/g, '-').replace(/\//g, '_')}`,
      `data:image/png;base64,${b64.slice(0, 40)}\n${b64.slice(40)}`,
      `data:image/png;base64,${b64}=`,
      `data:image/png;charset=utf-8;base64,${b64}`,
      `data:image/svg+xml;base64,${Buffer.from('<!DOCTYPE x [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>').toString('base64')}`,
      `data:image/gif;base64,R0lGODlhAQABAAAAACw=`,
      'data:image/jpeg;base64,',
      'data:',
      `data:image/png;base64,${'A'.repeat(1 << 16)}`,
    ),
    fc.string({ maxLength: 64 }).map((s) => `data:image/png;base64,${s}`),
  );
}
