import type { Tensor } from '../engine/ir/tensor.js';

/**
 * A training loss an architecture adds to the algorithm's loss, as transformers adds it inside the model's
 * forward: `loss += coefficient · value` (MoE router load balancing: `router_aux_loss_coef · aux_loss`).
 * `name` is the metric it is logged under, unscaled (`aux_loss`).
 */
export interface AuxiliaryLoss {
  readonly name: string;
  /** A scalar. */
  readonly value: Tensor;
  readonly coefficient: number;
}

/**
 * Given to a decoder on training and scoring forwards (never on generation): the [batch, seq] int64 attention
 * mask (1 = real token) that an auxiliary loss averages over, and the list the architecture appends to.
 */
export interface AuxiliaryLossSink {
  readonly attentionMask: Tensor;
  readonly losses: AuxiliaryLoss[];
}
