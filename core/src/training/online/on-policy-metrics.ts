import type { MetricTable } from '../metric-sink.js';
import type { MetricRow } from '../metrics-log.js';
import type { Rollout } from './rollout.js';
import { completionLengthMetrics, completionsTable, rewardFunctionMetrics } from './rollout-metrics.js';

/** A rollout scored the way TRL's OnPolicyConfig trainers score one; per-token arrays cover the completion tokens. */
export interface OnPolicyRollout extends Rollout {
  /** The reward model's score, when there is one. */
  readonly modelScore: number | null;
  /** The sequence score: the reward model's (weighted) + the reward functions' total − the missing-EOS penalty. */
  readonly score: number;
  /** log π_old: the rollout-time policy's log-probs. */
  readonly logps: Float64Array;
  /** The per-token KL estimate against the reference. */
  readonly kl: Float64Array;
}

export interface ScoreSettings {
  /** Weight of the reward model's score (absent: no reward model). */
  readonly rewardModelWeight?: number;
  readonly missingEosPenalty?: number;
}

/** reward_model_weight × RM score + the reward functions' total (null counts 0), minus the penalty when no EOS. */
export function sequenceScore(rollout: Rollout, modelScore: number | null, s: ScoreSettings): number {
  const penalty = rollout.containsEos ? 0 : (s.missingEosPenalty ?? 0);
  return (s.rewardModelWeight ?? 1) * (modelScore ?? 0) + (rollout.total ?? 0) - penalty;
}

/**
 * TRL's per-rollout-batch metrics: objective/kl (mean over completions of Σ_t KL_t), objective/entropy (mean of
 * Σ_t −log π_old, the sampled tokens' surprise), objective/non_score_reward (mean of Σ_t −kl_coef·KL_t),
 * objective/scores, objective/rlhf_reward (their sum), val/num_eos_tokens; plus each reward function's mean and
 * std and the completion lengths (tokens, EOS included).
 */
export function onPolicyMetrics(rollouts: readonly OnPolicyRollout[], klCoef: number, eosTokenId: number): MetricRow {
  const mean = (f: (r: OnPolicyRollout) => number) => rollouts.reduce((s, r) => s + f(r), 0) / rollouts.length;
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
export function onPolicyCompletionsTable(rollouts: readonly OnPolicyRollout[]): MetricTable {
  const withModel = rollouts.some((r) => r.modelScore !== null);
  return completionsTable(rollouts, { ...(withModel ? { reward_model: (r: OnPolicyRollout) => r.modelScore } : {}), score: (r) => r.score });
}
