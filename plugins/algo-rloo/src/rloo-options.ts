import { Bool, Describe, PositiveInt, PositiveNumber, trainOptions, validCounts } from '@aligntune/core/config';
import { OnPolicyOptions } from '@aligntune/core/training';
import { type ConfigIssue, type UnifiedConfig, type UnifiedKeyUse } from '@aligntune/core/config';

/**
 * RLOO options under `train:` (TRL RLOOConfig names and defaults): TRL's OnPolicyConfig (rollout batch, epochs,
 * sampling, kl_coef, cliprange) plus the group size and how the return and the advantage are formed.
 *
 * REINFORCE Leave-One-Out, Ahmadian et al. 2024 (https://huggingface.co/papers/2402.14740), as TRL's RLOOTrainer
 * implements it (REINFORCE as PPO with one sequence-level action, https://huggingface.co/papers/2205.09123):
 *   KL_t = log π_old(y_t) − log π_ref(y_t)                         (k1, rollout-time policy vs the reference)
 *   R_i  = score_i − kl_coef · Σ_t KL_t                             (token_level_kl: Σ_t r_t, r_t = −kl_coef·KL_t,
 *                                                                    score added at the last token: the same sum)
 *   A_i  = R_i − (Σ_{j ∈ group(i)} R_j − R_i) / (k − 1)             (leave-one-out baseline over the k samples)
 *   A    ← (A − mean(A)) / (std(A) + 1e-8)                          (normalize_advantage, over the rollout batch)
 *   ρ_i  = exp(Σ_t log πθ(y_t) − Σ_t log π_old(y_t))                (one ratio per sequence)
 *   L    = mean_i max(−A_i·ρ_i, −A_i·clip(ρ_i, 1 − cliprange, 1 + cliprange))
 */
export class RlooOptions extends OnPolicyOptions {
  static readonly unifiedKeys: UnifiedKeyUse = { uses: ['rollouts_from'], rewards: true };

  /** The batch identity (OnPolicyOptions), whole groups per rollout batch, and a source of scores. */
  static override checkConfig(config: UnifiedConfig): ConfigIssue[] {
    const o = trainOptions<RlooOptions>(config);
    const issues = OnPolicyOptions.checkConfig(config);
    if (validCounts(o.rloo_k) && o.rloo_k < 2) {
      issues.push({ path: 'train.rloo_k', message: `must be at least 2 (got ${o.rloo_k}): the baseline of a sample is the mean of the others` });
    } else if (validCounts(o.rloo_k, o.rollout_batch_size) && (o.rollout_batch_size! * processes(config)) % o.rloo_k !== 0) {
      // the global rollout batch (every rank's, TRL's batch_size) holds whole groups; a group may straddle two ranks
      const of = processes(config) > 1 ? ` × ${processes(config)} processes = ${o.rollout_batch_size! * processes(config)}` : '';
      issues.push({ path: 'train.rollout_batch_size', message: `counts completions and must be a multiple of train.rloo_k (${o.rollout_batch_size}${of} is not a multiple of ${o.rloo_k})` });
    }
    for (const key of ['reward_path', 'value_path'] as const) {
      if (config.model?.[key]) issues.push({ path: `model.${key}`, message: `rloo scores completions with reward functions (rewards:) only; ${key === 'reward_path' ? 'a reward model' : 'a value model'} is not used` });
    }
    if (!o.rollouts_from && (config.rewards?.length ?? 0) === 0) issues.push({ path: 'rewards', message: 'rloo needs at least one reward (or train.rollouts_from)' });
    return issues;
  }

  @Describe('Completions sampled per prompt (k >= 2); each one\'s baseline is the mean return of the other k − 1. rollout_batch_size counts completions and must be divisible by it. Default 2 (TRL).')
  @PositiveInt()
  rloo_k = 2;

  @Describe('Place the KL penalty per token (−kl_coef·KL_t, the score on the last token) instead of once per sequence (score − kl_coef·Σ KL_t); the return, their sum, is the same. Default false (TRL).')
  @Bool()
  token_level_kl = false;

  @Describe('Whiten the advantages over the rollout batch: (A − mean) / (std + 1e-8). Default false (TRL).')
  @Bool()
  normalize_advantage = false;

  @Describe('Peak learning rate. Default 3e-6 (TRL RLOOConfig).')
  @PositiveNumber()
  learning_rate = 3e-6;
}

/** Processes training together (distributed.nodes × gpus_per_node). */
function processes(config: UnifiedConfig): number {
  return config.distributed.nodes * config.distributed.gpus_per_node;
}
