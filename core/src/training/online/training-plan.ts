import { epochOrder } from '../../data/shuffle.js';

export interface PlanOptions {
  /** Passes over the rollout batch (num_ppo_epochs). */
  readonly epochs: number;
  /** Rows per micro-batch (per_device_batch_size); a mini-batch is gradient_accumulation_steps of them. */
  readonly microBatchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  /** Which rollout batch this is, so every (batch, epoch) gets its own shuffle. */
  readonly round: number;
}

/** `epochs` passes over a rollout batch of `size` rows, each in a fresh order, cut into micro-batches of row indices (TRL's PPO-style loop). */
export function trainingPlan(size: number, o: PlanOptions): number[][] {
  const plan: number[][] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = epochOrder(size, { shuffle: o.shuffle, seed: o.seed, epoch: o.round * o.epochs + epoch });
    for (let at = 0; at < size; at += o.microBatchSize) plan.push(Array.from(order.subarray(at, at + o.microBatchSize)));
  }
  return plan;
}
