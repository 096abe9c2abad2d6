import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeImage, sniffImage } from '../../models/decodeImage.ts';
import { ImageError } from '../../models/errors.ts';
import { jpegDeclaring, onePixelPng, pngDeclaring, TEXT_FILE, truncated } from './badImages.ts';

const FACES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/faces');

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ImageError, `expected ImageError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

describe('decodeImage', () => {
  test('decodeImage() decodes a JPEG to packed rgb24', async () => {
    const f = await decodeImage(readFileSync(path.join(FACES, 'Matt_Damon', 'img29.jpg')));
    assert.equal(f.format, 'rgb24');
    assert.equal(f.width, 600);
    assert.equal(f.height, 800);
    assert.equal(f.stride, 1800);
    assert.equal(f.data.length, 1800 * 800);
  });

  test('decodeImage() turns a 1-channel PNG into 3 channels', async () => {
    const f = await decodeImage(readFileSync(path.join(FACES, 'bbt_amy', 'amy1.png')));
    assert.equal(f.width, 150);
    assert.equal(f.data.length, 150 * 150 * 3);
    assert.equal(f.data[0], f.data[1]);
  });

  test('decodeImage() applies the EXIF orientation', async () => {
    const jpg = await sharp({ create: { width: 80, height: 40, channels: 3, background: { r: 10, g: 20, b: 30 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const f = await decodeImage(jpg);
    assert.equal(f.width, 40);
    assert.equal(f.height, 80);
  });

  test('decodeImage() rejects zero bytes with image_empty', async () => {
    await rejectsWith(decodeImage(new Uint8Array(0)), 'image_empty');
  });

  test('decodeImage() rejects a text file with image_unsupported', async () => {
    await rejectsWith(decodeImage(TEXT_FILE), 'image_unsupported');
  });

  test('decodeImage() rejects a truncated JPEG with image_corrupt', async () => {
    const jpg = readFileSync(path.join(FACES, 'Matt_Damon', 'img29.jpg'));
    await rejectsWith(decodeImage(truncated(jpg, 0.5)), 'image_corrupt');
    await rejectsWith(decodeImage(truncated(jpg, 0.001)), 'image_corrupt');
  });

  test('decodeImage() rejects a 1x1 image with image_too_small', async () => {
    await rejectsWith(decodeImage(await onePixelPng()), 'image_too_small');
  });

  test('decodeImage() rejects headers declaring 20000x20000 with image_too_large before decoding', async () => {
    await rejectsWith(decodeImage(pngDeclaring(20000, 20000)), 'image_too_large');
    await rejectsWith(decodeImage(await jpegDeclaring(20000, 20000)), 'image_too_large');
  });

  test('decodeImage() with a declared type rejects another format with image_unsupported and no image with image_corrupt', async () => {
    const png = await onePixelPng();
    await rejectsWith(decodeImage(png, { declared: 'jpeg' }), 'image_unsupported');
    await rejectsWith(decodeImage(TEXT_FILE, { declared: 'png' }), 'image_corrupt');
    const gif = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#123' } }).gif().toBuffer();
    await rejectsWith(decodeImage(gif, { declared: 'png' }), 'image_unsupported');
  });

  test('decodeImage() rejects a format outside options.formats with image_unsupported', async () => {
    const webp = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#000' } }).webp().toBuffer();
    await rejectsWith(decodeImage(webp, { formats: ['jpeg', 'png'] }), 'image_unsupported');
    assert.equal((await decodeImage(webp)).width, 40);
  });

  test("decodeImage() applies the caller's pixel limit before decoding", async () => {
    const jpg = readFileSync(path.join(FACES, 'Matt_Damon', 'img29.jpg'));
    await rejectsWith(decodeImage(jpg, { maxPixels: 600 * 800 - 1 }), 'image_too_large');
    await rejectsWith(decodeImage(jpg, { maxSide: 799 }), 'image_too_large');
    await rejectsWith(decodeImage(jpg, { minSide: 601 }), 'image_too_small');
    assert.equal((await decodeImage(jpg, { maxPixels: 600 * 800 })).height, 800);
  });

  test('sniffImage() tells JPEG, PNG and WebP from other bytes', async () => {
    assert.equal(sniffImage(pngDeclaring(10, 10)), 'png');
    assert.equal(sniffImage(await jpegDeclaring(10, 10)), 'jpeg');
    assert.equal(sniffImage(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).webp().toBuffer()), 'webp');
    assert.equal(sniffImage(TEXT_FILE), undefined);
  });
});
