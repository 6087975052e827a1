import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/** Per-step scalars, both float64 graph inputs: the learning rate and the 1-based step number. */
export interface StepScalars {
  readonly lr: Tensor;
  readonly step: Tensor;
  /**
   * Only for optimizers with `foldsGradScale`: the float64 factor (the clipping coefficient) that
   * `grad` still has to be multiplied by. The optimizer folds it into its own scalar factors instead of
   * a separate pass over every gradient.
   */
  readonly gradScale?: Tensor;
}

export interface ParamUpdate {
  readonly param: Tensor;
  readonly state: Tensor[];
}

/**
 * An optimizer as graph-building code: it declares per-parameter state slots (zero-initialised
 * tensors shaped like the parameter) and emits the update for one parameter.
 */
export interface GraphOptimizer {
  readonly kind: string;
  readonly slots: readonly string[];
  /** Whether `update` accepts an unscaled grad plus `StepScalars.gradScale` (see there). */
  readonly foldsGradScale?: boolean;
  update(g: Graph, name: string, param: Tensor, grad: Tensor, state: readonly Tensor[], s: StepScalars): ParamUpdate;
}

/**
 * Scalar hyper-parameter arithmetic happens in float64 and is rounded once to the parameter dtype,
 * as torch does with its Python-float scalars.
 */
export function asParamScalar(g: Graph, x: Tensor, param: Tensor): Tensor {
  return g.cast(x, param.dtype);
}
