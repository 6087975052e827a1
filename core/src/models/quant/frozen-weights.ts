import { ConfigValidationError } from '../../config/config-validation-error.js';
import type { ModelConfig } from '../../config/model-config.js';
import { parseQuantization, type QuantizationSpec } from '../../config/quantization-config.js';
import { freezeHostArray } from '../../engine/frozen-host-arrays.js';
import type { HostTensor } from '../../engine/graph-executor.js';
import type { CanonicalFloatTensor } from '../canonical-weights.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../half-float.js';
import type { HfModelConfig } from '../hf-model-config.js';
import { DecoderModel } from '../roles/decoder-model.js';
import { recordedDtype, type StorageDtype } from '../save-dtype.js';
import { quantizeBlockwise } from './quantize-blockwise.js';
import { bfloat16Weight, float16Weight, plainWeight, quantizedWeight, type StoredWeight } from './stored-weight.js';

/** How a frozen model holds its weights: the float format, and the quantization of its linear layers' weights. */
export interface WeightStorage {
  readonly precision: 'fp32' | 'bf16' | 'fp16';
  readonly quantization?: QuantizationSpec;
}

/** The checkpoint's recorded dtype (config.json) → the storage `precision: auto` picks, as transformers' torch_dtype="auto" loads. */
const AUTO_PRECISION: Readonly<Record<StorageDtype, WeightStorage['precision']>> = { BF16: 'bf16', F16: 'fp16', F32: 'fp32' };

/**
 * What model.precision and model.quantization ask of a frozen model with this config.json. `auto` keeps float32
 * for a model that shares the trained policy's starting weights (a copy in another format would only add
 * memory: the policy holds the float32 ones anyway), else follows the checkpoint's torch_dtype.
 */
export function weightStorage(model: Pick<ModelConfig, 'precision' | 'quantization'>, config: HfModelConfig, sharesPolicyWeights = false): WeightStorage {
  const checkpoint = sharesPolicyWeights ? 'fp32' : AUTO_PRECISION[recordedDtype(config.raw)];
  const precision = model.precision === 'auto' ? checkpoint : model.precision;
  return { precision, quantization: parseQuantization(model.quantization ?? {}).spec };
}

/**
 * Quantization takes the weights of linear layers (2-D or more, inside the decoder layers), as bitsandbytes
 * replaces nn.Linear: embeddings, norms, biases, lm_head and score heads keep the float format.
 */
function isQuantizable(name: string, dims: readonly number[]): boolean {
  return name.startsWith('layers.') && dims.length >= 2;
}

/**
 * The one place frozen weights take their storage form: a model whose weights are held as `storage` says
 * (the float32 copies are dropped unless they stay plain). Trainable models never go through here.
 */
export function storeFrozen(model: DecoderModel, storage: WeightStorage): DecoderModel {
  if (storage.precision === 'fp32' && !storage.quantization) return model;
  const weights = new Map(model.weights);
  const stored = new Map(model.stored);
  for (const [name, tensor] of model.weights) {
    const form = storedForm(name, { dtype: 'F32', shape: tensor.dims, data: plainWeight(tensor).toFloat32() }, storage);
    if (!form) continue;
    stored.set(name, form);
    weights.delete(name);
  }
  return new DecoderModel({ ...model, weights, stored });
}

/**
 * One weight as a frozen model with `storage` holds it, straight from the checkpoint: stored (narrowed or quantized;
 * a checkpoint's bf16 / fp16 bits kept as they are when the storage is the same format), or plain float32.
 */
export function frozenForm(name: string, tensor: CanonicalFloatTensor, storage: WeightStorage): StoredWeight | HostTensor {
  const stored = storedForm(name, tensor, storage);
  if (stored) return stored;
  // read for this frozen model alone, so nothing writes into it
  const data = float32(tensor);
  freezeHostArray(data);
  return { dtype: 'float32', dims: tensor.shape, data };
}

function storedForm(name: string, tensor: CanonicalFloatTensor, storage: WeightStorage): StoredWeight | undefined {
  const q = storage.quantization;
  const dims = tensor.shape;
  if (q && isQuantizable(name, dims)) return quantizedWeight(quantizeBlockwise(float32(tensor), dims, q.format, q.blockSize));
  if (storage.precision === 'bf16') return bfloat16Weight(tensor.dtype === 'BF16' ? (tensor.data as Uint16Array) : f32ToBf16(float32(tensor)), dims);
  if (storage.precision === 'fp16') return float16Weight(tensor.dtype === 'F16' ? (tensor.data as Uint16Array) : f32ToF16(float32(tensor)), dims);
  return undefined;
}

/** A tensor's values as float32 (a view when they already are). */
function float32(tensor: CanonicalFloatTensor): Float32Array {
  if (tensor.dtype === 'F32') return tensor.data as Float32Array;
  return tensor.dtype === 'BF16' ? bf16ToF32(tensor.data as Uint16Array) : f16ToF32(tensor.data as Uint16Array);
}

/**
 * A run's frozen models: each goes through `freeze`, which applies model.precision / model.quantization and
 * counts it, so the run can refuse a quantization that had nothing to act on.
 */
export class FrozenWeights {
  private count = 0;
  private held = 0;
  private readonly storages = new WeakMap<DecoderModel, WeightStorage>();

  constructor(private readonly model: Pick<ModelConfig, 'precision' | 'quantization'>) {}

  /** The storage `freeze` gives a model with this config.json that has weights of its own (for loadModel's frozenStorage). */
  readonly storageFor = (config: HfModelConfig): WeightStorage => weightStorage(this.model, config);

  /**
   * `model` in the storage the config asks for (weights loaded already stored, through storageFor, are kept as they
   * are); `sharesPolicyWeights`: its weights are the policy's starting ones.
   */
  freeze(model: DecoderModel, options: { sharesPolicyWeights?: boolean } = {}): DecoderModel {
    this.count++;
    const storage = weightStorage(this.model, model.config, options.sharesPolicyWeights);
    const frozen = storeFrozen(model, storage);
    this.storages.set(frozen, storage);
    this.held += frozen.heldBytes();
    return frozen;
  }

  /** Bytes of every frozen model's weights as stored (what the run's memory estimate counts for them). */
  get bytes(): number {
    return this.held;
  }

  /** The storage `freeze` gave a model (e.g. for a cache key of values computed with it). */
  storageOf(model: DecoderModel): WeightStorage | undefined {
    return this.storages.get(model);
  }

  /**
   * Quantization acts on frozen weights only, and this run froze none (every weight it has is trained): refused
   * rather than ignored. LoRA lifts this: its frozen base weights are what QLoRA quantizes.
   */
  requireFrozenBase(): void {
    if (this.count > 0 || !parseQuantization(this.model.quantization ?? {}).spec) return;
    throw new ConfigValidationError([
      { path: 'model.quantization', message: 'quantization needs frozen base weights: use LoRA (model.peft); this run has no frozen model (reference or reward model) and trains every weight' },
    ]);
  }
}
