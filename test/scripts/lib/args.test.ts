// scripts/lib/args.ts: typed options, --help, and exit 2 with one line on a bad flag.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseScriptArgs, type ParseIo } from '../../../scripts/lib/args.ts';

class Exit extends Error {
  constructor(readonly code: 0 | 2) {
    super(`exit ${code}`);
  }
}

function capture(): { io: ParseIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      exit: (code) => {
        throw new Exit(code);
      },
    },
    out,
    err,
  };
}

const spec = {
  name: 'demo',
  usage: 'usage: demo DIR [--json] [--threshold T] [--mode a|b]',
  options: {
    json: { type: 'boolean' },
    threshold: { type: 'number', default: 0.42, valid: (t: number) => t > -1 && t < 1, invalid: '--threshold must be a number in (-1, 1)' },
    mode: { type: 'string', choices: ['a', 'b'] },
    name: { type: 'string', short: 'n' },
  },
} as const;

function exitOf(argv: string[]): { code: number; out: string[]; err: string[] } {
  const c = capture();
  try {
    parseScriptArgs(spec, argv, c.io);
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, out: c.out, err: c.err };
    throw e;
  }
  return { code: -1, out: c.out, err: c.err };
}

describe('parseScriptArgs', () => {
  test('parseScriptArgs() types values, applies defaults and keeps positionals in order', () => {
    const r = parseScriptArgs(spec, ['DIR', '--json', '--threshold', '-0.5', '--mode=b', '-n', 'x', 'MORE'], capture().io);
    assert.deepEqual(r.values, { json: true, threshold: -0.5, mode: 'b', name: 'x' });
    assert.deepEqual(r.positionals, ['DIR', 'MORE']);
    const d = parseScriptArgs(spec, [], capture().io);
    assert.deepEqual(d.values, { json: false, threshold: 0.42, mode: undefined, name: undefined });
  });

  test('parseScriptArgs() prints the usage on --help and -h and exits 0', () => {
    for (const h of ['--help', '-h']) {
      const r = exitOf(['DIR', h]);
      assert.equal(r.code, 0);
      assert.deepEqual(r.out, [`${spec.usage}\n`]);
      assert.deepEqual(r.err, []);
    }
  });

  test('parseScriptArgs() exits 2 with one line for a bad flag or value', () => {
    const cases: [string[], string][] = [
      [['--bogus'], 'demo: unknown option --bogus\n'],
      [['--threshold'], 'demo: --threshold needs a value\n'],
      [['--threshold', 'abc'], 'demo: --threshold must be a number in (-1, 1)\n'],
      [['--threshold', '2'], 'demo: --threshold must be a number in (-1, 1)\n'],
      [['--json=yes'], 'demo: --json takes no value\n'],
      [['--mode', 'c'], 'demo: --mode is one of a, b\n'],
    ];
    for (const [argv, line] of cases) {
      const r = exitOf(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.deepEqual(r.err, [line]);
      assert.deepEqual(r.out, []);
    }
  });

  test('parseScriptArgs() refuses positionals when allowPositionals is false; fail() exits 2 with the script name', () => {
    const c = capture();
    assert.throws(() => parseScriptArgs({ ...spec, allowPositionals: false }, ['extra'], c.io), (e: unknown) => e instanceof Exit && e.code === 2);
    assert.deepEqual(c.err, ['demo: unexpected argument extra\n']);
    const ok = parseScriptArgs(spec, [], c.io);
    assert.throws(() => ok.fail('DIR is required'), (e: unknown) => e instanceof Exit && e.code === 2);
    assert.equal(c.err.at(-1), 'demo: DIR is required\n');
  });
});
