import { ConfigValidationError } from '../../config/config-validation-error.js';
import type { ModelConfig } from '../../config/model-config.js';
import { parseQuantization, type QuantizationSpec } from '../../config/quantization-config.js';
import type { HfModelConfig } from '../hf-model-config.js';
import { DecoderModel } from '../roles/decoder-model.js';
import { quantizeBlockwise } from './quantize-blockwise.js';
import { bfloat16Weight, float16Weight, plainWeight, quantizedWeight, type StoredWeight } from './stored-weight.js';

/** How a frozen model holds its weights: the float format, and the quantization of its linear layers' weights. */
export interface WeightStorage {
  readonly precision: 'fp32' | 'bf16' | 'fp16';
  readonly quantization?: QuantizationSpec;
}

/** torch_dtype (config.json) → the storage `precision: auto` picks, as transformers' torch_dtype="auto" loads. */
const AUTO_PRECISION: Record<string, WeightStorage['precision']> = { bfloat16: 'bf16', float16: 'fp16' };

/**
 * What model.precision and model.quantization ask of a frozen model with this config.json. `auto` keeps float32
 * for a model that shares the trained policy's starting weights (a copy in another format would only add
 * memory: the policy holds the float32 ones anyway), else follows the checkpoint's torch_dtype.
 */
export function weightStorage(model: Pick<ModelConfig, 'precision' | 'quantization'>, config: HfModelConfig, sharesPolicyWeights = false): WeightStorage {
  const checkpoint = sharesPolicyWeights ? 'fp32' : (AUTO_PRECISION[String(config.raw.torch_dtype)] ?? 'fp32');
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
    const values = plainWeight(tensor).toFloat32();
    const form = storedForm(name, values, tensor.dims, storage);
    if (!form) continue;
    stored.set(name, form);
    weights.delete(name);
  }
  return new DecoderModel({ ...model, weights, stored });
}

function storedForm(name: string, values: Float32Array, dims: readonly number[], storage: WeightStorage): StoredWeight | undefined {
  const q = storage.quantization;
  if (q && isQuantizable(name, dims)) return quantizedWeight(quantizeBlockwise(values, dims, q.format, q.blockSize));
  if (storage.precision === 'bf16') return bfloat16Weight(values, dims);
  if (storage.precision === 'fp16') return float16Weight(values, dims);
  return undefined;
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

  /** `model` in the storage the config asks for; `sharesPolicyWeights`: its weights are the policy's starting ones. */
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
