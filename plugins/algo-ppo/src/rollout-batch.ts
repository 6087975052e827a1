import { epochOrder } from '@aligntune/core';
import { gae, tokenKl, tokenRewards, whiten } from './advantages.js';
import type { KlEstimator } from './ppo-options.js';
import type { PpoRollout, ScoredRollout } from './ppo-rollout.js';

/** A rollout with the models' outputs on it, before advantages. */
export interface ModelOutputs {
  readonly modelScore: number | null;
  readonly logps: Float64Array;
  readonly refLogps: Float64Array;
  readonly values: Float64Array;
}

export interface AdvantageSettings {
  readonly klCoef: number;
  readonly klEstimator: KlEstimator;
  readonly gamma: number;
  readonly lam: number;
  readonly whitenRewards: boolean;
  readonly rewardModelWeight: number;
  readonly missingEosPenalty?: number;
}

/** reward_model_weight × RM score + the reward functions' total (null counts 0), minus the penalty when no EOS. */
export function sequenceScore(rollout: PpoRollout, modelScore: number | null, s: AdvantageSettings): number {
  const penalty = rollout.containsEos ? 0 : (s.missingEosPenalty ?? 0);
  return s.rewardModelWeight * (modelScore ?? 0) + (rollout.ruleScore ?? 0) - penalty;
}

/**
 * The rollout batch's per-token rewards (−kl_coef·KL, score on the last token; optionally whitened), GAE
 * advantages and returns (from the unwhitened advantages), then advantages whitened over all its tokens.
 */
export function scoreRollouts(rollouts: readonly PpoRollout[], outputs: readonly ModelOutputs[], s: AdvantageSettings): ScoredRollout[] {
  const scores = rollouts.map((r, i) => sequenceScore(r, outputs[i]!.modelScore, s));
  const kls = outputs.map((o) => tokenKl(o.logps, o.refLogps, s.klEstimator));
  let rewards = kls.map((kl, i) => tokenRewards(kl, scores[i]!, s.klCoef));
  if (s.whitenRewards) rewards = whiten(rewards, false);
  const estimates = rewards.map((r, i) => gae(r, outputs[i]!.values, s.gamma, s.lam));
  const advantages = whiten(estimates.map((e) => e.advantages));
  return rollouts.map((r, i) => ({ ...r, ...outputs[i]!, score: scores[i]!, kl: kls[i]!, advantages: advantages[i]!, returns: estimates[i]!.returns }));
}

export interface PlanOptions {
  readonly epochs: number;
  /** Rows per micro-batch (per_device_batch_size); a mini-batch is gradient_accumulation_steps of them. */
  readonly microBatchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  /** Which rollout batch this is, so every (batch, epoch) gets its own shuffle. */
  readonly round: number;
}

/** num_ppo_epochs passes over the rollout batch, each in a fresh order, cut into micro-batches of row indices. */
export function trainingPlan(size: number, o: PlanOptions): number[][] {
  const plan: number[][] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = epochOrder(size, { shuffle: o.shuffle, seed: o.seed, epoch: o.round * o.epochs + epoch });
    for (let at = 0; at < size; at += o.microBatchSize) plan.push(Array.from(order.subarray(at, at + o.microBatchSize)));
  }
  return plan;
}
