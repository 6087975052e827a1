import type { Graph } from '../engine/ir/graph.js';
import type { AuxiliaryLoss } from '../models/auxiliary-loss.js';
import type { LossGraph } from './algorithm-contract.js';

/**
 * The algorithm's loss plus the policy forward's auxiliary losses, each times its coefficient and logged
 * unscaled under its name: transformers' `loss += router_aux_loss_coef · aux_loss`, TRL's `aux_loss` metric.
 * Every algorithm that trains the policy passes its loss through here, so no architecture loss is dropped.
 */
export function withAuxiliaryLosses(g: Graph, task: LossGraph, auxiliary: readonly AuxiliaryLoss[]): LossGraph {
  if (auxiliary.length === 0) return task;
  let loss = task.loss;
  const metrics = { ...task.metrics };
  for (const aux of auxiliary) {
    if (aux.name in metrics) throw new Error(`auxiliary loss "${aux.name}" collides with a metric of the same name`);
    loss = g.add(loss, g.mul(aux.value, aux.coefficient));
    metrics[aux.name] = aux.value;
  }
  return { loss, metrics };
}
