// The house plan as tests: the layer rules (.dependency-cruiser.cjs) catch
// each kind of break when one is injected, into a scratch tree and into a
// copy of the real one, so the check cannot silently stop checking; and the
// size rules (engine files, product functions) over the product code.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { checkLayers, REPO_ROOT, type LayerReport } from '../scripts/lib/layers.ts';

const PRODUCT_DIRS = ['common', 'src', 'media', 'models', 'signaling', 'turn'] as const;

/** A scratch repository holding `files` (path -> source), with the real node_modules linked in. */
async function cruiseScratch(files: Readonly<Record<string, string>>): Promise<LayerReport> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-layers-'));
  try {
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    for (const [file, source] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), source);
    }
    const dirs = [...new Set(Object.keys(files).map((f) => f.split('/')[0]!))];
    return await checkLayers(dir, dirs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rulesOf = (r: LayerReport): string[] => [...new Set(r.violations.map((v) => v.rule))].sort();

describe('layer rules', () => {
  test('checkLayers() reports no violation for imports the rules allow', async () => {
    const r = await cruiseScratch({
      'common/errors.ts': "import { z } from 'zod';\nexport const Code = z.enum(['a']);\n",
      'models/Analyzer.ts': "import { Code } from '../common/errors.ts';\nexport const a = Code;\n",
      'media/Pool.ts': "import { a } from '../models/Analyzer.ts';\nexport const p = a;\n",
      'src/engine/Engine.ts': "import { a } from '../../models/Analyzer.ts';\nexport const e = a;\n",
      'src/main.ts': "import { p } from '../media/Pool.ts';\nimport { e } from './engine/Engine.ts';\nexport default [p, e];\n",
      'test/main.test.ts': "import '../src/main.ts';\n",
    });
    assert.deepEqual(r.violations, []);
    assert.equal(r.modules >= 6, true, `cruised ${r.modules} modules`);
  });

  const cases: readonly [string, string, Readonly<Record<string, string>>][] = [
    ['common-imports-only-zod', 'common/ importing models/', { 'common/a.ts': "import '../models/b.ts';\n", 'models/b.ts': 'export {};\n' }],
    ['common-imports-only-zod', 'common/ importing a node builtin', { 'common/a.ts': "import fs from 'node:fs';\nexport const f = fs;\n" }],
    ['lower-layers-never-import-src', 'media/ importing src/', { 'media/a.ts': "import '../src/config.ts';\n", 'src/config.ts': 'export {};\n' }],
    ['lower-layers-never-import-src', 'turn/ importing src/ (type only)', { 'turn/a.ts': "import type { X } from '../src/x.ts';\nexport type Y = X;\n", 'src/x.ts': 'export type X = 1;\n' }],
    ['models-never-import-media-or-signaling', 'models/ importing media/', { 'models/a.ts': "import '../media/b.ts';\n", 'media/b.ts': 'export {};\n' }],
    ['engine-stays-pure', 'the engine importing the API', { 'src/engine/a.ts': "import '../api/b.ts';\n", 'src/api/b.ts': 'export {};\n' }],
    ['engine-stays-pure', 'the engine importing the service config', { 'src/engine/a.ts': "import type { C } from '../config.ts';\nexport type D = C;\n", 'src/config.ts': 'export type C = 1;\n' }],
    ['engine-stays-pure', 'the engine importing sessions', { 'src/engine/a.ts': "import '../sessions/b.ts';\n", 'src/sessions/b.ts': 'export {};\n' }],
    ['engine-stays-pure', 'the engine re-exporting an adapter', { 'src/engine/index.ts': "export * from '../bridge/a.ts';\n", 'src/bridge/a.ts': 'export const a = 1;\n' }],
    ['storage-never-imports-sessions-or-engine', 'state importing sessions', { 'src/state/a.ts': "import '../sessions/b.ts';\n", 'src/sessions/b.ts': 'export {};\n' }],
    ['config-imports-no-module', 'the config importing a module default', { 'src/config.ts': "import '../models/b.ts';\n", 'models/b.ts': 'export {};\n' }],
    ['product-never-imports-tools', 'src/ importing a test double', { 'src/a.ts': "import '../test/support/b.ts';\n", 'test/support/b.ts': 'export {};\n' }],
    ['product-never-imports-tools', 'media/ importing scripts/', { 'media/a.ts': "import '../scripts/lib/b.ts';\n", 'scripts/lib/b.ts': 'export {};\n' }],
    ['no-cycles-in-product', 'two src/ modules importing each other', { 'src/a.ts': "import './b.ts';\n", 'src/b.ts': "import './a.ts';\n" }],
    ['not-to-unresolvable', 'an import of a missing file', { 'src/a.ts': "import './missing.ts';\n" }],
  ];
  for (const [rule, what, files] of cases) {
    test(`checkLayers() reports ${rule} for ${what}`, async () => {
      const r = await cruiseScratch(files);
      assert.deepEqual(rulesOf(r), [rule], r.text);
    });
  }

  test('checkLayers() on a copy of the repository reports an import of src/ added to a media/ file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-layers-copy-'));
    try {
      symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      for (const d of PRODUCT_DIRS) cpSync(path.join(REPO_ROOT, d), path.join(dir, d), { recursive: true });
      cpSync(path.join(REPO_ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
      const before = await checkLayers(dir, PRODUCT_DIRS);
      const victim = path.join(dir, 'media', 'MediaWorkerPool.ts');
      writeFileSync(victim, `import '../src/config.ts';\n${readFileSync(victim, 'utf8')}`);
      const after = await checkLayers(dir, PRODUCT_DIRS);
      const added = after.violations.filter((v) => !before.violations.some((b) => b.rule === v.rule && b.from === v.from && b.to === v.to));
      assert.deepEqual(added, [{ rule: 'lower-layers-never-import-src', from: 'media/MediaWorkerPool.ts', to: 'src/config.ts', cycle: [] }], after.text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Size rules. Functions are measured as /work/tools/fnlen.mjs does (first to last line of the node).
const ENGINE_DIR = 'src/engine';
const MAX_ENGINE_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
/** Pixel loops kept whole on purpose (one pass over the image each). */
const LONG_FUNCTIONS_ALLOWED_IN = new Set(['models/imageKernels.ts']);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(rel));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

type FunctionNode = ts.SignatureDeclaration & { readonly body?: ts.Node | undefined };

function isFunctionNode(n: ts.Node): n is FunctionNode {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isArrowFunction(n) ||
    ts.isFunctionExpression(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessor(n) ||
    ts.isSetAccessor(n)
  );
}

/** A function whose whole body is one object or array literal (a document, a table): data, not logic. */
function isDataLiteral(fn: FunctionNode): boolean {
  let e: ts.Node | undefined = fn.body;
  if (e !== undefined && ts.isBlock(e)) {
    const [only, ...rest] = e.statements;
    e = rest.length === 0 && only !== undefined && ts.isReturnStatement(only) ? only.expression : undefined;
  }
  while (e !== undefined && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e))) e = e.expression;
  return e !== undefined && (ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e));
}

function functionName(n: FunctionNode): string {
  if (n.name !== undefined) return n.name.getText();
  const p = n.parent;
  if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText();
  return '<anonymous>';
}

/** `lines<TAB>file:line<TAB>name` for every product function over the limit. */
function longFunctions(): string[] {
  const out: { lines: number; at: string }[] = [];
  for (const file of PRODUCT_DIRS.flatMap((d) => tsFiles(d))) {
    if (LONG_FUNCTIONS_ALLOWED_IN.has(file)) continue;
    const src = ts.createSourceFile(file, readFileSync(path.join(REPO_ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if (isFunctionNode(n) && !isDataLiteral(n)) {
        const first = src.getLineAndCharacterOfPosition(n.getStart()).line;
        const last = src.getLineAndCharacterOfPosition(n.getEnd()).line;
        const lines = last - first + 1;
        if (lines > MAX_FUNCTION_LINES) out.push({ lines, at: `${lines}\t${file}:${first + 1}\t${functionName(n)}` });
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  return out.sort((a, b) => b.lines - a.lines).map((x) => x.at);
}

describe('size rules', () => {
  test(`no file in ${ENGINE_DIR} is over ${MAX_ENGINE_FILE_LINES} lines`, () => {
    const over = tsFiles(ENGINE_DIR)
      .map((f) => ({ f, lines: readFileSync(path.join(REPO_ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_ENGINE_FILE_LINES)
      .map((x) => `${x.lines}\t${x.f}`);
    assert.deepEqual(over, []);
  });

  test(`no product function is over ${MAX_FUNCTION_LINES} lines (image kernels and data literals apart)`, () => {
    assert.deepEqual(longFunctions(), []);
  });
});
