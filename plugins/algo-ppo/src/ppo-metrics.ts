import { promptText, type MetricRow, type MetricTable } from '@aligntune/core';
import type { ScoredRollout } from './ppo-rollout.js';

/**
 * TRL's per-rollout-batch metrics: objective/kl (mean over completions of Σ_t KL_t), objective/entropy (mean of
 * Σ_t −log π_old, the sampled tokens' surprise), objective/non_score_reward (mean of Σ_t −kl_coef·KL_t),
 * objective/scores, objective/rlhf_reward (their sum), val/num_eos_tokens; plus each reward function's mean and
 * the completion length (tokens, EOS included).
 */
export function rolloutMetrics(rollouts: readonly ScoredRollout[], klCoef: number, eosTokenId: number): MetricRow {
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
    'completions/mean_length': mean((r) => r.completionIds.length),
  };
  if (rollouts.some((r) => r.modelScore !== null)) metrics['objective/reward_model_scores'] = mean((r) => r.modelScore ?? 0);
  for (const name of new Set(rollouts.flatMap((r) => Object.keys(r.rewards)))) {
    const values = rollouts.map((r) => r.rewards[name]).filter((v): v is number => typeof v === 'number');
    if (values.length) metrics[`rewards/${name}/mean`] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  return metrics;
}

/** The completions table: prompt, completion, one `rewards/<name>` column per reward function, reward_model, score. */
export function completionsTable(rollouts: readonly ScoredRollout[]): MetricTable {
  const names = [...new Set(rollouts.flatMap((r) => Object.keys(r.rewards)))];
  const withModel = rollouts.some((r) => r.modelScore !== null);
  return {
    columns: ['prompt', 'completion', ...names.map((n) => `rewards/${n}`), ...(withModel ? ['reward_model'] : []), 'score'],
    rows: rollouts.map((r) => [promptText(r.prompt), r.completion, ...names.map((n) => r.rewards[n] ?? null), ...(withModel ? [r.modelScore] : []), r.score]),
  };
}
