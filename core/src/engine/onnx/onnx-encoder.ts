/**
 * Hand-written protobuf encoder for onnx.ModelProto. Field numbers are those of onnx/onnx.proto
 * (IR 10); the test suite decodes the output with an independent decoder (protobufjs) to keep them honest.
 *
 * Encoding runs the same message walk twice over a `Sink`: a sizing pass records every nested
 * message's length in pre-order, then a writing pass fills one preallocated buffer, so tensor bytes
 * are copied exactly once (`Uint8Array.set`) and no intermediate buffers are built.
 */
import { elementCount } from '../dtype-array.js';
import { isFrozenHostArray } from '../frozen-host-arrays.js';
import type { DType, ExternalTensorData, TensorData } from '../graph-executor.js';
import {
  OnnxDataType,
  type OnnxAttribute,
  type OnnxFunction,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxOpsetImport,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-model.js';

/** protobuf (and therefore onnxruntime's parser) refuses messages of 2 GiB or more. */
export const MAX_MODEL_PROTO_BYTES = 2 ** 31 - 1;

// ---------------------------------------------------------------- field numbers (onnx.proto)

const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8, metadataProps: 14, functions: 25 };
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
const ATTR = { name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, type: 20 };
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13, dataLocation: 14 };
const VALUE_INFO = { name: 1, type: 2 };
const TYPE = { tensorType: 1 };
const TYPE_TENSOR = { elemType: 1, shape: 2 };
const SHAPE = { dim: 1 };
const DIM = { dimValue: 1, dimParam: 2 };
const OPSET = { domain: 1, version: 2 };
const FUNCTION = { name: 1, input: 4, output: 5, attribute: 6, node: 7, opsetImport: 9, domain: 10 };
const ENTRY = { key: 1, value: 2 };

/** AttributeProto.AttributeType. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 } as const;
/** TensorProto.DataLocation.EXTERNAL. */
const DATA_LOCATION_EXTERNAL = 1;

// ---------------------------------------------------------------- wire level

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** What a message walk writes to; implemented once for sizing and once for writing. */
interface Sink {
  int64(field: number, value: number | bigint): void;
  float(field: number, value: number): void;
  string(field: number, value: string): void;
  bytes(field: number, value: Uint8Array): void;
  message<T>(field: number, encode: (sink: Sink, value: T) => void, value: T): void;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** int64 as protobuf's unsigned 64-bit varint (negative values take ten bytes). */
function toUint64(value: number | bigint): number | bigint {
  if (typeof value === 'bigint') {
    const unsigned = BigInt.asUintN(64, value);
    return unsigned <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(unsigned) : unsigned;
  }
  if (!Number.isSafeInteger(value)) {
    throw new Error(`ONNX int64 field needs a safe integer (or a bigint), got ${value}`);
  }
  return value >= 0 ? value : BigInt.asUintN(64, BigInt(value));
}

function uint64Size(value: number | bigint): number {
  if (typeof value === 'number') return varintSize(value);
  let size = 1;
  while (value >= 128n) {
    value >>= 7n;
    size++;
  }
  return size;
}

function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else length += 3; // lone surrogate: TextEncoder writes U+FFFD (3 bytes)
    } else length += 3;
  }
  return length;
}

const tagSize = (field: number) => varintSize(field * 8);

class SizeSink implements Sink {
  size = 0;
  /** Byte length of every nested message, in the pre-order the writing pass will meet them. */
  readonly messageSizes: number[] = [];

  int64(field: number, value: number | bigint): void {
    this.size += tagSize(field) + uint64Size(toUint64(value));
  }
  float(field: number): void {
    this.size += tagSize(field) + 4;
  }
  string(field: number, value: string): void {
    const length = utf8Length(value);
    this.size += tagSize(field) + varintSize(length) + length;
  }
  bytes(field: number, value: Uint8Array): void {
    this.size += tagSize(field) + varintSize(value.byteLength) + value.byteLength;
  }
  message<T>(field: number, encode: (sink: Sink, value: T) => void, value: T): void {
    const slot = this.messageSizes.push(0) - 1;
    const outer = this.size;
    this.size = 0;
    encode(this, value);
    const inner = this.size;
    this.messageSizes[slot] = inner;
    this.size = outer + tagSize(field) + varintSize(inner) + inner;
  }
}

const textEncoder = new TextEncoder();
const floatScratch = new Float32Array(1);
const floatScratchBytes = new Uint8Array(floatScratch.buffer);

class WriteSink implements Sink {
  pos = 0;
  private slot = 0;

  constructor(
    private readonly out: Uint8Array,
    private readonly messageSizes: readonly number[],
  ) {}

  int64(field: number, value: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.uint64(toUint64(value));
  }
  float(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    floatScratch[0] = value;
    this.out.set(floatScratchBytes, this.pos);
    this.pos += 4;
  }
  string(field: number, value: string): void {
    this.tag(field, WIRE_BYTES);
    const length = utf8Length(value);
    this.varint(length);
    if (length === value.length) this.ascii(value);
    else textEncoder.encodeInto(value, this.out.subarray(this.pos, this.pos + length));
    this.pos += length;
  }
  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(value.byteLength);
    this.out.set(value, this.pos);
    this.pos += value.byteLength;
  }
  message<T>(field: number, encode: (sink: Sink, value: T) => void, value: T): void {
    const length = this.messageSizes[this.slot++]!;
    this.tag(field, WIRE_BYTES);
    this.varint(length);
    const end = this.pos + length;
    encode(this, value);
    // The two passes walk the same object; a mismatch means the model changed mid-encode.
    if (this.pos !== end) throw new Error(`ONNX encoder: message size mismatch (${this.pos} != ${end})`);
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  private varint(value: number): void {
    const out = this.out;
    while (value >= 128) {
      out[this.pos++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    out[this.pos++] = value;
  }
  private uint64(value: number | bigint): void {
    if (typeof value === 'number') return this.varint(value);
    while (value >= 128n) {
      this.out[this.pos++] = Number(value & 127n) | 128;
      value >>= 7n;
    }
    this.out[this.pos++] = Number(value);
  }
  /** Fast path: every char is < 0x80, so one byte per char. */
  private ascii(value: string): void {
    for (let i = 0; i < value.length; i++) this.out[this.pos + i] = value.charCodeAt(i);
  }
}

// ---------------------------------------------------------------- messages

function encodeModelProto(s: Sink, model: OnnxModel): void {
  s.int64(MODEL.irVersion, model.irVersion);
  if (model.producerName) s.string(MODEL.producerName, model.producerName);
  if (model.producerVersion) s.string(MODEL.producerVersion, model.producerVersion);
  s.message(MODEL.graph, encodeGraph, model.graph);
  for (const opset of model.opsetImport) s.message(MODEL.opsetImport, encodeOpset, opset);
  for (const entry of Object.entries(model.metadataProps ?? {})) s.message(MODEL.metadataProps, encodeEntry, entry);
  for (const fn of model.functions ?? []) s.message(MODEL.functions, encodeFunction, fn);
}

function encodeGraph(s: Sink, graph: OnnxGraph): void {
  for (const node of graph.node) s.message(GRAPH.node, encodeNode, node);
  s.string(GRAPH.name, graph.name);
  for (const tensor of graph.initializer ?? []) s.message(GRAPH.initializer, encodeTensor, tensor);
  for (const info of graph.input) s.message(GRAPH.input, encodeValueInfo, info);
  for (const info of graph.output) s.message(GRAPH.output, encodeValueInfo, info);
  for (const info of graph.valueInfo ?? []) s.message(GRAPH.valueInfo, encodeValueInfo, info);
}

function encodeNode(s: Sink, node: OnnxNode): void {
  // Empty names are kept: '' marks an omitted optional input/output.
  for (const name of node.input) s.string(NODE.input, name);
  for (const name of node.output) s.string(NODE.output, name);
  if (node.name) s.string(NODE.name, node.name);
  s.string(NODE.opType, node.opType);
  for (const attribute of node.attribute ?? []) s.message(NODE.attribute, encodeAttribute, attribute);
  if (node.domain) s.string(NODE.domain, node.domain);
}

function encodeAttribute(s: Sink, attribute: OnnxAttribute): void {
  s.string(ATTR.name, attribute.name);
  const { value } = attribute;
  switch (value.type) {
    case 'float':
      s.float(ATTR.f, value.value);
      break;
    case 'int':
      s.int64(ATTR.i, value.value);
      break;
    case 'string':
      s.string(ATTR.s, value.value);
      break;
    case 'tensor':
      s.message(ATTR.t, encodeTensor, value.value);
      break;
    case 'graph':
      s.message(ATTR.g, encodeGraph, value.value);
      break;
    case 'floats':
      for (const item of value.value) s.float(ATTR.floats, item);
      break;
    case 'ints':
      for (const item of value.value) s.int64(ATTR.ints, item);
      break;
    case 'strings':
      for (const item of value.value) s.string(ATTR.strings, item);
      break;
    default:
      throw new Error(`attribute "${attribute.name}": unknown type ${(value as { type: string }).type}`);
  }
  s.int64(ATTR.type, ATTRIBUTE_TYPE[value.type]);
}

function encodeTensor(s: Sink, tensor: OnnxTensor): void {
  checkTensorData(tensor);
  for (const dim of tensor.dims) s.int64(TENSOR.dims, dim);
  s.int64(TENSOR.dataType, tensor.dataType);
  s.string(TENSOR.name, tensor.name);
  if (tensor.externalData) {
    const { location, offset, length } = tensor.externalData;
    s.message(TENSOR.externalData, encodeEntry, ['location', location]);
    s.message(TENSOR.externalData, encodeEntry, ['offset', String(offset)]);
    s.message(TENSOR.externalData, encodeEntry, ['length', String(length)]);
    s.int64(TENSOR.dataLocation, DATA_LOCATION_EXTERNAL);
  } else {
    // A zero-element tensor legitimately has no bytes; raw_data is still written so its data is "present".
    s.bytes(TENSOR.rawData, tensor.rawData ?? EMPTY_BYTES);
  }
}

const EMPTY_BYTES = new Uint8Array(0);

function encodeValueInfo(s: Sink, info: OnnxValueInfo): void {
  s.string(VALUE_INFO.name, info.name);
  s.message(VALUE_INFO.type, encodeType, info);
}

function encodeType(s: Sink, info: OnnxValueInfo): void {
  s.message(TYPE.tensorType, encodeTensorType, info);
}

function encodeTensorType(s: Sink, info: OnnxValueInfo): void {
  s.int64(TYPE_TENSOR.elemType, info.elemType);
  // No shape field = unknown rank; an empty shape message = scalar.
  if (info.shape) s.message(TYPE_TENSOR.shape, encodeShape, info.shape);
}

function encodeShape(s: Sink, shape: readonly (number | string)[]): void {
  for (const dim of shape) s.message(SHAPE.dim, encodeDim, dim);
}

function encodeDim(s: Sink, dim: number | string): void {
  if (typeof dim === 'string') s.string(DIM.dimParam, dim);
  else s.int64(DIM.dimValue, dim);
}

function encodeOpset(s: Sink, opset: OnnxOpsetImport): void {
  s.string(OPSET.domain, opset.domain);
  s.int64(OPSET.version, opset.version);
}

function encodeFunction(s: Sink, fn: OnnxFunction): void {
  s.string(FUNCTION.name, fn.name);
  for (const name of fn.input) s.string(FUNCTION.input, name);
  for (const name of fn.output) s.string(FUNCTION.output, name);
  for (const name of fn.attribute ?? []) s.string(FUNCTION.attribute, name);
  for (const node of fn.node) s.message(FUNCTION.node, encodeNode, node);
  for (const opset of fn.opsetImport) s.message(FUNCTION.opsetImport, encodeOpset, opset);
  s.string(FUNCTION.domain, fn.domain);
}

function encodeEntry(s: Sink, [key, value]: readonly [string, string]): void {
  s.string(ENTRY.key, key);
  s.string(ENTRY.value, value);
}

// ---------------------------------------------------------------- public API

/**
 * Serialises a model to ModelProto bytes (one allocation of exactly the final size).
 * Throws when the result would reach protobuf's 2 GiB limit: store large initializers as external data
 * (`externalizeInitializers`) and hand the bytes to the backend through `CompileOptions.externalData`.
 */
export function encodeModel(model: OnnxModel): Uint8Array {
  const sizer = new SizeSink();
  encodeModelProto(sizer, model);
  if (sizer.size > MAX_MODEL_PROTO_BYTES) {
    throw new Error(
      `ONNX model "${model.graph.name}" would be ${formatBytes(sizer.size)}, over protobuf's 2 GiB limit; ` +
        `store large initializers as external data (externalizeInitializers) and pass them to the backend ` +
        `through CompileOptions.externalData`,
    );
  }
  const out = new Uint8Array(sizer.size);
  const writer = new WriteSink(out, sizer.messageSizes);
  encodeModelProto(writer, model);
  if (writer.pos !== out.length) throw new Error(`ONNX encoder: wrote ${writer.pos} of ${out.length} bytes`);
  return out;
}

/** Bytes per element of each OnnxDataType aligntune emits. */
const ELEMENT_BYTES: Partial<Record<OnnxDataType, number>> = {
  [OnnxDataType.FLOAT]: 4,
  [OnnxDataType.UINT8]: 1,
  [OnnxDataType.UINT16]: 2,
  [OnnxDataType.INT8]: 1,
  [OnnxDataType.INT32]: 4,
  [OnnxDataType.INT64]: 8,
  [OnnxDataType.BOOL]: 1,
  [OnnxDataType.FLOAT16]: 2,
  [OnnxDataType.DOUBLE]: 8,
  [OnnxDataType.BFLOAT16]: 2,
};

const DTYPE_TO_ONNX: Record<DType, OnnxDataType> = {
  float32: OnnxDataType.FLOAT,
  float64: OnnxDataType.DOUBLE,
  float16: OnnxDataType.FLOAT16,
  bfloat16: OnnxDataType.BFLOAT16,
  int32: OnnxDataType.INT32,
  int64: OnnxDataType.INT64,
  bool: OnnxDataType.BOOL,
  uint8: OnnxDataType.UINT8,
  uint16: OnnxDataType.UINT16,
};

/** The ONNX element type of an engine dtype. */
export function onnxDataType(dtype: DType | OnnxDataType): OnnxDataType {
  if (typeof dtype === 'number') return dtype;
  const onnx = DTYPE_TO_ONNX[dtype];
  if (onnx === undefined) throw new Error(`no ONNX data type for dtype "${dtype}"`);
  return onnx;
}

function checkTensorData(tensor: OnnxTensor): void {
  if (tensor.rawData && tensor.externalData) {
    throw new Error(`tensor "${tensor.name}" has both rawData and externalData; set one`);
  }
  const bytesPerElement = ELEMENT_BYTES[tensor.dataType];
  if (bytesPerElement === undefined) return;
  const expected = elementCount(tensor.dims) * bytesPerElement;
  const actual = tensor.externalData ? tensor.externalData.length : (tensor.rawData?.byteLength ?? 0);
  if (actual !== expected) {
    throw new Error(
      `tensor "${tensor.name}" [${tensor.dims.join(', ')}] of ONNX type ${OnnxDataType[tensor.dataType]} needs ` +
        `${expected} bytes of data, got ${actual}`,
    );
  }
}

// Raw data must be little-endian; typed arrays use the host's order.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * An initializer whose raw_data is a zero-copy view of `data` (so do not mutate `data` before encoding).
 * float16/bfloat16 data is raw bits in a Uint16Array; bool is a Uint8Array of 0/1.
 */
export function tensorFromArray(
  name: string,
  dtype: DType | OnnxDataType,
  dims: readonly number[],
  data: TensorData | Int8Array,
): OnnxTensor {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error('tensorFromArray: big-endian hosts are not supported');
  const dataType = onnxDataType(dtype);
  const bytesPerElement = ELEMENT_BYTES[dataType];
  if (bytesPerElement !== undefined && data.BYTES_PER_ELEMENT !== bytesPerElement) {
    throw new Error(
      `tensor "${name}": ${OnnxDataType[dataType]} needs ${bytesPerElement}-byte elements, got ${data.constructor.name}`,
    );
  }
  if (data.length !== elementCount(dims)) {
    throw new Error(`tensor "${name}": dims [${dims.join(', ')}] hold ${elementCount(dims)} elements, data has ${data.length}`);
  }
  return { name, dataType, dims: [...dims], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export interface ExternalizedModel {
  model: OnnxModel;
  /** One entry per moved initializer; pass as `CompileOptions.externalData` (or write each `path` next to the model). */
  externalData: ExternalTensorData[];
}

/**
 * Moves every top-level initializer of at least `minBytes` (and that `which` accepts) out of the model into external
 * data, one location per tensor so the bytes stay zero-copy views. Use it when `encodeModel` would exceed 2 GiB.
 */
export function externalizeInitializers(model: OnnxModel, minBytes = 1 << 20, which: (tensor: OnnxTensor) => boolean = () => true): ExternalizedModel {
  const externalData: ExternalizedModel['externalData'] = [];
  const initializer = (model.graph.initializer ?? []).map((tensor) => {
    if (!tensor.rawData || tensor.rawData.byteLength < minBytes || !which(tensor)) return tensor;
    const path = `aligntune-external-${externalData.length}.bin`;
    externalData.push({ path, data: tensor.rawData, initializer: { name: tensor.name, dataType: tensor.dataType, dims: tensor.dims }, frozen: isFrozenHostArray(tensor.rawData) });
    const { rawData, ...rest } = tensor;
    return { ...rest, externalData: { location: path, offset: 0, length: rawData.byteLength } };
  });
  return { model: { ...model, graph: { ...model.graph, initializer } }, externalData };
}

function formatBytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB (${bytes} bytes)`;
}
