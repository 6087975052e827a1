import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import * as ort from 'onnxruntime-node';
import {
  OnnxDataType,
  encodeModel,
  externalizeInitializers,
  tensorFromArray,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxValueInfo,
} from '@aligntune/core';

// The subset of onnx/onnx.proto (IR 10) that aligntune emits, typed in independently of the encoder so a
// wrong field number or wire type in the encoder shows up as a decoding mismatch.
const ONNX_PROTO_SUBSET = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; }
  optional string name = 1;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3;
  optional string op_type = 4; optional string domain = 7; repeated AttributeProto attribute = 5;
}
message ModelProto {
  optional int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2; optional string producer_version = 3;
  optional GraphProto graph = 7; repeated StringStringEntryProto metadata_props = 14;
  repeated FunctionProto functions = 25;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
}
message TensorProto {
  enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
  repeated int64 dims = 1; optional int32 data_type = 2; optional string name = 8; optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13; optional DataLocation data_location = 14;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message FunctionProto {
  optional string name = 1; repeated string input = 4; repeated string output = 5; repeated string attribute = 6;
  repeated NodeProto node = 7; repeated OperatorSetIdProto opset_import = 9; optional string domain = 10;
}
`;

const root = protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

type Decoded = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function decode(bytes: Uint8Array): Decoded {
  const message = ModelProto.decode(bytes);
  return ModelProto.toObject(message, { longs: String, enums: String, bytes: Array, arrays: true, oneofs: false });
}

const vi = (name: string, elemType: OnnxDataType, shape?: Array<number | string>): OnnxValueInfo => ({ name, elemType, shape });
const attr = (name: string, value: OnnxAttribute['value']): OnnxAttribute => ({ name, value });
const node = (opType: string, input: string[], output: string[], extra: Partial<OnnxNode> = {}): OnnxNode => ({
  opType,
  input,
  output,
  ...extra,
});

function model(graph: OnnxGraph, extra: Partial<OnnxModel> = {}): OnnxModel {
  return { irVersion: 10, opsetImport: [{ domain: '', version: 21 }], producerName: 'aligntune-test', graph, ...extra };
}

async function runModel(m: OnnxModel, feeds: Record<string, ort.Tensor>, options: ort.InferenceSession.SessionOptions = {}) {
  const session = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'all', ...options });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('encodeModel: every field round-trips through an independent protobuf decoder', () => {
  const subgraph: OnnxGraph = {
    name: 'body',
    node: [node('Identity', ['x'], ['y'])],
    input: [vi('x', OnnxDataType.FLOAT, [])],
    output: [vi('y', OnnxDataType.FLOAT, [])],
  };
  const weights = tensorFromArray('W', OnnxDataType.FLOAT, [2, 2], new Float32Array([1, 2, 3, 4.5]));
  const full = model(
    {
      name: 'everything',
      node: [
        node('Custom', ['a', '', 'c'], ['d', ''], {
          name: 'n0',
          domain: 'my.domain',
          attribute: [
            attr('f', { type: 'float', value: 0.5 }),
            attr('i', { type: 'int', value: -3 }),
            attr('big', { type: 'int', value: 2n ** 62n }),
            attr('s', { type: 'string', value: 'héllo ✓ 𝄞' }),
            attr('t', { type: 'tensor', value: weights }),
            attr('g', { type: 'graph', value: subgraph }),
            attr('fs', { type: 'floats', value: [1.5, -2.25] }),
            attr('is', { type: 'ints', value: [0, -1, 300, 2n ** 40n] }),
            attr('ss', { type: 'strings', value: ['a', '', 'ü'] }),
          ],
        }),
        node('Add', ['x', 'W'], ['z']),
      ],
      input: [vi('x', OnnxDataType.FLOAT, ['batch', 2]), vi('unknown_rank', OnnxDataType.INT64)],
      output: [vi('z', OnnxDataType.FLOAT, ['batch', 2]), vi('scalar', OnnxDataType.FLOAT16, [])],
      initializer: [
        weights,
        { name: 'ext', dataType: OnnxDataType.INT64, dims: [3], externalData: { location: 'w.bin', offset: 4096, length: 24 } },
        { name: 'empty', dataType: OnnxDataType.FLOAT, dims: [0, 3] },
      ],
      valueInfo: [vi('d', OnnxDataType.DOUBLE, [7])],
    },
    {
      irVersion: 10,
      producerVersion: '0.1.0',
      opsetImport: [
        { domain: '', version: 21 },
        { domain: 'my.domain', version: 1 },
      ],
      metadataProps: { author: 'me', note: 'ünïcode' },
      functions: [
        {
          name: 'Fn',
          domain: 'my.domain',
          input: ['p', 'q'],
          output: ['r'],
          attribute: ['alpha'],
          node: [node('Mul', ['p', 'q'], ['r'])],
          opsetImport: [{ domain: '', version: 21 }],
        },
      ],
    },
  );
  const decoded = decode(encodeModel(full));

  it('ModelProto scalars, opsets, metadata', () => {
    expect(decoded.ir_version).toBe('10');
    expect(decoded.producer_name).toBe('aligntune-test');
    expect(decoded.producer_version).toBe('0.1.0');
    expect(decoded.opset_import).toEqual([
      { domain: '', version: '21' },
      { domain: 'my.domain', version: '1' },
    ]);
    expect(decoded.metadata_props).toEqual([
      { key: 'author', value: 'me' },
      { key: 'note', value: 'ünïcode' },
    ]);
  });

  it('FunctionProto', () => {
    expect(decoded.functions).toEqual([
      {
        name: 'Fn',
        domain: 'my.domain',
        input: ['p', 'q'],
        output: ['r'],
        attribute: ['alpha'],
        node: [{ op_type: 'Mul', input: ['p', 'q'], output: ['r'], attribute: [] }],
        opset_import: [{ domain: '', version: '21' }],
      },
    ]);
  });

  it('NodeProto keeps empty optional names, name and domain', () => {
    const [custom, add] = decoded.graph.node;
    expect(custom).toMatchObject({ op_type: 'Custom', domain: 'my.domain', name: 'n0', input: ['a', '', 'c'], output: ['d', ''] });
    expect(add).toEqual({ op_type: 'Add', input: ['x', 'W'], output: ['z'], attribute: [] });
  });

  it('AttributeProto values and the type discriminator', () => {
    const byName = Object.fromEntries(decoded.graph.node[0].attribute.map((a: Decoded) => [a.name, a]));
    expect(byName.f).toMatchObject({ type: 'FLOAT', f: 0.5 });
    expect(byName.i).toMatchObject({ type: 'INT', i: '-3' });
    expect(byName.big).toMatchObject({ type: 'INT', i: String(2n ** 62n) });
    expect(Buffer.from(byName.s.s).toString('utf8')).toBe('héllo ✓ 𝄞');
    expect(byName.s.type).toBe('STRING');
    expect(byName.t.type).toBe('TENSOR');
    expect(byName.t.t).toMatchObject({ name: 'W', data_type: 1, dims: ['2', '2'] });
    expect(byName.g.type).toBe('GRAPH');
    expect(byName.g.g).toMatchObject({ name: 'body', node: [{ op_type: 'Identity', input: ['x'], output: ['y'] }] });
    expect(byName.fs).toMatchObject({ type: 'FLOATS', floats: [1.5, -2.25] });
    expect(byName.is).toMatchObject({ type: 'INTS', ints: ['0', '-1', '300', String(2n ** 40n)] });
    expect(byName.ss.type).toBe('STRINGS');
    expect(byName.ss.strings.map((s: number[]) => Buffer.from(s).toString('utf8'))).toEqual(['a', '', 'ü']);
  });

  it('TensorProto raw data, external data and empty tensors', () => {
    const [w, ext, empty] = decoded.graph.initializer;
    expect(w).toMatchObject({ name: 'W', data_type: OnnxDataType.FLOAT, dims: ['2', '2'] });
    expect(Array.from(new Float32Array(new Uint8Array(w.raw_data).buffer))).toEqual([1, 2, 3, 4.5]);
    expect(w.data_location).toBeUndefined();
    expect(ext).toMatchObject({
      name: 'ext',
      data_type: OnnxDataType.INT64,
      dims: ['3'],
      data_location: 'EXTERNAL',
      external_data: [
        { key: 'location', value: 'w.bin' },
        { key: 'offset', value: '4096' },
        { key: 'length', value: '24' },
      ],
    });
    expect(ext.raw_data).toBeUndefined();
    expect(empty).toMatchObject({ name: 'empty', dims: ['0', '3'], raw_data: [] });
  });

  it('ValueInfoProto: symbolic dims, fixed dims, scalars and unknown rank', () => {
    const [x, unknown] = decoded.graph.input;
    expect(x).toEqual({
      name: 'x',
      type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [{ dim_param: 'batch' }, { dim_value: '2' }] } } },
    });
    expect(unknown).toEqual({ name: 'unknown_rank', type: { tensor_type: { elem_type: OnnxDataType.INT64 } } });
    expect(decoded.graph.output[1]).toEqual({ name: 'scalar', type: { tensor_type: { elem_type: 10, shape: { dim: [] } } } });
    expect(decoded.graph.value_info).toEqual([
      { name: 'd', type: { tensor_type: { elem_type: 11, shape: { dim: [{ dim_value: '7' }] } } } },
    ]);
    expect(decoded.graph.name).toBe('everything');
  });
});

describe('encodeModel: validation and large models', () => {
  const graphWith = (tensor: OnnxGraph['initializer']): OnnxGraph => ({ name: 'g', node: [], input: [], output: [], initializer: tensor });

  it('rejects raw data whose length does not match dims', () => {
    const bad = { name: 'W', dataType: OnnxDataType.FLOAT, dims: [3], rawData: new Uint8Array(8) };
    expect(() => encodeModel(model(graphWith([bad])))).toThrow(/"W" \[3\] of ONNX type FLOAT needs 12 bytes of data, got 8/);
  });

  it('rejects non-integer int64 values', () => {
    const g: OnnxGraph = { name: 'g', node: [node('X', [], [], { attribute: [attr('a', { type: 'int', value: 1.5 })] })], input: [], output: [] };
    expect(() => encodeModel(model(g))).toThrow(/safe integer/);
  });

  it('tensorFromArray checks element size and count', () => {
    expect(() => tensorFromArray('t', 'float32', [2], new Float64Array(2))).toThrow(/4-byte elements/);
    expect(() => tensorFromArray('t', 'int64', [3], new BigInt64Array(2))).toThrow(/3 elements, data has 2/);
    const view = new Float32Array([9, 1, 2, 9]).subarray(1, 3);
    const t = tensorFromArray('t', 'float32', [2], view);
    expect(Array.from(new Float32Array(t.rawData!.slice().buffer))).toEqual([1, 2]);
    expect(t.rawData!.buffer).toBe(view.buffer); // zero-copy view
  });

  it('throws a clear error above 2 GiB unless the weights are external', () => {
    // Only byteLength is read before the size check, so a stand-in avoids allocating 2 GiB.
    const huge = { byteLength: 2 ** 31 } as Uint8Array;
    const big = model(graphWith([{ name: 'huge', dataType: OnnxDataType.UINT8, dims: [2 ** 31], rawData: huge }]));
    expect(() => encodeModel(big)).toThrow(/over protobuf's 2 GiB limit; store large initializers as external data/);
    const { model: external, externalData } = externalizeInitializers(big);
    expect(externalData).toEqual([{ path: 'aligntune-external-0.bin', data: huge, initializer: { name: 'huge', dataType: OnnxDataType.UINT8, dims: [2 ** 31] }, frozen: false }]);
    expect(encodeModel(external).length).toBeLessThan(200);
  });

  it('encodes a 64 MiB initializer byte-exact into a buffer of exactly the final size', () => {
    const data = new Float32Array(16 << 20);
    for (let i = 0; i < data.length; i += 4099) data[i] = i;
    const bytes = encodeModel(model(graphWith([tensorFromArray('big', 'float32', [data.length], data)])));
    const raw = (ModelProto.decode(bytes) as unknown as { graph: { initializer: Array<{ raw_data: Uint8Array }> } }).graph
      .initializer[0]!.raw_data;
    expect(Buffer.compare(raw, new Uint8Array(data.buffer))).toBe(0);
    expect(bytes.byteLength).toBe(bytes.buffer.byteLength); // one allocation, no trailing slack or copy
    expect(bytes.length).toBeLessThan(data.byteLength + 64);
  });
});

describe('encodeModel output runs in onnxruntime-node', () => {
  const f32 = (data: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(data), dims);

  it('Add', async () => {
    const m = model({
      name: 'add',
      node: [node('Add', ['a', 'b'], ['c'])],
      input: [vi('a', OnnxDataType.FLOAT, [3]), vi('b', OnnxDataType.FLOAT, [3])],
      output: [vi('c', OnnxDataType.FLOAT, [3])],
    });
    const out = await runModel(m, { a: f32([1, 2, 3], [3]), b: f32([10, 20, 30], [3]) });
    expect(Array.from(out.c!.data as Float32Array)).toEqual([11, 22, 33]);
  });

  it('MatMul with an initializer and symbolic batch dim', async () => {
    const W = tensorFromArray('W', 'float32', [2, 3], new Float32Array([1, 0, 2, 0, 1, 3]));
    const m = model({
      name: 'matmul',
      node: [node('MatMul', ['x', 'W'], ['y'])],
      input: [vi('x', OnnxDataType.FLOAT, ['batch', 2])],
      output: [vi('y', OnnxDataType.FLOAT, ['batch', 3])],
      initializer: [W],
    });
    const session = await ort.InferenceSession.create(encodeModel(m));
    const one = await session.run({ x: f32([1, 2], [1, 2]) });
    expect(Array.from(one.y!.data as Float32Array)).toEqual([1, 2, 8]);
    const two = await session.run({ x: f32([1, 2, 3, 4], [2, 2]) });
    expect(two.y!.dims).toEqual([2, 3]);
    expect(Array.from(two.y!.data as Float32Array)).toEqual([1, 2, 8, 3, 4, 18]);
    await session.release();
  });

  it('Loop with a subgraph attribute (loop-carried sum)', async () => {
    const body: OnnxGraph = {
      name: 'loop_body',
      node: [node('Add', ['acc_in', 'step'], ['acc_out']), node('Identity', ['cond_in'], ['cond_out'])],
      input: [vi('iter', OnnxDataType.INT64, []), vi('cond_in', OnnxDataType.BOOL, []), vi('acc_in', OnnxDataType.FLOAT, [2])],
      output: [vi('cond_out', OnnxDataType.BOOL, []), vi('acc_out', OnnxDataType.FLOAT, [2])],
    };
    const m = model({
      name: 'loop',
      node: [node('Loop', ['trip', '', 'acc0'], ['acc'], { attribute: [attr('body', { type: 'graph', value: body })] })],
      input: [vi('trip', OnnxDataType.INT64, []), vi('acc0', OnnxDataType.FLOAT, [2]), vi('step', OnnxDataType.FLOAT, [2])],
      output: [vi('acc', OnnxDataType.FLOAT, [2])],
    });
    const out = await runModel(m, {
      trip: new ort.Tensor('int64', BigInt64Array.from([5n]), []),
      acc0: f32([0, 1], [2]),
      step: f32([1, 0.5], [2]),
    });
    expect(Array.from(out.acc!.data as Float32Array)).toEqual([5, 3.5]);
  });

  it('a model-local function in a custom domain (SoftmaxGrad)', async () => {
    const axes = tensorFromArray('axes_value', 'int64', [1], BigInt64Array.from([-1n]));
    const m = model(
      {
        name: 'fn',
        node: [node('SoftmaxGrad', ['dY', 'Y'], ['dX'], { domain: 'aligntune.grad' })],
        input: [vi('dY', OnnxDataType.FLOAT, [1, 3]), vi('Y', OnnxDataType.FLOAT, [1, 3])],
        output: [vi('dX', OnnxDataType.FLOAT, [1, 3])],
      },
      {
        opsetImport: [
          { domain: '', version: 21 },
          { domain: 'aligntune.grad', version: 1 },
        ],
        functions: [
          {
            name: 'SoftmaxGrad',
            domain: 'aligntune.grad',
            input: ['dY', 'Y'],
            output: ['dX'],
            opsetImport: [{ domain: '', version: 21 }],
            node: [
              node('Mul', ['dY', 'Y'], ['p']),
              node('Constant', [], ['axes'], { attribute: [attr('value', { type: 'tensor', value: axes })] }),
              node('ReduceSum', ['p', 'axes'], ['s'], { attribute: [attr('keepdims', { type: 'int', value: 1 })] }),
              node('Sub', ['dY', 's'], ['d']),
              node('Mul', ['Y', 'd'], ['dX']),
            ],
          },
        ],
      },
    );
    const Y = [0.2, 0.3, 0.5];
    const dY = [1, -1, 2];
    const out = await runModel(m, { dY: f32(dY, [1, 3]), Y: f32(Y, [1, 3]) });
    const dot = Y.reduce((sum, y, i) => sum + y * dY[i]!, 0);
    const expected = Y.map((y, i) => y * (dY[i]! - dot));
    Array.from(out.dX!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('float16 initializer and I/O (raw bits in Uint16Array)', async () => {
    // 1.0 = 0x3c00, 2.0 = 0x4000, 0.5 = 0x3800
    const bias = tensorFromArray('bias', 'float16', [2], Uint16Array.from([0x3c00, 0x3800]));
    const m = model({
      name: 'f16',
      node: [node('Add', ['x', 'bias'], ['y'])],
      input: [vi('x', OnnxDataType.FLOAT16, [2])],
      output: [vi('y', OnnxDataType.FLOAT16, [2])],
      initializer: [bias],
    });
    const out = await runModel(m, { x: new ort.Tensor('float16', Uint16Array.from([0x4000, 0x3c00]), [2]) });
    expect(Array.from(out.y!.data as Uint16Array)).toEqual([0x4200, 0x3e00]); // 3.0, 1.5
  });

  it('int64 attributes and tensors (negative and large values)', async () => {
    const offset = tensorFromArray('offset', 'int64', [2], BigInt64Array.from([-(2n ** 40n), 7n]));
    const m = model({
      name: 'i64',
      node: [
        node('Add', ['x', 'offset'], ['sum']),
        node('Constant', [], ['k'], { attribute: [attr('value_ints', { type: 'ints', value: [-5, 2n ** 50n] })] }),
        node('Add', ['sum', 'k'], ['y']),
      ],
      input: [vi('x', OnnxDataType.INT64, [2])],
      output: [vi('y', OnnxDataType.INT64, [2])],
      initializer: [offset],
    });
    const out = await runModel(m, { x: new ort.Tensor('int64', BigInt64Array.from([1n, 2n]), [2]) });
    expect(Array.from(out.y!.data as BigInt64Array)).toEqual([1n - 2n ** 40n - 5n, 9n + 2n ** 50n]);
  });

  it('external data supplied in memory (externalizeInitializers)', async () => {
    const W = tensorFromArray('W', 'float32', [2, 2], new Float32Array([1, 2, 3, 4]));
    const b = tensorFromArray('b', 'float32', [2], new Float32Array([100, 200]));
    const base = model({
      name: 'external',
      node: [node('MatMul', ['x', 'W'], ['xw']), node('Add', ['xw', 'b'], ['y'])],
      input: [vi('x', OnnxDataType.FLOAT, [1, 2])],
      output: [vi('y', OnnxDataType.FLOAT, [1, 2])],
      initializer: [W, b],
    });
    const { model: m, externalData } = externalizeInitializers(base, 1);
    expect(externalData.map((e) => e.path)).toEqual(['aligntune-external-0.bin', 'aligntune-external-1.bin']);
    const out = await runModel(m, { x: f32([1, 1], [1, 2]) }, { externalData });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([104, 206]);
  });
});
