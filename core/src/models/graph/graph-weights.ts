import type { DType, HostTensor } from '../../engine/graph-executor.js';
import { gate, gateCondition, gatedOn } from '../../engine/autodiff/recompute.js';
import { isFrozenHostArray } from '../../engine/frozen-host-arrays.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import type { ElementwiseWeight, WeightSource } from '../architecture.js';
import { asFeed, type StoredWeight } from '../quant/stored-weight.js';

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
  /** canonical name → the weight's float tensor on the graph (its first decode), in first-use order. */
  readonly used = new Map<string, Tensor>();
  /** The decodes made: by canonical name, and by name and reader for per-reader ones. */
  private readonly decoded = new Map<string, Tensor>();
  /** canonical name → the weight's declared parts (a plain weight's '' part is its float tensor itself), in first-use order. */
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

  readonly source: WeightSource = Object.assign((name: string, after?: Tensor) => this.bindWeight(name, after), {
    adaptLinear: (g: Graph, x: Tensor, name: string) => this.options.adaptLinear?.(g, x, name, this.source),
    elementwise: (name: string) => this.bindElementwise(name),
  });

  /**
   * The weight's float tensor. A stored one read with `after` (its reader's input) is decoded for that reader alone,
   * once `after` exists: the float32 copy then lives only around its reader, not from a first reader to a later one
   * (a policy's forward and its reference's, which share the frozen base). Without `after` there is one decode.
   */
  private bindWeight(name: string, after?: Tensor): Tensor {
    const stored = this.lookup(name);
    if (!stored && this.options.fallback) return this.options.fallback(name, after);
    if (!stored) throw new Error(`model has no weight '${name}'`);
    const once = this.options.mode === 'initializer' && !this.isPlain(stored) ? decodedOnce.get(this.g) : undefined;
    if (once) return this.decodedInput(name, stored, once);
    const perReader = after !== undefined && !this.isPlain(stored);
    const key = perReader ? `${name}@${after.id}` : name;
    const hit = this.decoded.get(key);
    if (hit) return hit;
    const parts = this.declareParts(name, stored);
    // A plain weight decodes to itself: as an initializer it stays a constant, which onnxruntime prepacks (MatMul).
    // A shared one (a frozen model's own array, passed beside the model bytes) is gated too: the bytes hold only a
    // stub for it, which onnxruntime's optimizers would read if they folded it at session creation; not where no
    // op reading it can be folded (sharedWeightsAsConstants).
    const atRunTime = this.options.mode === 'initializer' && (!this.isPlain(stored) || (isShared(stored) && !constantReaders.has(this.g)));
    const decoded = atRunTime && !perReader ? partsAtRunTime(this.g, parts) : parts;
    // The reader's condition is computed outside the decode's segment: the backward's decode then reads that bool, not
    // the reader's input (which would stay alive for it), and its stored parts are tied to the gradient instead.
    const when = perReader ? gateCondition(this.g, after) : undefined;
    // A backward that reads a decoded weight (dX = dY·Wᵀ) decodes it again, so the forward's float32 copy is not kept.
    const t = this.g.inSegment('always', () => stored.decode(this.g, when ? mapParts(decoded, (part) => gate(this.g, part, when)) : decoded));
    this.decoded.set(key, t);
    if (!this.used.has(name)) this.used.set(name, t);
    return t;
  }

  /** A stored weight as the float32 input its caller decodes once (storedWeightsDecodedOnce). */
  private decodedInput(name: string, stored: StoredWeight, once: Map<string, StoredWeight>): Tensor {
    const hit = this.decoded.get(name);
    if (hit) return hit;
    const t = this.g.input(this.graphName(name), this.dtype, [...stored.dims]);
    once.set(this.graphName(name), stored);
    this.parts.set(name, { '': t });
    this.decoded.set(name, t);
    this.used.set(name, t);
    return t;
  }

  /** A stored weight whose decode is elementwise, as its readers of rows or slices take it (undefined otherwise). */
  private bindElementwise(name: string): ElementwiseWeight | undefined {
    const stored = this.lookup(name);
    if (!stored) return this.options.fallback?.elementwise?.(name);
    // a weight decoded once by the caller (storedWeightsDecodedOnce) is read whole, as that float32 input
    if (!stored.elementwise || this.isPlain(stored) || (this.options.mode === 'initializer' && decodedOnce.has(this.g))) return undefined;
    return { parts: this.declareParts(name, stored), decode: (parts) => stored.decode(this.g, parts) };
  }

  /** The weight's parts on the graph, declared on first use. */
  private declareParts(name: string, stored: StoredWeight): Readonly<Record<string, Tensor>> {
    const hit = this.parts.get(name);
    if (hit) return hit;
    const parts: Record<string, Tensor> = {};
    for (const [suffix, value] of Object.entries(stored.parts)) parts[suffix] = this.declare(this.graphName(name) + suffix, value);
    this.parts.set(name, parts);
    return parts;
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
    for (const name of this.parts.keys()) {
      for (const [suffix, value] of Object.entries(this.lookup(name)!.parts)) feeds[this.graphName(name) + suffix] = asFeed(value);
    }
    return feeds;
  }

  private declare(graphName: string, value: HostTensor): Tensor {
    return this.options.mode === 'input' ? this.g.input(graphName, asFeed(value).dtype, value.dims) : this.g.initializer(graphName, value);
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
  return first ? mapParts(parts, (part) => gatedOn(g, part, first)) : parts;
}

/** `parts` with `f` applied to each, by the same suffixes. */
export function mapParts(parts: Readonly<Record<string, Tensor>>, f: (part: Tensor) => Tensor): Readonly<Record<string, Tensor>> {
  return Object.fromEntries(Object.entries(parts).map(([suffix, part]) => [suffix, f(part)]));
}
