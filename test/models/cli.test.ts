// The face and eval:verify CLIs run as a user runs them (node --import tsx),
// on real photos; the JSON they print is parsed and checked.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MATCH_THRESHOLD } from '../../models/similarity.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FACES = path.resolve(ROOT, '../shared/faces');

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'scripts', script), ...args],
      { cwd: ROOT, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('face CLI', () => {
  test('face compare --json prints similarity, match and the default threshold', async () => {
    const same = await run('cli/face.ts', [
      'compare',
      path.join(FACES, 'Matt_Damon', 'img29.jpg'),
      path.join(FACES, 'Matt_Damon', 'img31.jpg'),
      '--json',
    ]);
    assert.equal(same.code, 0, same.stderr);
    const r = JSON.parse(same.stdout) as { similarity: number; match: boolean; threshold: number };
    assert.deepEqual(Object.keys(r).sort(), ['match', 'similarity', 'threshold']);
    assert.equal(r.threshold, DEFAULT_MATCH_THRESHOLD);
    assert.equal(r.match, true);
    const other = await run('cli/face.ts', [
      'compare',
      path.join(FACES, 'Matt_Damon', 'img29.jpg'),
      path.join(FACES, 'bbt_amy', 'amy1.png'),
      '--json',
    ]);
    const o = JSON.parse(other.stdout) as { similarity: number; match: boolean };
    assert.equal(o.match, false);
    assert.ok(o.similarity < r.similarity);
  });

  test('face analyze --json lists the face; a text file exits 1 with its error code', async (t) => {
    const ok = await run('cli/face.ts', ['analyze', path.join(FACES, 'Angelina_Jolie', 'img5.jpg'), '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const r = JSON.parse(ok.stdout) as { faces: { pose?: unknown; live?: number; landmarks?: unknown[] }[] };
    assert.equal(r.faces.length, 1);
    assert.equal(r.faces[0]!.landmarks?.length, 68);
    assert.ok(r.faces[0]!.pose !== undefined && typeof r.faces[0]!.live === 'number');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const txt = path.join(dir, 'notes.txt');
    writeFileSync(txt, 'hello\n');
    const bad = await run('cli/face.ts', ['analyze', txt, '--json']);
    assert.equal(bad.code, 1);
    assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'image_unsupported');
    const usage = await run('cli/face.ts', ['frobnicate']);
    assert.equal(usage.code, 2);
  });
});

describe('eval:verify CLI', () => {
  test('eval:verify --json counts pairs and reports EER on a small identity folder', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-eval-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const pick: Record<string, string[]> = {
      Matt_Damon: ['img29.jpg', 'img31.jpg', 'img32.jpg'],
      bbt_amy: ['amy1.png', 'amy2.png'],
      Katy_Perry: ['img26.jpg', 'img27.jpg'],
    };
    for (const [id, files] of Object.entries(pick)) {
      mkdirSync(path.join(dir, id));
      for (const f of files) symlinkSync(path.join(FACES, id, f), path.join(dir, id, f));
    }
    writeFileSync(path.join(dir, 'Katy_Perry', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
    const r = await run('eval/verify.ts', [dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress bar when stderr is not a TTY');
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['eer', 'tar_at_far_1e-3', 'genuine_pairs', 'impostor_pairs', 'no_face']) assert.ok(k in j, k);
    // 7 faces: genuine 3 + 1 + 1 = 5 pairs, impostor 21 - 5 = 16.
    assert.equal(j.genuine_pairs, 5);
    assert.equal(j.impostor_pairs, 16);
    assert.equal(j.no_face, 0);
    assert.equal((j.unreadable as unknown[]).length, 1);
    assert.equal(j.eer, 0);
  });
});
