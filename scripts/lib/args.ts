// Command-line arguments for every script, over node:util parseArgs: typed
// options (boolean, string, number) with defaults and checks, positionals,
// `--help` / `-h` printing the usage text (stdout, exit 0), and any bad flag
// or bad value answered with one line on stderr and exit code 2.
import { parseArgs } from 'node:util';

interface BaseOption {
  readonly short?: string;
}
export interface BooleanOption extends BaseOption {
  readonly type: 'boolean';
}
export interface StringOption extends BaseOption {
  readonly type: 'string';
  readonly default?: string;
  /** The only values accepted; the parsed value is typed as their union. */
  readonly choices?: readonly string[];
  /** A value that fails this check is answered with `invalid` (or a generic line) and exit 2. */
  readonly valid?: (value: string) => boolean;
  readonly invalid?: string;
}
export interface NumberOption extends BaseOption {
  readonly type: 'number';
  readonly default?: number;
  /** Checked after Number(): NaN reaches it too, so it decides what a bad number is. */
  readonly valid?: (value: number) => boolean;
  readonly invalid?: string;
}
export type OptionSpec = BooleanOption | StringOption | NumberOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed value of one option: booleans default to false; others are undefined unless given a default. */
export type OptionValue<S extends OptionSpec> = S extends BooleanOption
  ? boolean
  : S extends NumberOption
    ? S extends { readonly default: number }
      ? number
      : number | undefined
    : S extends { readonly choices: readonly (infer C extends string)[] }
      ? S extends { readonly default: string }
        ? C
        : C | undefined
      : S extends { readonly default: string }
        ? string
        : string | undefined;

export type OptionValues<O extends OptionSpecs> = { -readonly [K in keyof O]: OptionValue<O[K]> };

export interface ScriptSpec<O extends OptionSpecs> {
  /** The name in messages, e.g. 'eval:verify' (`eval:verify: unknown option --x`). */
  readonly name: string;
  /** Printed whole on --help. */
  readonly usage: string;
  readonly options: O;
  /** Whether positionals are accepted (default true). */
  readonly allowPositionals?: boolean;
}

export interface ParsedArgs<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
  /** Ends the script with `NAME: message` on stderr and exit code 2. */
  readonly fail: (message: string) => never;
}

/** Where the parser writes and how it ends the script (tests inject one whose exit throws). */
export interface ParseIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly exit: (code: 0 | 2) => never;
}

const processIo: ParseIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  exit: (code) => process.exit(code),
};

/**
 * Parses `argv` (default: process.argv after the script) against `spec`. Unknown options,
 * a missing value, a value given to a boolean flag, or a value that fails its check end the
 * script with one line on stderr and exit 2; --help prints the usage and exits 0.
 */
export function parseScriptArgs<const O extends OptionSpecs>(
  spec: ScriptSpec<O>,
  argv: readonly string[] = process.argv.slice(2),
  io: ParseIo = processIo,
): ParsedArgs<O> {
  const fail = (message: string): never => {
    io.stderr(`${spec.name}: ${message}\n`);
    return io.exit(2);
  };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) {
    config[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short !== undefined ? { short: o.short } : {}) };
  }
  // strict: false, then checked here, so that every complaint is our one line.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const raw = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    if (t.name === 'help') {
      io.stdout(spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`);
      return io.exit(0);
    }
    const o = spec.options[t.name];
    if (o === undefined) return fail(`unknown option ${t.rawName}`);
    if (o.type === 'boolean') {
      if (t.value !== undefined) return fail(`${t.rawName} takes no value`);
      raw.set(t.name, true);
    } else {
      if (t.value === undefined) return fail(`${t.rawName} needs a value`);
      raw.set(t.name, t.value);
    }
  }
  if (spec.allowPositionals === false && positionals.length > 0) return fail(`unexpected argument ${positionals[0]}`);
  const values: Record<string, boolean | string | number | undefined> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const given = raw.get(name);
    if (o.type === 'boolean') values[name] = given === true;
    else if (given === undefined || given === true) values[name] = o.default;
    else if (o.type === 'string') {
      if (o.choices !== undefined && !o.choices.includes(given)) return fail(o.invalid ?? `--${name} is one of ${o.choices.join(', ')}`);
      if (o.valid !== undefined && !o.valid(given)) return fail(o.invalid ?? `bad value for --${name}: ${given}`);
      values[name] = given;
    } else {
      const n = Number(given);
      const ok = o.valid !== undefined ? o.valid(n) : given.trim() !== '' && Number.isFinite(n);
      if (!ok) return fail(o.invalid ?? `--${name} needs a number, got ${given}`);
      values[name] = n;
    }
  }
  return { values: values as OptionValues<O>, positionals, fail };
}
