import { withDataOnRead } from '../engine/data-on-read.js';
import { f32ToBf16, f32ToF16 } from './half-float.js';
import type { HfModelConfig } from './hf-model-config.js';
import type { StoredTensor } from './safetensors-dtype.js';
import { detectTensorPrefix, isIgnoredBuffer, tensorSpecs, type TensorSpec } from './tensor-layout.js';

/** A float32 tensor in the canonical layout (see TensorSpec). */
export interface CanonicalTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type CanonicalWeights = Map<string, CanonicalTensor>;

export interface CanonicalizeResult {
  readonly weights: CanonicalWeights;
  /** Base-model prefix found in the checkpoint, to write the same names back. */
  readonly prefix: string;
  /** Checkpoint tensors that the architecture does not use (transformers would warn about them). */
  readonly unused: readonly string[];
  /** Buffers and tied duplicates that are skipped on purpose. */
  readonly ignored: readonly string[];
}

/** [rows, cols] → [cols, rows] (float32 values, or half-float bits). */
export function transpose2d<T extends Float32Array | Uint16Array>(data: T, rows: number, cols: number): T {
  const out = new (data.constructor as new (length: number) => T)(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c]!;
  }
  return out;
}

/** A checkpoint tensor in the canonical layout with its element type: float32, or F16 / BF16 bits as on disk. */
export interface CanonicalFloatTensor {
  readonly dtype: 'F32' | 'F16' | 'BF16';
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint16Array;
}

/**
 * One checkpoint tensor (`t`, under the spec's HF name; undefined when the checkpoint lacks it) in the canonical
 * layout: present, the shape the config implies, a float type, nn.Linear weights transposed; F32 data shared.
 */
export function canonicalTensor(s: TensorSpec, t: StoredTensor | undefined, config: HfModelConfig, source: string): CanonicalFloatTensor {
  if (!t) throw new Error(`${source}: missing tensor '${s.hfName}' (shape [${s.hfShape.join(', ')}]) required by the ${config.modelType} config`);
  if (t.shape.length !== s.hfShape.length || t.shape.some((d, i) => d !== s.hfShape[i])) {
    throw new Error(`${source}: tensor '${s.hfName}' has shape [${t.shape.join(', ')}], the config implies [${s.hfShape.join(', ')}]`);
  }
  const half = t.dtype === 'F16' || t.dtype === 'BF16' ? t.dtype : undefined;
  const dtype = half ?? 'F32';
  const data = half ? (t.data as Uint16Array) : asFloat32(t, s.hfName, source);
  const [rows, cols] = s.hfShape as [number, number];
  return s.transpose ? { dtype, shape: [cols, rows], data: transpose2d(data, rows, cols) } : { dtype, shape: s.hfShape, data };
}

function asFloat32(t: StoredTensor, name: string, source: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new Error(`${source}: tensor '${name}' has dtype ${t.dtype}; a floating-point weight was expected (load with F16/BF16 converted)`);
}

/**
 * Maps checkpoint tensors (HF names; F32, or F16/BF16 already converted by the reader) to the canonical
 * layout. Missing tensors and shape mismatches are errors naming the tensor; F32 data is shared, not copied.
 */
export function toCanonicalWeights(config: HfModelConfig, tensors: ReadonlyMap<string, StoredTensor>, source = 'checkpoint'): CanonicalizeResult {
  const prefix = detectTensorPrefix(config, tensors.keys(), source);
  const weights: CanonicalWeights = new Map();
  const used = new Set<string>();
  for (const s of tensorSpecs(config, prefix)) {
    const { dtype, shape, data } = canonicalTensor(s, tensors.get(s.hfName), config, source);
    if (dtype !== 'F32') throw new Error(`${source}: tensor '${s.hfName}' has dtype ${dtype}; a float32 weight was expected (read with F16/BF16 converted)`);
    used.add(s.hfName);
    weights.set(s.canonicalName, { shape, data: data as Float32Array });
  }
  const rest = [...tensors.keys()].filter((n) => !used.has(n));
  const skippable = (n: string) => isIgnoredBuffer(config, n) || (config.tieWordEmbeddings && n === 'lm_head.weight');
  return { weights, prefix, unused: rest.filter((n) => !skippable(n)), ignored: rest.filter(skippable) };
}

export interface FromCanonicalOptions {
  /** Base-model prefix of the written names (default: what transformers writes). */
  readonly prefix?: string;
  /** Storage dtype of the written tensors (default F32). */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

/** The inverse of toCanonicalWeights: HF names and layouts, ready for writeCheckpoint. */
export function fromCanonicalWeights(config: HfModelConfig, weights: ReadonlyMap<string, CanonicalTensor>, options: FromCanonicalOptions = {}): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const s of tensorSpecs(config, options.prefix)) {
    const t = weights.get(s.canonicalName);
    if (!t) throw new Error(`canonical weights: missing '${s.canonicalName}' (for '${s.hfName}')`);
    const [rows, cols] = s.hfShape as [number, number];
    const expected = s.transpose ? [cols, rows] : s.hfShape;
    if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`canonical weights: '${s.canonicalName}' has shape [${t.shape.join(', ')}], expected [${expected.join(', ')}]`);
    }
    out.set(s.hfName, storedOnRead(s.hfShape, options.dtype ?? 'F32', () => (s.transpose ? transpose2d(t.data, cols, rows) : t.data)));
  }
  return out;
}

/**
 * A tensor whose data is computed from `values` each time it is read, and not kept: saving reads each tensor once,
 * as it writes it (writeSafetensors), so weights read out of a backend, transposed or narrowed, exist one at a time.
 */
function storedOnRead(shape: readonly number[], dtype: 'F32' | 'F16' | 'BF16', values: () => Float32Array): StoredTensor {
  return withDataOnRead({ dtype, shape }, () => storeAs(values(), shape, dtype).data);
}

/** A float32 array stored as F32, F16 or BF16 (narrowing rounds to nearest even). */
export function storeAs(data: Float32Array, shape: readonly number[], dtype: 'F32' | 'F16' | 'BF16'): StoredTensor {
  if (dtype === 'F32') return { dtype, shape, data };
  return { dtype, shape, data: dtype === 'F16' ? f32ToF16(data) : f32ToBf16(data) };
}
