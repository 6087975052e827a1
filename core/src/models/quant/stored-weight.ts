import { freezeHostArray } from '../../engine/frozen-host-arrays.js';
import type { HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { bf16ToF32, f16ToF32 } from '../half-float.js';
import { codeTable } from './code-tables.js';
import { dequantizeBlockwise, type QuantizedTensor } from './quantize-blockwise.js';

/**
 * A weight as a frozen model holds it (its stored parts are never written: freezeHostArray): the host tensors fed to the graph (`parts`, by the suffix added to the
 * weight's graph name) and how the graph turns them back into the float32 weight. Every decode is a few
 * elementwise ops and a table lookup on inputs that are never differentiated (codes are integers, the tables
 * are constants), so autodiff never reaches the stored data, and the decoded float32 weight lives only until
 * the ops that read it have run.
 */
export interface StoredWeight {
  readonly dims: readonly number[];
  /** What is fed: '' names the weight's graph name itself, other keys are appended to it. */
  readonly parts: Readonly<Record<string, HostTensor>>;
  /** The float32 weight on `g` from the declared parts. */
  decode(g: Graph, parts: Readonly<Record<string, Tensor>>): Tensor;
  /**
   * The decode reads each element alone (a Cast of half bits): rows or slices of the parts decode to the same rows
   * or slices of the weight, so an embedding lookup or an LM head chunk decodes only what it reads.
   */
  readonly elementwise?: boolean;
  /** The same values on the host (float32, bit for bit what decode yields), for references and saving. */
  toFloat32(): Float32Array;
}

/** A weight kept as it is (float32, or float64 in gradient checks). */
export function plainWeight(tensor: HostTensor): StoredWeight {
  return {
    dims: tensor.dims,
    parts: { '': tensor },
    decode: (_g, parts) => parts['']!,
    toFloat32: () => (tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as Float64Array)),
  };
}

/** IEEE half storage (`bits`: float16 bit patterns): fed as float16, one Cast in the graph. */
export function float16Weight(bits: Uint16Array, dims: readonly number[]): StoredWeight {
  freezeHostArray(bits);
  return {
    dims,
    parts: { '': { dtype: 'float16', dims, data: bits } },
    elementwise: true,
    decode: (g, parts) => g.cast(parts['']!, 'float32'),
    toFloat32: () => f16ToF32(bits),
  };
}

let bf16Levels: Float32Array | undefined;

/** The float32 value of every bfloat16 bit pattern (256 KiB, built once). */
function bfloat16Table(): Float32Array {
  bf16Levels ??= bf16ToF32(Uint16Array.from({ length: 65536 }, (_, i) => i));
  return bf16Levels;
}

/**
 * bfloat16 storage (`bits`: bfloat16 bit patterns): an initializer of type bfloat16, which onnxruntime's CPU
 * provider casts to float32 exactly; fed as an input (`asFeed`: uint16, the same bits, as onnxruntime-node feeds no
 * bfloat16), the bits index a table of all 65536 values instead.
 */
export function bfloat16Weight(bits: Uint16Array, dims: readonly number[]): StoredWeight {
  freezeHostArray(bits);
  return {
    dims,
    parts: { '': { dtype: 'bfloat16', dims, data: bits } },
    elementwise: true,
    decode: (g, parts) => {
      const part = parts['']!;
      return part.dtype === 'bfloat16' ? g.cast(part, 'float32') : g.gather(graphTable(g, 'bf16', bfloat16Table), g.cast(part, 'int32'));
    },
    toFloat32: () => bf16ToF32(bits),
  };
}

/** A stored part as a graph input takes it: bfloat16 bits as uint16 (a view of the same array), anything else as it is. */
export function asFeed(part: HostTensor): HostTensor {
  return part.dtype === 'bfloat16' ? { ...part, dtype: 'uint16' } : part;
}

/**
 * Blockwise quantized storage (`parts`: `.codes` uint8, `.absmax` float32). The decode turns the codes into
 * levels (scaledBlocks), scales each block by its absmax and drops the padding of the last block.
 */
export function quantizedWeight(q: QuantizedTensor): StoredWeight {
  freezeHostArray(q.codes);
  freezeHostArray(q.absmax);
  const numel = q.dims.reduce((a, b) => a * b, 1);
  return {
    dims: q.dims,
    parts: {
      '.codes': { dtype: 'uint8', dims: [q.codes.length], data: q.codes },
      '.absmax': { dtype: 'float32', dims: [q.absmax.length], data: q.absmax },
    },
    decode: (g, parts) => {
      const scaled = g.reshape(scaledBlocks(g, q, parts['.codes']!, parts['.absmax']!), [q.absmax.length * q.blockSize]);
      const exact = scaled.shape[0] === numel ? scaled : g.slice(scaled, 0, 0, numel);
      return g.reshape(exact, q.dims);
    },
    toFloat32: () => dequantizeBlockwise(q),
  };
}

/**
 * [blocks, blockSize] decoded values. int8 is arithmetic, (byte − 128) × absmax/127: a Cast and two elementwise
 * ops ran 4× faster than onnxruntime's Gather. The 4-bit levels are irregular (NF4, FP4), so their bytes index a
 * [256, 2] table of (high nibble, low nibble) levels: one Gather unpacks both.
 */
function scaledBlocks(g: Graph, q: QuantizedTensor, codes: Tensor, absmax: Tensor): Tensor {
  const blocks = q.absmax.length;
  const scale = g.unsqueeze(q.format === 'int8' ? g.div(absmax, 127) : absmax, [1]);
  if (q.format === 'int8') return g.mul(g.sub(g.reshape(g.cast(codes, 'float32'), [blocks, q.blockSize]), 128), scale);
  const { levels } = codeTable(q.format);
  const table = graphTable(g, q.format, () => Float32Array.from([...Array(256).keys()].flatMap((b) => [levels[b >> 4]!, levels[b & 0x0f]!])), [256, 2]);
  return g.mul(g.reshape(g.gather(table, g.cast(codes, 'int32')), [blocks, q.blockSize]), scale);
}

const tables = new WeakMap<Graph, Map<string, Tensor>>();

/**
 * One constant per table and graph: tables are above the graph's constant dedup limit, and a model has hundreds of
 * weights. The values stay a Float32Array, so NaN payloads (bf16's) reach the graph as they are.
 */
function graphTable(g: Graph, key: string, values: () => Float32Array, dims?: readonly number[]): Tensor {
  let byKey = tables.get(g);
  if (!byKey) tables.set(g, (byKey = new Map()));
  let t = byKey.get(key);
  if (!t) {
    const data = values();
    byKey.set(key, (t = g.constant({ dtype: 'float32', dims: dims ?? [data.length], data })));
  }
  return t;
}
