// eval:verify — face verification accuracy on a folder of identities.
// DIR/<identity>/<image>: every image is embedded (biggest face), every pair
// scored by cosine; prints pairs counted, images without a face, EER, TAR at
// FAR 1e-2 and 1e-3, and FAR/FRR at the shipped threshold.
//
//   npm run eval:verify -- DIR [--json] [--threshold T]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isImageError } from '../../models/errors.ts';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../../models/similarity.ts';
import { verificationMetrics } from '../../models/verificationMetrics.ts';
import { parseScriptArgs } from '../lib/args.ts';

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

const args = parseScriptArgs({
  name: 'eval:verify',
  usage: 'usage: npm run eval:verify -- DIR [--json] [--threshold T]',
  options: {
    json: { type: 'boolean' },
    threshold: { type: 'number', default: DEFAULT_MATCH_THRESHOLD, valid: (t) => t > -1 && t < 1, invalid: '--threshold must be a number in (-1, 1)' },
  },
});

interface Item {
  readonly identity: string;
  readonly file: string;
  readonly embedding: Float32Array;
}

function progress(done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const fill = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

async function main(): Promise<void> {
  const { json, threshold } = args.values;
  if (args.positionals.length > 1) args.fail('only one DIR');
  const dir = args.positionals[0] === undefined ? args.fail('DIR is required') : path.resolve(args.positionals[0]);
  let identities: string[];
  try {
    identities = readdirSync(dir)
      .filter((d) => statSync(path.join(dir, d)).isDirectory())
      .sort();
  } catch (e) {
    return args.fail(`cannot read ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const files: { identity: string; file: string }[] = [];
  for (const id of identities) {
    for (const f of readdirSync(path.join(dir, id)).sort()) {
      if (IMAGE_EXT.test(f)) files.push({ identity: id, file: path.join(id, f) });
    }
  }
  if (files.length === 0) args.fail(`no images under ${dir}/<identity>/`);

  const t0 = performance.now();
  const analyzer = await FaceAnalyzer.create({ models: ['detect', 'landmark', 'feature'] });
  const items: Item[] = [];
  const noFace: string[] = [];
  const unreadable: { file: string; code: string }[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const { identity, file } = files[i]!;
      try {
        const r = await analyzer.analyze(readFileSync(path.join(dir, file)), { stages: ['embedding'], maxFaces: 1 });
        const e = r.faces[0]?.embedding;
        if (e === undefined) noFace.push(file);
        else items.push({ identity, file, embedding: e });
      } catch (e) {
        if (!isImageError(e)) throw e;
        unreadable.push({ file, code: e.code });
      }
      progress(i + 1, files.length);
    }
  } finally {
    await analyzer.close();
  }
  const genuine: number[] = [];
  const impostor: number[] = [];
  let lowestGenuine = { score: Infinity, a: '', b: '' };
  let highestImpostor = { score: -Infinity, a: '', b: '' };
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!;
      const b = items[j]!;
      const s = cosineSimilarity(a.embedding, b.embedding);
      if (a.identity === b.identity) {
        genuine.push(s);
        if (s < lowestGenuine.score) lowestGenuine = { score: s, a: a.file, b: b.file };
      } else {
        impostor.push(s);
        if (s > highestImpostor.score) highestImpostor = { score: s, a: a.file, b: b.file };
      }
    }
  }
  if (genuine.length === 0 || impostor.length === 0) {
    process.stderr.write('eval:verify: need at least one genuine and one impostor pair\n');
    process.exit(1);
  }
  const m = verificationMetrics(genuine, impostor, threshold);
  const seconds = (performance.now() - t0) / 1000;
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          dir,
          images: files.length,
          embedded: items.length,
          identities: new Set(items.map((i) => i.identity)).size,
          no_face: noFace.length,
          no_face_files: noFace,
          unreadable,
          genuine_pairs: m.genuinePairs,
          impostor_pairs: m.impostorPairs,
          eer: m.eer,
          eer_threshold: m.eerThreshold,
          'tar_at_far_1e-2': m.tarAtFar['1e-2'],
          'tar_at_far_1e-3': m.tarAtFar['1e-3'],
          threshold,
          far_at_threshold: m.atThreshold.far,
          frr_at_threshold: m.atThreshold.frr,
          lowest_genuine: lowestGenuine,
          highest_impostor: highestImpostor,
          seconds: Math.round(seconds * 10) / 10,
        },
        null,
        1,
      )}\n`,
    );
    return;
  }
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  const out = [
    `eval:verify ${dir}`,
    `images ${files.length}, embedded ${items.length}, faces not found ${noFace.length}${noFace.length ? ` (${noFace.join(', ')})` : ''}${unreadable.length ? `, unreadable ${unreadable.length}` : ''}`,
    `pairs: genuine ${m.genuinePairs}, impostor ${m.impostorPairs}`,
    `EER ${pct(m.eer)} (at cosine ${m.eerThreshold.toFixed(3)})`,
    `TAR at FAR 1e-2: ${pct(m.tarAtFar['1e-2'])}   TAR at FAR 1e-3: ${pct(m.tarAtFar['1e-3'])}${m.impostorPairs < 1000 ? ' (fewer than 1000 impostor pairs: not measurable)' : ''}`,
    `at threshold ${threshold}: FAR ${pct(m.atThreshold.far)}, FRR ${pct(m.atThreshold.frr)}`,
    `lowest genuine ${lowestGenuine.score.toFixed(3)} (${lowestGenuine.a} vs ${lowestGenuine.b}); highest impostor ${highestImpostor.score.toFixed(3)} (${highestImpostor.a} vs ${highestImpostor.b})`,
    `${seconds.toFixed(1)} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`eval:verify: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
