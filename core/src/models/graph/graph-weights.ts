import type { DType, HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { WeightSource } from '../architecture.js';
import type { StoredWeight } from '../quant/stored-weight.js';

/** Weights as graph inputs (trainable: fed every run, differentiable) or initializers (frozen: baked into the model bytes). */
export type WeightMode = 'input' | 'initializer';

export interface GraphWeightsOptions {
  readonly mode: WeightMode;
  /** Prepended to every graph name, so two models (policy and reference) can share one graph. */
  readonly prefix?: string;
  /** The dtype the weights compute in (float32, or float64 in gradient checks). */
  readonly dtype?: DType;
}

/** A model's weight by canonical name, as it is stored (plain, half or quantized); undefined if it has none. */
export type WeightLookup = (canonical: string) => StoredWeight | undefined;

/**
 * Binds a model's weights (canonical names) to one graph: the one place a weight enters a graph. Tensors are
 * declared on first use, so a graph only carries the weights its outputs need (a decode graph without the score
 * head, say). A stored weight's parts are declared under its graph name (plus their suffixes) and decoded to
 * float32 on the graph; only plain weights are trainable.
 */
export class GraphWeights {
  /** canonical name → the weight's float tensor on the graph, in first-use order. */
  readonly used = new Map<string, Tensor>();
  /** canonical name → the weight's declared parts (a plain weight's '' part is its float tensor itself). */
  private readonly parts = new Map<string, Record<string, Tensor>>();

  constructor(
    private readonly g: Graph,
    private readonly lookup: WeightLookup,
    readonly options: GraphWeightsOptions,
  ) {}

  /** The dtype of the model's weights on the graph (every weight shares it). */
  get dtype(): DType {
    return this.options.dtype ?? 'float32';
  }

  readonly source: WeightSource = (name) => {
    const hit = this.used.get(name);
    if (hit) return hit;
    const stored = this.lookup(name);
    if (!stored) throw new Error(`model has no weight '${name}'`);
    const parts: Record<string, Tensor> = {};
    for (const [suffix, value] of Object.entries(stored.parts)) parts[suffix] = this.declare(this.graphName(name) + suffix, value);
    // A backward that reads a decoded weight (dX = dY·Wᵀ) decodes it again, so the forward's float32 copy is not kept.
    const t = this.g.inSegment('always', () => stored.decode(this.g, parts));
    this.parts.set(name, parts);
    this.used.set(name, t);
    return t;
  };

  graphName(canonical: string): string {
    return `${this.options.prefix ?? ''}${canonical}`;
  }

  /** The trainable tensors (input mode, weights kept plain), for `grad` and train-step builders. */
  params(): Tensor[] {
    if (this.options.mode !== 'input') return [];
    return [...this.used].filter(([name, t]) => this.parts.get(name)![''] === t).map(([, t]) => t);
  }

  /**
   * Feeds for the weight inputs (empty in initializer mode): zero-copy views of the host weights as the model
   * holds them now, so weights replaced since binding (a trained policy's) are fed, not the bound ones.
   */
  feeds(): Record<string, HostTensor> {
    if (this.options.mode !== 'input') return {};
    const feeds: Record<string, HostTensor> = {};
    for (const name of this.used.keys()) {
      for (const [suffix, value] of Object.entries(this.lookup(name)!.parts)) feeds[this.graphName(name) + suffix] = value;
    }
    return feeds;
  }

  private declare(graphName: string, value: HostTensor): Tensor {
    return this.options.mode === 'input' ? this.g.input(graphName, value.dtype, value.dims) : this.g.initializer(graphName, value);
  }
}

