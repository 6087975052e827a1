import type { HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import { GraphWeights } from '../graph/graph-weights.js';

/** Graph-name prefix of a frozen base's weights, apart from the trained weights' names (prefix '' or `ref.`). */
export const FROZEN_BASE_PREFIX = 'base.';

/**
 * The frozen base weights of an adapted model: the one place they enter a graph. Every binding in one graph
 * (the policy with its adapter, the reference with it switched off, generation) shares the same initializers,
 * so a graph holds the base once; how they are stored (a backend's shared or quantized initializers) is decided
 * here, behind `bind`.
 */
export class FrozenBase {
  private readonly bound = new WeakMap<Graph, GraphWeights>();

  constructor(readonly weights: ReadonlyMap<string, HostTensor>) {}

  bind(g: Graph): GraphWeights {
    let weights = this.bound.get(g);
    if (!weights) this.bound.set(g, (weights = new GraphWeights(g, this.weights, { mode: 'initializer', prefix: FROZEN_BASE_PREFIX })));
    return weights;
  }
}
