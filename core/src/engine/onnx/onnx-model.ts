/**
 * Plain-object mirror of the parts of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto)
 * that aligntune emits. Field names follow onnx.proto in camelCase. `encodeModel` in
 * `./onnx-encoder.ts` serialises a `OnnxModel` to ModelProto bytes; nothing here depends on onnxruntime.
 */

/** onnx.TensorProto.DataType values that aligntune uses. */
export enum OnnxDataType {
  FLOAT = 1,
  UINT8 = 2,
  UINT16 = 4,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  BFLOAT16 = 16,
}

/** A dimension: a fixed size, or a symbolic name (e.g. "batch", "seq"). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  elemType: OnnxDataType;
  /** undefined = rank unknown */
  shape?: OnnxDim[];
}

export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  /** Raw little-endian bytes (TensorProto.raw_data). */
  rawData?: Uint8Array;
  /** Stored outside the model (TensorProto.external_data: location, offset, length). */
  externalData?: { location: string; offset: number; length: number };
}

export type OnnxAttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number | bigint }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: OnnxTensor }
  | { type: 'graph'; value: OnnxGraph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: Array<number | bigint> }
  | { type: 'strings'; value: string[] };

export interface OnnxAttribute {
  name: string;
  value: OnnxAttributeValue;
}

export interface OnnxNode {
  opType: string;
  /** '' (or undefined) = ai.onnx */
  domain?: string;
  name?: string;
  /** '' marks an omitted optional input/output, as in ONNX. */
  input: string[];
  output: string[];
  attribute?: OnnxAttribute[];
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  initializer?: OnnxTensor[];
  valueInfo?: OnnxValueInfo[];
}

export interface OnnxOpsetImport {
  domain: string;
  version: number;
}

/** A model-local function (FunctionProto); onnxruntime inlines these. */
export interface OnnxFunction {
  name: string;
  domain: string;
  input: string[];
  output: string[];
  attribute?: string[];
  node: OnnxNode[];
  opsetImport: OnnxOpsetImport[];
}

export interface OnnxModel {
  irVersion: number;
  opsetImport: OnnxOpsetImport[];
  producerName?: string;
  producerVersion?: string;
  graph: OnnxGraph;
  functions?: OnnxFunction[];
  metadataProps?: Record<string, string>;
}
