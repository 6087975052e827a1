import type { DType, HostTensor } from '../../engine/graph-executor.js';
import { gatedOn } from '../../engine/autodiff/recompute.js';
import { isFrozenHostArray } from '../../engine/frozen-host-arrays.js';
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
  /** Where a name this binding does not hold is looked up (a LoRA adapter's frozen base); those tensors are never its params or feeds. */
  readonly fallback?: WeightSource;
  /** Given to the source as its `adaptLinear` (see WeightSource), with this binding's source to bind the adapter's tensors. */
  readonly adaptLinear?: (g: Graph, x: Tensor, name: string, source: WeightSource) => Tensor | undefined;
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

  readonly source: WeightSource = Object.assign((name: string) => this.bindWeight(name), {
    adaptLinear: (g: Graph, x: Tensor, name: string) => this.options.adaptLinear?.(g, x, name, this.source),
  });

  private bindWeight(name: string): Tensor {
    const hit = this.used.get(name);
    if (hit) return hit;
    const stored = this.lookup(name);
    if (!stored && this.options.fallback) return this.options.fallback(name);
    if (!stored) throw new Error(`model has no weight '${name}'`);
    const once = this.options.mode === 'initializer' && !this.isPlain(stored) ? decodedOnce.get(this.g) : undefined;
    if (once) return this.decodedInput(name, stored, once);
    const parts: Record<string, Tensor> = {};
    for (const [suffix, value] of Object.entries(stored.parts)) parts[suffix] = this.declare(this.graphName(name) + suffix, value);
    // A plain weight decodes to itself: as an initializer it stays a constant, which onnxruntime prepacks (MatMul).
    // A shared one (a frozen model's own array, passed beside the model bytes) is gated too: the bytes hold only a
    // stub for it, which onnxruntime's optimizers would read if they folded it at session creation; not where no
    // op reading it can be folded (sharedWeightsAsConstants).
    const atRunTime = this.options.mode === 'initializer' && (!this.isPlain(stored) || (isShared(stored) && !constantReaders.has(this.g)));
    const decoded = atRunTime ? partsAtRunTime(this.g, parts) : parts;
    // A backward that reads a decoded weight (dX = dY·Wᵀ) decodes it again, so the forward's float32 copy is not kept.
    const t = this.g.inSegment('always', () => stored.decode(this.g, decoded));
    this.parts.set(name, parts);
    this.used.set(name, t);
    return t;
  }

  /** A stored weight as the float32 input its caller decodes once (storedWeightsDecodedOnce). */
  private decodedInput(name: string, stored: StoredWeight, once: Map<string, StoredWeight>): Tensor {
    const t = this.g.input(this.graphName(name), this.dtype, [...stored.dims]);
    once.set(this.graphName(name), stored);
    this.parts.set(name, { '': t });
    this.used.set(name, t);
    return t;
  }

  /** Stored as it computes: its one part is the weight itself, in this binding's dtype. */
  private isPlain(stored: StoredWeight): boolean {
    const keys = Object.keys(stored.parts);
    return keys.length === 1 && stored.parts['']?.dtype === this.dtype;
  }

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

/** Graphs marked by `sharedWeightsAsConstants`. */
const constantReaders = new WeakSet<Graph>();

/**
 * Plain shared weights bound on `g` from now on stay constants, not gated run-time values: for a graph where every
 * op reading a weight also reads a run-time value (the generation graphs: MatMul by activations, Gather by token
 * ids, norms and biases over activations), so that onnxruntime can fold none of them at session creation and the
 * stub is never read. MatMul then prepacks the shared value (after it replaced the stub) and no run copies the
 * weight, where the gate copied every weight on every decode step.
 */
export function sharedWeightsAsConstants(g: Graph): void {
  constantReaders.add(g);
}

/** Graphs marked by `storedWeightsDecodedOnce`: graph name → the stored weight its float32 input stands for. */
const decodedOnce = new WeakMap<Graph, Map<string, StoredWeight>>();

/**
 * Stored (half, quantized) frozen weights bound on `g` from now on enter it as float32 inputs, by their graph names,
 * which the caller decodes once for many runs (a generation's decode steps) rather than the graph on every run.
 * Returns graph name → stored weight, filled as the weights are bound.
 */
export function storedWeightsDecodedOnce(g: Graph): ReadonlyMap<string, StoredWeight> {
  const weights = new Map<string, StoredWeight>();
  decodedOnce.set(g, weights);
  return weights;
}

/** Whether any part of `stored` is a frozen model's own array, which compileWithSharedWeights shares. */
function isShared(stored: StoredWeight): boolean {
  return Object.values(stored.parts).some((part) => isFrozenHostArray(part.data));
}

/**
 * Stored initializers as values of the run: onnxruntime folds ops whose inputs are all constants when it creates
 * a session, so a decode of initializers (a LoRA base bound as frozen initializers) would become a float32 copy of
 * the weight held by the session for its lifetime. Gated on the graph's first input, the decode runs in each run
 * and its float32 result is freed after the ops that read it. A graph with no input yet decodes them as they are.
 */
function partsAtRunTime(g: Graph, parts: Readonly<Record<string, Tensor>>): Readonly<Record<string, Tensor>> {
  const first = g.inputs[0];
  return first ? Object.fromEntries(Object.entries(parts).map(([suffix, part]) => [suffix, gatedOn(g, part, first)])) : parts;
}
