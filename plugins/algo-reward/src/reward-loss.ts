import type { Graph, Tensor } from '@aligntune/core/engine';

/** Scalar rewards of the chosen and rejected completions, [pairs] each. */
export interface PairRewards {
  readonly chosen: Tensor;
  readonly rejected: Tensor;
}

export interface RewardLossSettings {
  /** Per-pair margins [pairs] (TRL's optional `margin` column); absent means 0. */
  readonly margin?: Tensor;
  /** TRL's center_rewards_coefficient; unset or 0 adds nothing. */
  readonly centerRewardsCoefficient?: number | null;
}

export interface RewardLossGraph {
  /** Mean over the pairs. */
  readonly loss: Tensor;
  /** TRL's names: accuracy, margin, min_reward, mean_reward, max_reward; plus rewards/chosen, rewards/rejected. */
  readonly metrics: Record<string, Tensor>;
}

/**
 * The Bradley–Terry loss of TRL's RewardTrainer, mean over the pairs:
 *   −log σ(r_chosen − r_rejected − margin)  [+ coef · mean((r_chosen + r_rejected)²)]
 */
export function rewardLoss(g: Graph, rewards: PairRewards, settings: RewardLossSettings = {}): RewardLossGraph {
  const diff = g.sub(rewards.chosen, rewards.rejected);
  const z = settings.margin ? g.sub(diff, settings.margin) : diff;
  const bt = g.neg(g.reduceMean(g.logSigmoid(z)));
  const coef = settings.centerRewardsCoefficient ?? 0;
  const loss = coef === 0 ? bt : g.add(bt, g.mul(centeringPenalty(g, rewards), coef));
  return { loss, metrics: rewardMetrics(g, rewards) };
}

/** mean((r_chosen + r_rejected)²). */
function centeringPenalty(g: Graph, rewards: PairRewards): Tensor {
  const sum = g.add(rewards.chosen, rewards.rejected);
  return g.reduceMean(g.mul(sum, sum));
}

/** TRL's logged metrics; `margin` is the mean reward gap, without the margin column (as TRL logs it). */
function rewardMetrics(g: Graph, rewards: PairRewards): Record<string, Tensor> {
  const chosen = g.stopGradient(rewards.chosen);
  const rejected = g.stopGradient(rewards.rejected);
  const all = g.concat([chosen, rejected], 0);
  return {
    accuracy: g.reduceMean(g.cast(g.greater(chosen, rejected), chosen.dtype)),
    margin: g.reduceMean(g.sub(chosen, rejected)),
    'rewards/chosen': g.reduceMean(chosen),
    'rewards/rejected': g.reduceMean(rejected),
    min_reward: g.reduceMin(all),
    mean_reward: g.reduceMean(all),
    max_reward: g.reduceMax(all),
  };
}
