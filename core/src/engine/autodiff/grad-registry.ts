import type { Graph } from '../ir/graph.js';
import { Registry } from '../ir/op-def.js';
import type { Node, Tensor } from '../ir/tensor.js';

/**
 * A gradient rule: given the node, the gradients of its outputs (undefined where none flows) and which
 * inputs need a gradient, returns the gradients of its inputs, built from ordinary graph ops only.
 */
export type GradRule = (g: Graph, node: Node, dys: ReadonlyArray<Tensor | undefined>, needs: readonly boolean[]) => Array<Tensor | undefined>;

export const gradRegistry = new Registry<GradRule>('gradient rule');

export function defineGrad(op: string, rule: GradRule): void {
  gradRegistry.register(op, rule);
}

/** Ops through which no gradient flows (integer/bool outputs or sources). */
export const NON_DIFFERENTIABLE = new Set([
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Not',
  'StopGradient', 'Constant', 'Initializer', 'Fill', 'Arange', 'DimValue',
]);
