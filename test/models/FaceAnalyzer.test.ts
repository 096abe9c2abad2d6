// FaceAnalyzer on real photos (../shared/faces), on composed frames and on
// broken input. One analyzer with all six models serves the whole file.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeImage } from '../../models/decodeImage.ts';
import { ImageError } from '../../models/errors.ts';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { convertFormat } from '../../models/imageKernels.ts';
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../../models/similarity.ts';
import type { RawFrame } from '../../models/types.ts';
import { verificationMetrics } from '../../models/verificationMetrics.ts';
import { jpegDeclaring, onePixelPng, pngDeclaring, TEXT_FILE, truncated } from './badImages.ts';

const FACES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/faces');
const MATT = path.join(FACES, 'Matt_Damon', 'img29.jpg');
const ANGELINA = path.join(FACES, 'Angelina_Jolie', 'img5.jpg');

let analyzer: FaceAnalyzer;

before(async () => {
  analyzer = await FaceAnalyzer.create();
});

after(async () => {
  await analyzer.close();
});

interface Photo {
  readonly identity: string;
  readonly file: string;
  readonly faceCount: number;
  readonly embedding: Float32Array | undefined;
}

let photos: Promise<Photo[]> | undefined;

/** Every photo of ../shared/faces analysed once (embedding of the biggest face), shared by two tests. */
function allPhotos(): Promise<Photo[]> {
  photos ??= (async () => {
    const out: Photo[] = [];
    for (const id of readdirSync(FACES).sort()) {
      if (!statSync(path.join(FACES, id)).isDirectory()) continue;
      for (const f of readdirSync(path.join(FACES, id)).sort()) {
        if (!/\.(jpe?g|png)$/i.test(f)) continue;
        const r = await analyzer.analyze(readFileSync(path.join(FACES, id, f)), { stages: ['embedding'], maxFaces: 1 });
        out.push({ identity: id, file: `${id}/${f}`, faceCount: r.faces.length, embedding: r.faces[0]?.embedding });
      }
    }
    return out;
  })();
  return photos;
}

async function rawFrame(file: string): Promise<RawFrame> {
  return decodeImage(readFileSync(file));
}

describe('FaceAnalyzer on ../shared/faces', () => {
  // Two press photos show a bystander as well (a woman in sunglasses far left in
  // img54; a blurred head right of Clooney in img41): the Python peer finds the
  // same second face in both, so they are counted, not hidden.
  const BYSTANDERS = new Set(['George_Clooney/img41.jpg', 'Jennifer_Aniston/img54.jpg']);

  test('analyze() finds exactly one face in every photo (two with a known bystander)', async () => {
    const all = await allPhotos();
    assert.ok(all.length >= 90, `only ${all.length} photos found under ${FACES}`);
    const wrong = all
      .filter((p) => p.faceCount !== (BYSTANDERS.has(p.file) ? 2 : 1))
      .map((p) => `${p.file}: ${p.faceCount}`);
    assert.deepEqual(wrong, []);
  });

  test('embeddings give EER <= 1% and FAR, FRR <= 1.5% at DEFAULT_MATCH_THRESHOLD', async () => {
    const all = (await allPhotos()).filter((p) => p.embedding !== undefined);
    const genuine: number[] = [];
    const impostor: number[] = [];
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const s = cosineSimilarity(all[i]!.embedding!, all[j]!.embedding!);
        (all[i]!.identity === all[j]!.identity ? genuine : impostor).push(s);
      }
    }
    const m = verificationMetrics(genuine, impostor, DEFAULT_MATCH_THRESHOLD);
    assert.ok(m.genuinePairs > 200 && m.impostorPairs > 4000);
    assert.ok(m.eer <= 0.01, `EER ${m.eer}`);
    assert.ok(m.atThreshold.far <= 0.001, `FAR ${m.atThreshold.far}`);
    assert.ok(m.atThreshold.frr <= 0.015, `FRR ${m.atThreshold.frr}`);
    for (const e of all) {
      let n = 0;
      for (const v of e.embedding!) n += v * v;
      assert.ok(Math.abs(n - 1) < 1e-4, 'embedding is L2-normalised');
      assert.equal(e.embedding!.length, 512);
    }
  });
});

describe('FaceAnalyzer frames', () => {
  test('analyze() with default stages returns pose, eyes, liveness and quality but no embedding', async () => {
    const r = await analyzer.analyze(await rawFrame(MATT));
    assert.equal(r.faces.length, 1);
    const f = r.faces[0]!;
    assert.equal(f.landmarks?.length, 68);
    assert.equal(f.fivePoints?.length, 5);
    assert.ok(f.pose && Math.abs(f.pose.yaw) < 30);
    assert.ok(f.eyes && f.eyes.leftClosed < 0.5 && f.eyes.rightClosed < 0.5, 'open eyes read as open');
    assert.ok(f.live !== undefined && f.live >= 0 && f.live <= 1);
    assert.ok(f.quality && f.quality.faceSize > 100 && f.quality.sharpness > 0);
    assert.ok(f.quality.frontalness > 0.5 && f.quality.frontalness <= 1);
    assert.ok(f.quality.brightness > 20 && f.quality.brightness < 240);
    assert.equal(f.embedding, undefined);
    // The eyes lie inside the box, left of the right eye.
    const [le, re] = f.fivePoints;
    assert.ok(le!.x < re!.x && le!.x > f.box.x1 && re!.x < f.box.x2);
    for (const k of ['detect', 'landmarks', 'pose', 'eyes', 'liveness', 'total']) assert.equal(typeof r.timings[k], 'number');
  });

  test('analyze() runs only the stages asked for (plus landmarks when they are needed)', async () => {
    const frame = await rawFrame(MATT);
    const none = (await analyzer.analyze(frame, { stages: [] })).faces[0]!;
    assert.deepEqual(Object.keys(none).sort(), ['box', 'score']);
    const eyes = (await analyzer.analyze(frame, { stages: ['eyes'] })).faces[0]!;
    assert.deepEqual(Object.keys(eyes).sort(), ['box', 'eyes', 'fivePoints', 'landmarks', 'score']);
    const live = (await analyzer.analyze(frame, { stages: ['liveness', 'pose'] })).faces[0]!;
    assert.deepEqual(Object.keys(live).sort(), ['box', 'live', 'pose', 'score']);
    await assert.rejects(analyzer.analyze(frame, { stages: ['nope' as 'pose'] }), TypeError);
  });

  test('analyze() gives the same face for rgb24, bgr24 and padded-stride frames', async () => {
    const rgb = await rawFrame(MATT);
    const bgr = convertFormat(rgb, 'bgr24');
    const stride = rgb.width * 3 + 13;
    const padded = new Uint8Array(stride * rgb.height);
    for (let y = 0; y < rgb.height; y++) padded.set(rgb.data.subarray(y * rgb.stride, y * rgb.stride + rgb.width * 3), y * stride);
    const stages = ['embedding', 'pose'] as const;
    const a = (await analyzer.analyze(rgb, { stages })).faces[0]!;
    const b = (await analyzer.analyze(bgr, { stages })).faces[0]!;
    const c = (await analyzer.analyze({ ...rgb, data: padded, stride }, { stages })).faces[0]!;
    for (const o of [b, c]) {
      assert.ok(Math.abs(o.box.x1 - a.box.x1) < 1e-3 && Math.abs(o.box.y2 - a.box.y2) < 1e-3);
      assert.ok(cosineSimilarity(a.embedding!, o.embedding!) > 0.9999);
      assert.ok(Math.abs(o.pose!.yaw - a.pose!.yaw) < 1e-3);
    }
  });

  test('analyze() finds the face of a tight 150x150 crop and reports it in the crop coordinates', async () => {
    const r = await analyzer.analyze(readFileSync(path.join(FACES, 'bbt_amy', 'amy1.png')), {
      stages: ['landmarks', 'liveness', 'pose'],
    });
    assert.equal(r.width, 150);
    assert.equal(r.faces.length, 1);
    const f = r.faces[0]!;
    for (const v of [f.box.x1, f.box.y1, f.box.x2, f.box.y2]) assert.ok(v >= 0 && v <= 149, `box ${JSON.stringify(f.box)}`);
    const [le, re, nose] = f.fivePoints!;
    for (const p of [le!, re!, nose!]) assert.ok(p.x > 0 && p.x < 150 && p.y > 0 && p.y < 150, `point ${JSON.stringify(p)}`);
    assert.ok(le!.x < nose!.x && nose!.x < re!.x);
    assert.ok(f.live !== undefined && f.pose !== undefined);
  });

  test('analyze() returns an empty list for frames without a face', async () => {
    const grey: RawFrame = { data: new Uint8Array(640 * 480 * 3).fill(128), width: 640, height: 480, stride: 1920, format: 'rgb24' };
    assert.deepEqual((await analyzer.analyze(grey)).faces, []);
    const noise = new Uint8Array(640 * 480 * 3);
    let s = 12345;
    for (let i = 0; i < noise.length; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      noise[i] = s >> 23;
    }
    assert.deepEqual((await analyzer.analyze({ ...grey, data: noise })).faces, []);
  });

  test('analyze() reports two faces side by side biggest first, each with its own identity', async () => {
    const big = await sharp(MATT).resize({ height: 460 }).toBuffer();
    const small = await sharp(ANGELINA).resize({ height: 260 }).toBuffer();
    const bigMeta = await sharp(big).metadata();
    // Small face on the left, so "biggest first" is not just "leftmost first".
    const composed = await sharp({ create: { width: 1000, height: 480, channels: 3, background: { r: 40, g: 40, b: 40 } } })
      .composite([
        { input: small, left: 20, top: 100 },
        { input: big, left: 1000 - (bigMeta.width ?? 0) - 20, top: 10 },
      ])
      .jpeg({ quality: 92 })
      .toBuffer();
    const r = await analyzer.analyze(composed, { stages: ['embedding'] });
    assert.equal(r.faces.length, 2);
    const [first, second] = r.faces;
    const area = (b: { x1: number; y1: number; x2: number; y2: number }): number => (b.x2 - b.x1) * (b.y2 - b.y1);
    assert.ok(area(first!.box) > area(second!.box));
    assert.ok(first!.box.x1 > 500 && second!.box.x2 < 500);
    const matt = (await analyzer.analyze(readFileSync(MATT), { stages: ['embedding'] })).faces[0]!.embedding!;
    const angelina = (await analyzer.analyze(readFileSync(ANGELINA), { stages: ['embedding'] })).faces[0]!.embedding!;
    assert.ok(cosineSimilarity(first!.embedding!, matt) >= DEFAULT_MATCH_THRESHOLD);
    assert.ok(cosineSimilarity(second!.embedding!, angelina) >= DEFAULT_MATCH_THRESHOLD);
    assert.ok(cosineSimilarity(first!.embedding!, angelina) < DEFAULT_MATCH_THRESHOLD);
    // maxFaces: 1 still reports both boxes but analyses only the biggest.
    const one = await analyzer.analyze(composed, { stages: ['embedding'], maxFaces: 1 });
    assert.equal(one.faces.length, 2);
    assert.ok(one.faces[0]!.embedding && !one.faces[1]!.embedding);
  });

  test('analyze() gives the same liveness and pose on the worker thread as inline', async (t) => {
    const inline = await FaceAnalyzer.create({ registry: analyzer.registry, parallel: false });
    t.after(() => inline.close());
    const threaded = await FaceAnalyzer.create({ registry: analyzer.registry, parallel: true });
    await assert.rejects(FaceAnalyzer.create({ registry: analyzer.registry, parallel: 'yes' as 'auto' }), TypeError);
    t.after(() => threaded.close());
    assert.equal(inline.parallel, false);
    assert.equal(threaded.parallel, true);
    const frame = await rawFrame(MATT);
    for (const stages of [['liveness', 'pose', 'embedding'], ['liveness', 'pose', 'eyes'], ['pose']] as const) {
      const a = (await inline.analyze(frame, { stages })).faces[0]!;
      const b = (await threaded.analyze(frame, { stages })).faces[0]!;
      assert.equal(a.live, b.live);
      assert.deepEqual(a.pose, b.pose);
    }
    // 'auto' tries both ways (and probes the slower one now and then): same numbers every time.
    const auto = await FaceAnalyzer.create({ registry: analyzer.registry, parallel: 'auto' });
    t.after(() => auto.close());
    const want = (await inline.analyze(frame, { stages: ['liveness', 'pose', 'eyes'] })).faces[0]!;
    for (let i = 0; i < 20; i++) {
      const got = (await auto.analyze(frame, { stages: ['liveness', 'pose', 'eyes'] })).faces[0]!;
      assert.equal(got.live, want.live);
      assert.deepEqual(got.pose, want.pose);
    }
  });

  test('analyze() serialises concurrent calls without mixing their buffers', async () => {
    const a = await rawFrame(MATT);
    const b = await rawFrame(ANGELINA);
    const stages = ['embedding'] as const;
    const [ra, rb, ra2] = await Promise.all([
      analyzer.analyze(a, { stages }),
      analyzer.analyze(b, { stages }),
      analyzer.analyze(a, { stages }),
    ]);
    assert.ok(cosineSimilarity(ra.faces[0]!.embedding!, ra2.faces[0]!.embedding!) > 0.99999);
    assert.ok(cosineSimilarity(ra.faces[0]!.embedding!, rb.faces[0]!.embedding!) < DEFAULT_MATCH_THRESHOLD);
  });
});

describe('FaceAnalyzer bad input', () => {
  const cases: [string, () => Promise<Uint8Array> | Uint8Array, string][] = [
    ['a zero-byte file', () => new Uint8Array(0), 'image_empty'],
    ['a truncated JPEG', () => truncated(readFileSync(MATT), 0.4), 'image_corrupt'],
    ['a 1x1 image', onePixelPng, 'image_too_small'],
    ['a PNG header declaring 20000x20000', () => pngDeclaring(20000, 20000), 'image_too_large'],
    ['a JPEG header declaring 20000x20000', () => jpegDeclaring(20000, 20000), 'image_too_large'],
    ['a text file', () => TEXT_FILE, 'image_unsupported'],
  ];
  for (const [what, make, code] of cases) {
    test(`analyze() rejects ${what} with ${code} and keeps working`, async () => {
      await assert.rejects(analyzer.analyze(await make()), (e: unknown) => {
        assert.ok(e instanceof ImageError, String(e));
        assert.equal(e.code, code);
        return true;
      });
      const r = await analyzer.analyze(readFileSync(ANGELINA), { stages: [] });
      assert.equal(r.faces.length, 1);
    });
  }

  test('analyze() rejects a RawFrame whose data is shorter than its size with TypeError', async () => {
    await assert.rejects(
      analyzer.analyze({ data: new Uint8Array(100), width: 640, height: 480, stride: 1920, format: 'rgb24' }),
      TypeError,
    );
  });

  test('analyze() on a closed analyzer rejects', async () => {
    const a = await FaceAnalyzer.create({ registry: analyzer.registry });
    await a.close();
    await assert.rejects(a.analyze(readFileSync(ANGELINA)), /closed/);
    assert.equal(analyzer.registry.closed, false, 'a borrowed registry stays open');
  });
});
