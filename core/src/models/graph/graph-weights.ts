import type { DType, HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { WeightSource } from '../architecture.js';

/** Weights as graph inputs (trainable: fed every run, differentiable) or initializers (frozen: baked into the model bytes). */
export type WeightMode = 'input' | 'initializer';

export interface GraphWeightsOptions {
  readonly mode: WeightMode;
  /** Prepended to every graph name, so two models (policy and reference) can share one graph. */
  readonly prefix?: string;
  /** Where a name this binding does not hold is looked up (a LoRA adapter's frozen base); those tensors are never its params or feeds. */
  readonly fallback?: WeightSource;
  /** Given to the source as its `adaptLinear` (see WeightSource), with this binding's source to bind the adapter's tensors. */
  readonly adaptLinear?: (g: Graph, x: Tensor, name: string, source: WeightSource) => Tensor | undefined;
}

/**
 * Binds a model's host weights (canonical names) to one graph. Tensors are declared on first use, so a
 * graph only carries the weights its outputs need (a decode graph without the score head, say).
 */
export class GraphWeights {
  /** canonical name → graph tensor, in first-use order. */
  readonly used = new Map<string, Tensor>();

  constructor(
    private readonly g: Graph,
    private readonly host: ReadonlyMap<string, HostTensor>,
    readonly options: GraphWeightsOptions,
  ) {}

  /** The dtype of the model's weights (every weight shares it). */
  get dtype(): DType {
    const first = this.host.values().next();
    return first.done ? 'float32' : first.value.dtype;
  }

  readonly source: WeightSource = Object.assign((name: string) => this.bindWeight(name), {
    adaptLinear: (g: Graph, x: Tensor, name: string) => this.options.adaptLinear?.(g, x, name, this.source),
  });

  private bindWeight(name: string): Tensor {
    const hit = this.used.get(name);
    if (hit) return hit;
    const value = this.host.get(name);
    if (!value && this.options.fallback) return this.options.fallback(name);
    if (!value) throw new Error(`model has no weight '${name}'`);
    const graphName = this.graphName(name);
    const t = this.options.mode === 'input' ? this.g.input(graphName, value.dtype, value.dims) : this.g.initializer(graphName, value);
    this.used.set(name, t);
    return t;
  }

  graphName(canonical: string): string {
    return `${this.options.prefix ?? ''}${canonical}`;
  }

  /** The trainable tensors (input mode), for `grad` and train-step builders. */
  params(): Tensor[] {
    return this.options.mode === 'input' ? [...this.used.values()] : [];
  }

  /** Feeds for the weight inputs (empty in initializer mode). Zero-copy views of the host weights. */
  feeds(): Record<string, HostTensor> {
    if (this.options.mode !== 'input') return {};
    return Object.fromEntries([...this.used.keys()].map((n) => [this.graphName(n), this.host.get(n)!]));
  }
}
