// face — look at images with the face pipeline from a shell.
//
//   npm run face -- analyze IMAGE [--json] [--embedding]
//   npm run face -- compare IMAGE_A IMAGE_B [--json] [--threshold T]
//
// Exit codes: 0 done (compare: whatever the verdict), 1 an image could not be
// used (typed error printed), 2 bad usage.
import { readFileSync } from 'node:fs';
import { isFacegateError } from '../../common/errors.ts';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../../models/similarity.ts';
import type { AnalyzeResult, Face } from '../../models/types.ts';
import { parseScriptArgs } from '../lib/args.ts';

const args = parseScriptArgs({
  name: 'face',
  usage: `usage:
  npm run face -- analyze IMAGE [--json] [--embedding]
  npm run face -- compare IMAGE_A IMAGE_B [--json] [--threshold T]
`,
  options: {
    json: { type: 'boolean' },
    embedding: { type: 'boolean' },
    threshold: { type: 'number', default: DEFAULT_MATCH_THRESHOLD, valid: (t) => t > -1 && t < 1, invalid: '--threshold must be a number in (-1, 1)' },
  },
});

function readImage(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    return args.fail(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const r1 = (v: number): number => Math.round(v * 10) / 10;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

function faceJson(f: Face, withEmbedding: boolean): Record<string, unknown> {
  return {
    box: { x1: r1(f.box.x1), y1: r1(f.box.y1), x2: r1(f.box.x2), y2: r1(f.box.y2) },
    score: r3(f.score),
    five_points: f.fivePoints?.map((p) => [r1(p.x), r1(p.y)]),
    landmarks: f.landmarks?.map((p) => [r1(p.x), r1(p.y)]),
    pose: f.pose && { yaw: r1(f.pose.yaw), pitch: r1(f.pose.pitch), roll: r1(f.pose.roll) },
    eyes_closed: f.eyes && { left: r3(f.eyes.leftClosed), right: r3(f.eyes.rightClosed) },
    live: f.live === undefined ? undefined : r3(f.live),
    quality: f.quality && {
      face_size: r1(f.quality.faceSize),
      sharpness: r1(f.quality.sharpness),
      brightness: r1(f.quality.brightness),
      frontalness: r3(f.quality.frontalness),
    },
    embedding: withEmbedding && f.embedding ? Array.from(f.embedding, (v) => Math.round(v * 1e6) / 1e6) : undefined,
  };
}

function printFaces(file: string, r: AnalyzeResult): void {
  const lines = [`${file}: ${r.width}x${r.height}, ${r.faces.length} face(s)`];
  r.faces.forEach((f, i) => {
    const b = f.box;
    lines.push(`  #${i + 1} box (${b.x1.toFixed(0)},${b.y1.toFixed(0)})-(${b.x2.toFixed(0)},${b.y2.toFixed(0)}) score ${f.score.toFixed(3)}`);
    if (f.pose) lines.push(`     pose yaw ${f.pose.yaw.toFixed(1)} pitch ${f.pose.pitch.toFixed(1)} roll ${f.pose.roll.toFixed(1)} deg`);
    if (f.eyes) lines.push(`     eyes closed p: left ${f.eyes.leftClosed.toFixed(3)} right ${f.eyes.rightClosed.toFixed(3)}`);
    if (f.live !== undefined) lines.push(`     passive live p ${f.live.toFixed(3)}`);
    if (f.quality) {
      const q = f.quality;
      lines.push(`     quality size ${q.faceSize.toFixed(0)} px, sharpness ${q.sharpness.toFixed(0)}, brightness ${q.brightness.toFixed(0)}, frontalness ${q.frontalness.toFixed(2)}`);
    }
  });
  const t = Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  lines.push(`  ms: ${t}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<number> {
  const { json, embedding, threshold } = args.values;
  const [cmd, ...files] = args.positionals;
  if (cmd === 'analyze' && files.length === 1) {
    const bytes = readImage(files[0]!);
    const analyzer = await FaceAnalyzer.create();
    try {
      const stages = embedding
        ? (['landmarks', 'pose', 'eyes', 'liveness', 'quality', 'embedding'] as const)
        : (['landmarks', 'pose', 'eyes', 'liveness', 'quality'] as const);
      const r = await analyzer.analyze(bytes, { stages });
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ file: files[0], width: r.width, height: r.height, faces: r.faces.map((f) => faceJson(f, embedding)), timings_ms: r.timings })}\n`,
        );
      } else printFaces(files[0]!, r);
    } finally {
      await analyzer.close();
    }
    return 0;
  }
  if (cmd === 'compare' && files.length === 2) {
    const a = readImage(files[0]!);
    const b = readImage(files[1]!);
    const analyzer = await FaceAnalyzer.create({ models: ['detect', 'landmark', 'feature'] });
    try {
      const ra = await analyzer.analyze(a, { stages: ['embedding'], maxFaces: 1 });
      const rb = await analyzer.analyze(b, { stages: ['embedding'], maxFaces: 1 });
      const missing = [ra, rb].map((r, i) => (r.faces[0]?.embedding ? undefined : files[i])).filter((f) => f !== undefined);
      if (missing.length > 0) {
        const msg = { error: { code: 'no_face', message: `no face found in ${missing.join(' and ')}` } };
        if (json) process.stdout.write(`${JSON.stringify(msg)}\n`);
        else process.stderr.write(`face compare: ${msg.error.message}\n`);
        return 1;
      }
      const s = cosineSimilarity(ra.faces[0]!.embedding!, rb.faces[0]!.embedding!);
      const res = { similarity: Math.round(s * 1e4) / 1e4, match: s >= threshold, threshold };
      if (json) process.stdout.write(`${JSON.stringify(res)}\n`);
      else process.stdout.write(`similarity ${res.similarity.toFixed(4)} -> ${res.match ? 'MATCH' : 'no match'} (threshold ${threshold})\n`);
    } finally {
      await analyzer.close();
    }
    return 0;
  }
  return args.fail(cmd === undefined ? 'a command is required (analyze or compare; --help for usage)' : `bad arguments for ${cmd}`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isFacegateError(e)) {
      if (args.values.json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
      else process.stderr.write(`face: ${e.code}: ${e.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`face: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
