/**
 * The initializers of an ONNX model file as written (name, TensorProto data_type, dims, raw bytes): a minimal
 * protobuf reader for ModelProto.graph (7) → GraphProto.initializer (5) → TensorProto dims (1), data_type (2),
 * name (8), raw_data (9), so tests check what a file holds rather than what our encoder meant to write.
 */
export interface FileInitializer {
  readonly dataType: number;
  readonly dims: number[];
  readonly raw: Uint8Array;
}

/** TensorProto.DataType values. */
export const ONNX_FLOAT = 1;
export const ONNX_FLOAT16 = 10;
export const ONNX_BFLOAT16 = 16;

type Field = { readonly field: number; readonly wire: number; readonly value: number; readonly bytes?: Uint8Array };

/** A base-128 varint at `at`: its value and the position after it. */
function varint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let scale = 1; ; scale *= 128) {
    const byte = buf[at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
  }
}

function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  while (at < buf.length) {
    const [key, next] = varint(buf, at);
    const [field, wire] = [Math.floor(key / 8), key % 8];
    at = next;
    if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      continue;
    }
    if (wire !== 0 && wire !== 2) throw new Error(`unexpected protobuf wire type ${wire}`);
    const [value, after] = varint(buf, at);
    yield wire === 0 ? { field, wire, value } : { field, wire, value, bytes: buf.subarray(after, after + value) };
    at = wire === 0 ? after : after + value;
  }
}

/** A packed repeated varint field's values. */
function packed(bytes: Uint8Array): number[] {
  const values: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    const [value, next] = varint(bytes, at);
    values.push(value);
    at = next;
  }
  return values;
}

function tensor(bytes: Uint8Array): [string, FileInitializer] {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array = new Uint8Array(0);
  for (const f of fields(bytes)) {
    if (f.field === 1) dims.push(...(f.bytes ? packed(f.bytes) : [f.value]));
    else if (f.field === 2) dataType = f.value;
    else if (f.field === 8) name = new TextDecoder().decode(f.bytes);
    else if (f.field === 9) raw = f.bytes!;
  }
  return [name, { dataType, dims, raw }];
}

/** Every initializer of the model's graph, by name. */
export function onnxInitializers(model: Uint8Array): Map<string, FileInitializer> {
  const out = new Map<string, FileInitializer>();
  for (const m of fields(model)) {
    if (m.field !== 7 || !m.bytes) continue;
    for (const g of fields(m.bytes)) if (g.field === 5 && g.bytes) out.set(...tensor(g.bytes));
  }
  return out;
}
