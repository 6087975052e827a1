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

  readonly source: WeightSource = (name) => {
    const hit = this.used.get(name);
    if (hit) return hit;
    const value = this.host.get(name);
    if (!value) throw new Error(`model has no weight '${name}'`);
    const graphName = this.graphName(name);
    const t = this.options.mode === 'input' ? this.g.input(graphName, value.dtype, value.dims) : this.g.initializer(graphName, value);
    this.used.set(name, t);
    return t;
  };

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
