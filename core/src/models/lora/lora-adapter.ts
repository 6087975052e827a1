import type { HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { SeededRandom } from '../../util/seeded-random.js';
import type { WeightSource } from '../architecture.js';
import { GraphWeights, type WeightMode } from '../graph/graph-weights.js';
import type { HfModelConfig } from '../hf-model-config.js';
import { plainWeight } from '../quant/stored-weight.js';
import type { DecoderModel } from '../roles/decoder-model.js';
import { LORA_DROPOUT_SEED, loraDropout, loraDropoutSeed } from './lora-dropout.js';
import { loraScale, type LoraSettings } from './lora-settings.js';
import { defaultTargetModules, resolveSavedModules, resolveTargets, type LoraTarget, type SavedModule } from './lora-targets.js';

/** Canonical names of a target's factors: A [in, r] and B [r, out] (PEFT's lora_A.weight / lora_B.weight transposed). */
export const loraNames = (module: string) => ({ a: `${module}.lora_A`, b: `${module}.lora_B` });

export interface LoraAdapterInit {
  readonly config: HfModelConfig;
  readonly settings: LoraSettings;
  /** The frozen base model, its weights stored as model.precision / model.quantization say (see FrozenWeights). */
  readonly base: DecoderModel;
  /** The trainable tensors (factors and modules_to_save copies) by canonical name. */
  readonly tensors: Map<string, HostTensor>;
  readonly enabled?: boolean;
  /** What adapter_config.json records as the base (the config's model name or path). */
  readonly baseModelNameOrPath?: string | null;
}

/**
 * LoRA adapters on a frozen base (Hugging Face PEFT): for each targeted linear y = x·W + b + (dropout(x)·A·B)·scale, and
 * modules_to_save trained as full copies. The base never trains; the adapter's tensors are what a session
 * params, checkpoints and saves. `disabled()` is the same base with the adapter switched off: the reference
 * model of DPO / GRPO / PPO / RLOO, with no second copy of the weights.
 */
export class LoraAdapter {
  readonly config: HfModelConfig;
  readonly settings: LoraSettings;
  readonly base: DecoderModel;
  readonly tensors: Map<string, HostTensor>;
  readonly enabled: boolean;
  readonly baseModelNameOrPath: string | null;
  readonly targets: readonly LoraTarget[];
  readonly saved: readonly SavedModule[];
  private readonly targeted: ReadonlySet<string>;

  constructor(init: LoraAdapterInit) {
    this.config = init.config;
    this.settings = init.settings;
    this.base = init.base;
    this.tensors = init.tensors;
    this.enabled = init.enabled ?? true;
    this.baseModelNameOrPath = init.baseModelNameOrPath ?? null;
    this.targets = resolveTargets(init.config, init.settings.targetModules ?? defaultTargetModules(init.config));
    this.saved = resolveSavedModules(init.config, init.settings.modulesToSave);
    this.targeted = new Set(this.targets.map((t) => t.module));
  }

  /** A fresh adapter on `base` (kept frozen, in whatever storage it holds): PEFT's init from `seed`, modules_to_save copied to float. */
  static create(base: DecoderModel, settings: LoraSettings, options: { seed: number; baseModelNameOrPath?: string }): LoraAdapter {
    const { seed, baseModelNameOrPath } = options;
    const adapter = new LoraAdapter({ config: base.config, settings, base: base.withAdapter(undefined), tensors: new Map(), baseModelNameOrPath });
    const dtype = base.dtype;
    const random = new SeededRandom(seed, 'lora');
    for (const t of adapter.targets) {
      const { a, b } = loraNames(t.module);
      adapter.tensors.set(a, kaimingUniform(random, dtype, t.inFeatures, settings.r, t.inFeatures));
      adapter.tensors.set(b, settings.initLoraWeights ? zeros(dtype, [settings.r, t.outFeatures]) : kaimingUniform(random, dtype, settings.r, t.outFeatures, settings.r));
    }
    for (const m of adapter.saved) for (const s of m.tensors) adapter.tensors.set(s.canonicalName, floatCopy(base, s.canonicalName, dtype));
    return adapter;
  }

  /** The scale of B·A in every adapted linear. */
  get scale(): number {
    return loraScale(this.settings);
  }

  /** The same base and tensors with the adapter switched off (PEFT's disable_adapter): the base model as loaded. */
  disabled(): LoraAdapter {
    return new LoraAdapter({ ...this, tensors: new Map(), enabled: false });
  }

  /** Binds base (frozen, shared in the graph) plus this adapter's tensors (`mode`: inputs to train, initializers to export). */
  bind(g: Graph, mode: WeightMode, prefix: string): GraphWeights {
    const base = boundBase(this.base, g);
    if (!this.enabled) return base;
    const lookup = (name: string) => {
      const t = this.tensors.get(name);
      return t && plainWeight(t);
    };
    return new GraphWeights(g, lookup, { mode, prefix, dtype: this.base.dtype, fallback: base.source, adaptLinear: (graph, x, name, source) => this.update(graph, x, name, source) });
  }

  /** (dropout(x)·A·B)·scale for a targeted linear, undefined for the others; dropout only in a training graph. */
  private update(g: Graph, x: Tensor, module: string, source: WeightSource): Tensor | undefined {
    if (!this.targeted.has(module)) return undefined;
    const { a, b } = loraNames(module);
    const input = this.dropsOut(g) ? loraDropout(g, x, this.settings.loraDropout, module) : x;
    return g.mul(g.matmul(g.matmul(input, source(a)), source(b)), this.scale);
  }

  private dropsOut(g: Graph): boolean {
    return g.training && this.settings.loraDropout > 0;
  }

  /** The feed keying one micro-batch's dropout masks (none when dropout is off): from the run's seed, the step and the micro-batch. */
  dropoutFeeds(runSeed: number, step: number, microBatch: number): Record<string, HostTensor> {
    return this.enabled && this.settings.loraDropout > 0 ? { [LORA_DROPOUT_SEED]: loraDropoutSeed(runSeed, step, microBatch) } : {};
  }

  /** The adapter with its tensors and the base converted to `dtype` (float64 for gradient checks). */
  withDtype(dtype: 'float32' | 'float64'): LoraAdapter {
    return new LoraAdapter({ ...this, base: this.base.withDtype(dtype), tensors: new Map([...this.tensors].map(([n, t]) => [n, castTo(t, dtype)])) });
  }
}

/** Graph-name prefix of a frozen base's weights, apart from the trained weights' names (prefix '' or `ref.`). */
const FROZEN_BASE_PREFIX = 'base.';

const baseBindings = new WeakMap<DecoderModel, WeakMap<Graph, GraphWeights>>();

/**
 * The base's weights on `g`, bound once per graph: the policy with its adapter, the reference with it switched off
 * and generation share the same initializers (stored as the base holds them: float, half or quantized).
 */
function boundBase(base: DecoderModel, g: Graph): GraphWeights {
  let byGraph = baseBindings.get(base);
  if (!byGraph) baseBindings.set(base, (byGraph = new WeakMap()));
  let weights = byGraph.get(g);
  if (!weights) byGraph.set(g, (weights = base.bind(g, 'initializer', FROZEN_BASE_PREFIX)));
  return weights;
}

/** PEFT's A init, nn.init.kaiming_uniform_(a=√5): U(−1/√fanIn, 1/√fanIn). */
function kaimingUniform(random: SeededRandom, dtype: HostTensor['dtype'], rows: number, cols: number, fanIn: number): HostTensor {
  const bound = 1 / Math.sqrt(fanIn);
  const data = dtype === 'float64' ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (2 * random.nextFloat() - 1) * bound;
  return { dtype, dims: [rows, cols], data };
}

function zeros(dtype: HostTensor['dtype'], dims: number[]): HostTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  return { dtype, dims, data: dtype === 'float64' ? new Float64Array(size) : new Float32Array(size) };
}

/** A trainable copy of a base weight (modules_to_save), decoded to `dtype` when the base stores it in another form. */
function floatCopy(base: DecoderModel, name: string, dtype: HostTensor['dtype']): HostTensor {
  const plain = base.weights.get(name);
  if (plain) return { ...plain, dims: [...plain.dims], data: plain.data.slice() } as HostTensor;
  const stored = base.stored.get(name)!;
  return { dtype, dims: [...stored.dims], data: Float32Array.from(stored.toFloat32()) };
}

function castTo(t: HostTensor, dtype: 'float32' | 'float64'): HostTensor {
  return { dtype, dims: t.dims, data: dtype === 'float64' ? Float64Array.from(t.data as Float32Array) : Float32Array.from(t.data as Float64Array) };
}
