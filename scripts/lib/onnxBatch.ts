// An ONNX model with a symbolic batch dimension, for bench:batching: the
// shipped models fix batch 1, and there is no onnx package on this stack, so
// the protobuf wire format is edited directly, just as far as this needs
// (ModelProto.graph -> input / output / value_info -> type.tensor_type.shape
// .dim[0]: dim_value 1 -> dim_param "N"). Other fields pass through byte for byte.

interface Field {
  readonly no: number;
  readonly wire: number;
  /** Varint bytes, the length-delimited payload, or the fixed 4/8 bytes. */
  readonly payload: Uint8Array;
}

function readVarint(b: Uint8Array, i: number): [number, number] {
  let r = 0;
  let mul = 1;
  for (;;) {
    if (i >= b.length) throw new RangeError('truncated varint');
    const c = b[i++]!;
    r += (c & 0x7f) * mul;
    mul *= 128;
    if (c < 0x80) return [r, i];
  }
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  do {
    const c = n % 128;
    n = Math.floor(n / 128);
    out.push(n > 0 ? c | 0x80 : c);
  } while (n > 0);
  return Uint8Array.from(out);
}

function* fields(b: Uint8Array): Generator<Field> {
  let i = 0;
  while (i < b.length) {
    const [key, j] = readVarint(b, i);
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const [, k] = readVarint(b, j);
      yield { no, wire, payload: b.subarray(j, k) };
      i = k;
    } else if (wire === 2) {
      const [n, k] = readVarint(b, j);
      yield { no, wire, payload: b.subarray(k, k + n) };
      i = k + n;
    } else if (wire === 5 || wire === 1) {
      const n = wire === 5 ? 4 : 8;
      yield { no, wire, payload: b.subarray(j, j + n) };
      i = j + n;
    } else {
      throw new RangeError(`unsupported wire type ${wire}`);
    }
  }
}

function emit(no: number, wire: number, payload: Uint8Array): Uint8Array {
  return Buffer.concat([varint(no * 8 + wire), ...(wire === 2 ? [varint(payload.length)] : []), payload]);
}

/** Applies `leaf` to every message at the end of `fieldPath` (nested length-delimited fields). */
function rewrite(b: Uint8Array, fieldPath: readonly number[], leaf: (m: Uint8Array) => Uint8Array): Uint8Array {
  if (fieldPath.length === 0) return leaf(b);
  const parts: Uint8Array[] = [];
  for (const f of fields(b)) parts.push(emit(f.no, f.wire, f.wire === 2 && f.no === fieldPath[0] ? rewrite(f.payload, fieldPath.slice(1), leaf) : f.payload));
  return Buffer.concat(parts);
}

/** TensorShapeProto: the first dim, if it is dim_value 1, becomes dim_param "N". */
function firstDimSymbolic(shape: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let first = true;
  for (const f of fields(shape)) {
    if (f.no === 1 && first) {
      first = false;
      const isOne = [...fields(f.payload)].some((d) => d.no === 1 && d.wire === 0 && d.payload.length === 1 && d.payload[0] === 1);
      if (isOne) {
        parts.push(emit(1, 2, emit(2, 2, Buffer.from('N'))));
        continue;
      }
    }
    parts.push(emit(f.no, f.wire, f.payload));
  }
  return Buffer.concat(parts);
}

/** The model with a symbolic batch dimension (ModelProto.graph=7; input=11, output=12, value_info=13; type=2, tensor_type=1, shape=2). */
export function withSymbolicBatch(model: Uint8Array): Uint8Array {
  let m = model;
  for (const vi of [11, 12, 13]) m = rewrite(m, [7, vi, 2, 1, 2], firstDimSymbolic);
  return m;
}
