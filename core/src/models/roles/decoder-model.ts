import { withDataOnRead } from '../../engine/data-on-read.js';
import type { DType, HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { ModelArchitecture } from '../architecture.js';
import type { CanonicalWeights } from '../canonical-weights.js';
import type { HfGenerationConfig } from '../generation-config.js';
import { decoderForward, lmHeadLogits, scoreHead, type DecoderForward, type TokenInputs } from '../graph/causal-lm.js';
import { GraphWeights, type WeightMode } from '../graph/graph-weights.js';
import type { HfModelConfig } from '../hf-model-config.js';
import { saveModelDir, type SaveModelDirOptions } from '../model-dir.js';
import type { LoraAdapter } from '../lora/lora-adapter.js';
import { mergedWeights } from '../lora/merge-adapter.js';
import { asFeed, plainWeight, type StoredWeight } from '../quant/stored-weight.js';

export interface DecoderModelInit {
  readonly config: HfModelConfig;
  readonly architecture: ModelArchitecture;
  readonly weights: Map<string, HostTensor>;
  /** Prepended to canonical names to get the checkpoint's tensor names (e.g. "transformer."). */
  readonly prefix?: string;
  /** Where the model was loaded from (a directory), for messages and tokenizer copies. */
  readonly source?: string;
  readonly generationConfig?: HfGenerationConfig | null;
  /** Frozen weights held in another form (half, quantized): canonical name → stored weight, beside `weights`. */
  readonly stored?: ReadonlyMap<string, StoredWeight>;
  /** LoRA adapters on these (then frozen) weights: only the adapter's tensors train, feed and absorb updates. */
  readonly adapter?: LoraAdapter;
}

/** What a forward builder returns: the decoder's outputs plus the weights it bound (params/feeds). */
export interface ModelForward extends DecoderForward {
  readonly weights: GraphWeights;
}

/**
 * A decoder-only model in host memory: config, architecture plugin and canonical weights. The roles
 * (PolicyModel, ReferenceModel, ValueModel, RewardModel) wrap one and decide how its weights enter a graph.
 */
export class DecoderModel {
  readonly config: HfModelConfig;
  readonly architecture: ModelArchitecture;
  readonly weights: Map<string, HostTensor>;
  readonly prefix: string | undefined;
  readonly source: string | undefined;
  readonly generationConfig: HfGenerationConfig | null;
  readonly stored: ReadonlyMap<string, StoredWeight>;
  readonly adapter: LoraAdapter | undefined;

  constructor(init: DecoderModelInit) {
    this.config = init.config;
    this.architecture = init.architecture;
    this.weights = init.weights;
    this.prefix = init.prefix;
    this.source = init.source;
    this.generationConfig = init.generationConfig ?? null;
    this.stored = init.stored ?? new Map();
    this.adapter = init.adapter;
  }

  /** The weights that train and are fed: the adapter's when there is one (the base is then frozen), else all. */
  private get trainable(): Map<string, HostTensor> {
    return this.adapter ? this.adapter.tensors : this.weights;
  }

  /** The model with its adapter folded into the weights (PEFT's merge_and_unload), in float32; itself without an adapter. */
  merged(): DecoderModel {
    return this.adapter ? new DecoderModel({ ...this, weights: mergedWeights(this.adapter), stored: new Map(), adapter: undefined }) : this;
  }

  /** This model with `adapter` on its weights (LoRA), or without one. */
  withAdapter(adapter: LoraAdapter | undefined): DecoderModel {
    return new DecoderModel({ ...this, adapter });
  }

  get dtype(): DType {
    return this.weights.get('embed.tokens')?.dtype ?? 'float32';
  }

  /** A weight as it is held: stored (frozen, half or quantized) or plain. */
  storedWeight(name: string): StoredWeight | undefined {
    const stored = this.stored.get(name);
    if (stored) return stored;
    const plain = this.weights.get(name);
    return plain && plainWeight(plain);
  }

  /**
   * Binds the weights to `g`: graph inputs (`input`, trainable) or initializers (`initializer`, frozen); with an
   * adapter, `mode` and `prefix` apply to its tensors and the base is frozen.
   */
  bind(g: Graph, mode: WeightMode, prefix = ''): GraphWeights {
    return this.adapter ? this.adapter.bind(g, mode, prefix) : new GraphWeights(g, (name) => this.storedWeight(name), { mode, prefix, dtype: this.dtype });
  }

  /** Decoder over padded token inputs: final hidden states and per-layer keys/values. */
  forward(g: Graph, inputs: TokenInputs, mode: WeightMode, prefix = ''): ModelForward {
    const weights = this.bind(g, mode, prefix);
    return { ...decoderForward(g, this.architecture, this.config, weights, inputs), weights };
  }

  lmLogits(g: Graph, weights: GraphWeights, hidden: Tensor): Tensor {
    return lmHeadLogits(g, this.config, weights.source, hidden);
  }

  score(g: Graph, weights: GraphWeights, hidden: Tensor): Tensor {
    return scoreHead(weights.source, g, hidden);
  }

  /**
   * The trainable weights by graph name (`prefix` + canonical name, plus a stored weight's part suffixes): the feeds
   * of a graph that binds them as inputs (with an adapter, its tensors only).
   */
  namedWeights(prefix = ''): Record<string, HostTensor> {
    const named: Record<string, HostTensor> = Object.fromEntries([...this.trainable].map(([name, t]) => [`${prefix}${name}`, t]));
    if (this.adapter) return named;
    for (const [name, stored] of this.stored) {
      for (const [suffix, part] of Object.entries(stored.parts)) named[`${prefix}${name}${suffix}`] = asFeed(part);
    }
    return named;
  }

  /** Bytes of the weights as held: plain tensors and stored parts (bf16 2 bytes a weight, 4-bit half a byte plus the block scales). */
  heldBytes(): number {
    return Object.values(this.namedWeights()).reduce((sum, t) => sum + t.data.byteLength, 0);
  }

  /** Replaces trainable weights by canonical name (e.g. a TrainSession's params, with the graph-name prefix removed). */
  setWeights(values: Readonly<Record<string, HostTensor>>, prefix = ''): void {
    const trainable = this.trainable;
    for (const [name, value] of Object.entries(values)) {
      if (!name.startsWith(prefix)) continue;
      const canonical = name.slice(prefix.length);
      const old = trainable.get(canonical);
      if (!old) continue;
      if (old.dims.join() !== value.dims.join()) throw new Error(`setWeights: '${canonical}' is [${old.dims}], got [${value.dims}]`);
      trainable.set(canonical, value);
    }
  }

  /**
   * The weights as float32 canonical tensors (views where already float32), each read when its `data` is: weights
   * that are views of a compute backend's (a resident run's policy) or stored narrower are materialised one at a time.
   */
  canonicalWeights(): CanonicalWeights {
    const out: CanonicalWeights = new Map();
    for (const [name, t] of this.weights) out.set(name, withDataOnRead({ shape: t.dims }, () => plainWeight(t).toFloat32()));
    for (const [name, stored] of this.stored) out.set(name, withDataOnRead({ shape: stored.dims }, () => stored.toFloat32()));
    return out;
  }

  /** Writes a Hugging Face model directory with the original tensor names (prefix kept). */
  async save(dir: string, options: Omit<SaveModelDirOptions, 'weights' | 'tensors'> = {}): Promise<void> {
    await saveModelDir(dir, this.config, { prefix: this.prefix, generationConfig: this.generationConfig?.raw, ...options, weights: this.canonicalWeights() });
  }

  /** A copy with every weight converted to `dtype` (float64 for finite-difference checks). */
  withDtype(dtype: 'float32' | 'float64'): DecoderModel {
    const weights = new Map<string, HostTensor>();
    for (const [n, t] of this.weights) weights.set(n, { dtype, dims: t.dims, data: dtype === 'float64' ? Float64Array.from(t.data as Float32Array) : Float32Array.from(t.data as Float64Array) });
    // a stored (half, quantized) weight becomes plain: its decoded values in `dtype`
    for (const [n, s] of this.stored) weights.set(n, { dtype, dims: [...s.dims], data: dtype === 'float64' ? Float64Array.from(s.toFloat32()) : Float32Array.from(s.toFloat32()) });
    return new DecoderModel({ ...this, weights, stored: new Map(), adapter: this.adapter?.withDtype(dtype) });
  }
}

/** Canonical float32 weights (M1's layout) as host tensors; the data is shared, not copied. */
export function hostWeights(weights: CanonicalWeights): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of weights) out.set(name, { dtype: 'float32', dims: [...t.shape], data: t.data });
  return out;
}
