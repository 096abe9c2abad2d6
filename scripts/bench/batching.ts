// bench:batching — does onnxruntime gain from batching frames of several
// sessions into one call? The shipped models have a fixed batch of 1, so each
// is rewritten (in a temp dir, never in place) with a symbolic leading
// dimension on its graph inputs, outputs and value_info: the protobuf wire
// format is edited directly (ModelProto.graph -> input/output/value_info ->
// type.tensor_type.shape.dim[0]: dim_value 1 -> dim_param "N"). A model whose
// graph hard-codes batch 1 elsewhere (a Reshape constant) fails at batch > 1
// or disagrees with single runs, and is reported as not batchable as shipped.
// Per model: process CPU per item (user + system, ms) at batch 1, 2, 4 and 8,
// the sizes taking turns within each repetition, median over --reps, one
// intra-op thread and spinning off as the product's ModelRegistry opens them.
//
//   npm run bench:batching [-- --json] [--reps N]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { defaultModelDir } from '../../models/ModelRegistry.ts';
import { parseScriptArgs } from '../lib/args.ts';
import { withSymbolicBatch } from '../lib/onnxBatch.ts';
import { formatTable, median } from '../lib/stats.ts';

const { values } = parseScriptArgs({
  name: 'bench:batching',
  usage: 'usage: npm run bench:batching [-- --json] [--reps N]',
  options: {
    json: { type: 'boolean' },
    reps: { type: 'number', default: 25, valid: (n) => Number.isInteger(n) && n >= 3 && n <= 1000, invalid: '--reps needs a whole number 3..1000' },
  },
});

const MODELS = ['fr_detect', 'fr_landmark', 'fr_eye', 'fr_feature', 'fr_liveness', 'fr_pose'] as const;
const SIZES = [1, 2, 4, 8] as const;
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // A model that does not batch fails loudly at batch 4; the table says so instead of onnxruntime's log.
  logSeverityLevel: 4,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

// ---- the measurement --------------------------------------------------------

interface Row {
  readonly model: string;
  readonly batchable: boolean;
  readonly why?: string;
  /** CPU ms per item by batch size. */
  readonly msPerItem?: Record<string, number>;
  readonly ratio4?: number;
  readonly ratio8?: number;
}

function input(dims: readonly number[], batch: number): ort.Tensor {
  const per = dims.reduce((a, b) => a * b, 1);
  const d = new Float32Array(per * batch);
  for (let i = 0; i < d.length; i++) d[i] = ((i * 2654435761) % 1000) / 1000;
  return new ort.Tensor('float32', d, [batch, ...dims]);
}

const firstOutput = (r: ort.InferenceSession.OnnxValueMapType): Float32Array => Object.values(r)[0]!.data as Float32Array;

async function measure(file: string, name: string, reps: number): Promise<Row> {
  const s = await ort.InferenceSession.create(file, SESSION_OPTIONS);
  try {
    const meta = s.inputMetadata[0]!;
    if (!meta.isTensor) return { model: name, batchable: false, why: 'input is not a tensor' };
    const dims = meta.shape.slice(1).map(Number);
    const per = dims.reduce((a, b) => a * b, 1);
    // Batch 4 against four single runs: the same numbers, or the graph does not batch.
    const four = input(dims, 4);
    let out4: Float32Array;
    try {
      out4 = firstOutput(await s.run({ [s.inputNames[0]!]: four }));
    } catch (e) {
      return { model: name, batchable: false, why: `batch 4 fails: ${(e as Error).message.split('\n')[0]!.slice(0, 120)}` };
    }
    let maxDiff = 0;
    for (let k = 0; k < 4; k++) {
      const one = new ort.Tensor('float32', (four.data as Float32Array).slice(k * per, (k + 1) * per), [1, ...dims]);
      const o = firstOutput(await s.run({ [s.inputNames[0]!]: one }));
      if (out4.length !== 4 * o.length) return { model: name, batchable: false, why: `batch 4 gave ${out4.length} values, 4 singles ${4 * o.length}` };
      for (let i = 0; i < o.length; i++) maxDiff = Math.max(maxDiff, Math.abs(o[i]! - out4[k * o.length + i]!) / Math.max(1, Math.abs(o[i]!)));
    }
    if (maxDiff > 1e-4) return { model: name, batchable: false, why: `batch 4 disagrees with single runs (max relative difference ${maxDiff.toExponential(1)})` };
    const inputs = new Map(SIZES.map((b) => [b, input(dims, b)]));
    for (let w = 0; w < 3; w++) for (const b of SIZES) await s.run({ [s.inputNames[0]!]: inputs.get(b)! });
    const cpu = new Map<number, number[]>(SIZES.map((b) => [b, []]));
    for (let rep = 0; rep < reps; rep++) {
      for (const b of SIZES) {
        const c0 = process.cpuUsage();
        await s.run({ [s.inputNames[0]!]: inputs.get(b)! });
        const c = process.cpuUsage(c0);
        cpu.get(b)!.push((c.user + c.system) / 1000 / b);
      }
    }
    const ms = Object.fromEntries(SIZES.map((b) => [`b${b}`, Math.round(median(cpu.get(b)!) * 1000) / 1000]));
    return { model: name, batchable: true, msPerItem: ms, ratio4: Math.round((ms['b4']! / ms['b1']!) * 100) / 100, ratio8: Math.round((ms['b8']! / ms['b1']!) * 100) / 100 };
  } finally {
    await s.release();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-batching-'));
  const rows: Row[] = [];
  try {
    for (const m of MODELS) {
      const file = path.join(dir, `${m}.onnx`);
      writeFileSync(file, withSymbolicBatch(readFileSync(path.join(defaultModelDir(), `${m}.onnx`))));
      rows.push(await measure(file, m, values.reps));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const load = os.loadavg().map((v) => v.toFixed(2)).join(' ');
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ reps: values.reps, loadavg: load, models: rows }, null, 1)}\n`);
    return;
  }
  const cols = ['model', 'b1 ms/item', 'b2', 'b4', 'b8', 'b4/b1', 'b8/b1'].map((h, i) => ({ header: h, width: i === 0 ? 14 : 12, align: i === 0 ? ('left' as const) : ('right' as const) }));
  const ok = rows.filter((r) => r.batchable);
  for (const line of formatTable(cols, ok.map((r) => [r.model, ...SIZES.map((b) => r.msPerItem![`b${b}`]!.toFixed(3)), r.ratio4!.toFixed(2), r.ratio8!.toFixed(2)]))) console.log(line);
  for (const r of rows.filter((x) => !x.batchable)) console.log(`${r.model}: not batchable as shipped: ${r.why}`);
  console.log(`process CPU per item, median of ${values.reps} repetitions, 1 intra-op thread; load ${load}`);
}

await main();
