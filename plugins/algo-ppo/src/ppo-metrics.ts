import { completionLengthMetrics, completionsTable, rewardFunctionMetrics, type MetricRow, type MetricTable } from '@aligntune/core';
import type { ScoredRollout } from './ppo-rollout.js';

/**
 * TRL's per-rollout-batch metrics: objective/kl (mean over completions of Σ_t KL_t), objective/entropy (mean of
 * Σ_t −log π_old, the sampled tokens' surprise), objective/non_score_reward (mean of Σ_t −kl_coef·KL_t),
 * objective/scores, objective/rlhf_reward (their sum), val/num_eos_tokens; plus each reward function's mean and
 * std and the completion lengths (tokens, EOS included).
 */
export function ppoRolloutMetrics(rollouts: readonly ScoredRollout[], klCoef: number, eosTokenId: number): MetricRow {
  const mean = (f: (r: ScoredRollout) => number) => rollouts.reduce((s, r) => s + f(r), 0) / rollouts.length;
  const sum = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0);
  const kl = mean((r) => sum(r.kl));
  const scores = mean((r) => r.score);
  const metrics: MetricRow = {
    'objective/kl': kl,
    'objective/entropy': mean((r) => -sum(r.logps)),
    'objective/non_score_reward': -klCoef * kl,
    'objective/rlhf_reward': scores - klCoef * kl,
    'objective/scores': scores,
    'val/num_eos_tokens': rollouts.reduce((s, r) => s + r.completionIds.filter((id) => id === eosTokenId).length, 0),
  };
  if (rollouts.some((r) => r.modelScore !== null)) metrics['objective/reward_model_scores'] = mean((r) => r.modelScore ?? 0);
  return { ...metrics, ...rewardFunctionMetrics(rollouts), ...completionLengthMetrics(rollouts) };
}

/** The completions table: prompt, completion, one `rewards/<name>` column per reward function, reward_model, score. */
export function ppoCompletionsTable(rollouts: readonly ScoredRollout[]): MetricTable {
  const withModel = rollouts.some((r) => r.modelScore !== null);
  return completionsTable(rollouts, { ...(withModel ? { reward_model: (r: ScoredRollout) => r.modelScore } : {}), score: (r) => r.score });
}
