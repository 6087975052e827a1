import { sequenceScore, type Rollout } from '@aligntune/core/training';
import { gae, tokenKl, tokenRewards, whiten } from './advantages.js';
import type { KlEstimator } from './ppo-options.js';
import type { ScoredRollout } from './ppo-rollout.js';

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

/**
 * The rollout batch's per-token rewards (−kl_coef·KL, score on the last token; optionally whitened), GAE
 * advantages and returns (from the unwhitened advantages), then advantages whitened over all its tokens.
 */
export function scoreRollouts(rollouts: readonly Rollout[], outputs: readonly ModelOutputs[], s: AdvantageSettings): ScoredRollout[] {
  const scores = rollouts.map((r, i) => sequenceScore(r, outputs[i]!.modelScore, s));
  const kls = outputs.map((o) => tokenKl(o.logps, o.refLogps, s.klEstimator));
  let rewards = kls.map((kl, i) => tokenRewards(kl, scores[i]!, s.klCoef));
  if (s.whitenRewards) rewards = whiten(rewards, false);
  const estimates = rewards.map((r, i) => gae(r, outputs[i]!.values, s.gamma, s.lam));
  const advantages = whiten(estimates.map((e) => e.advantages));
  return rollouts.map((r, i) => ({ ...r, ...outputs[i]!, score: scores[i]!, kl: kls[i]!, advantages: advantages[i]!, returns: estimates[i]!.returns }));
}
