import { Bool, Describe, NonNegativeNumber, NumberRange, Num, OneOf, Optional, PositiveInt, PositiveNumber, trainOptions, validCounts } from '@aligntune/core';
import type { ConfigIssue, TrainingConfig, UnifiedConfig, UnifiedKeyUse } from '@aligntune/core';

export const KL_ESTIMATORS = ['k1', 'k3'] as const;
export type KlEstimator = (typeof KL_ESTIMATORS)[number];
export const STOP_TOKENS = ['eos', 'none'] as const;
export type StopToken = (typeof STOP_TOKENS)[number];

/**
 * PPO options under `train:` (TRL PPOConfig names and defaults). The seed's unified kl_coef, cliprange,
 * num_ppo_epochs and rollout_batch_size are redeclared here with PPO's defaults: PPO reads them as they are.
 */
export class PpoOptions {
  static readonly unifiedKeys: UnifiedKeyUse = { uses: ['rollouts_from'], rewards: true };

  /** Derives rollout_batch_size / num_mini_batches from each other (TRL's batch identity) and checks them. */
  static checkConfig(config: UnifiedConfig): ConfigIssue[] {
    const o = trainOptions<PpoOptions>(config);
    const issues: ConfigIssue[] = [];
    if (validCounts(o.per_device_batch_size, o.gradient_accumulation_steps, o.num_mini_batches ?? 1, o.rollout_batch_size ?? 1)) {
      const micro = o.per_device_batch_size * o.gradient_accumulation_steps;
      // TRL: batch_size = per_device_train_batch_size × gradient_accumulation_steps × num_mini_batches (default 1)
      o.rollout_batch_size ??= (o.num_mini_batches ?? 1) * micro;
      issues.push(...batchIssues(o, micro));
    }
    if (!o.rollouts_from && !config.model?.reward_path && (config.rewards?.length ?? 0) === 0) {
      issues.push({ path: 'rewards', message: 'ppo needs a reward model (model.reward_path), reward functions (rewards:), or both' });
    }
    return issues;
  }

  @Describe('Prompts (= completions) per rollout batch. Unset (default) = num_mini_batches × gradient_accumulation_steps × per_device_batch_size, num_mini_batches defaulting to 1 (TRL\'s derived batch_size).')
  @Optional()
  @PositiveInt()
  rollout_batch_size?: number;

  @Describe('KL penalty coefficient: per-token reward −kl_coef·KL against the reference. Default 0.05 (TRL).')
  @NonNegativeNumber()
  kl_coef = 0.05;

  @Describe('Ratio clip range of the policy loss. Default 0.2 (TRL).')
  @PositiveNumber()
  cliprange = 0.2;

  @Describe('Optimisation epochs per rollout batch. Default 4 (TRL).')
  @PositiveInt()
  num_ppo_epochs = 4;

  @Describe('New tokens sampled per completion. Default 53 (TRL).')
  @PositiveInt()
  response_length = 53;

  @Describe('Sampling temperature; the log-probs of the policy, the old policy and the reference use logits / temperature too. Default 0.7 (TRL).')
  @PositiveNumber()
  temperature = 0.7;

  @Describe('"eos" (default): a completion ends at its first EOS (kept), the rest is padding. "none": EOS does not stop sampling; every completion is response_length tokens (TRL\'s stop_token: null).')
  @OneOf(STOP_TOKENS)
  stop_token: StopToken = 'eos';

  @Describe('Subtracted from the score of completions that contain no EOS. Unset (default) = no penalty.')
  @Optional()
  @NonNegativeNumber()
  missing_eos_penalty?: number;

  @Describe('Per-token KL estimator in the reward, lr = log π_ref − log π: "k1" (default) −lr, or "k3" (e^lr − 1) − lr.')
  @OneOf(KL_ESTIMATORS)
  kl_estimator: KlEstimator = 'k1';

  @Describe('Clip range of the value prediction around the rollout-time value. Default 0.2 (TRL).')
  @PositiveNumber()
  cliprange_value = 0.2;

  @Describe('Coefficient of the value loss: loss = policy loss + vf_coef × value loss. Default 0.1 (TRL).')
  @NonNegativeNumber()
  vf_coef = 0.1;

  @Describe('Discount factor γ of GAE. Default 1 (TRL).')
  @NumberRange(0, 1)
  gamma = 1;

  @Describe('GAE λ. Default 0.95 (TRL).')
  @NumberRange(0, 1)
  lam = 0.95;

  @Describe('Whiten the per-token rewards over the rollout batch before GAE (mean kept). Default false (TRL).')
  @Bool()
  whiten_rewards = false;

  @Describe('Mini-batches (= optimizer steps) per PPO epoch over a rollout batch; rollout_batch_size = num_mini_batches × gradient_accumulation_steps × per_device_batch_size. Unset (default) = derived from that identity (1 when rollout_batch_size is unset too).')
  @Optional()
  @PositiveInt()
  num_mini_batches?: number;

  @Describe('Weight of the reward model\'s score (model.reward_path) in the score: score = reward_model_weight × RM + Σ weight_k × reward_k over `rewards:`. Default 1.')
  @Num()
  reward_model_weight = 1;

  @Describe('Write a completions table (prompt, completion, rewards, score) to the metric loggers every N steps; 0 = never. Default 0.')
  @NumberRange(0, Number.MAX_SAFE_INTEGER)
  log_completions_steps = 0;

  @Describe('Peak learning rate (policy and value model). Default 3e-6 (TRL PPOConfig).')
  @PositiveNumber()
  learning_rate = 3e-6;
}

/** TRL's batch identity, naming the fields. */
function batchIssues(o: TrainingConfig & PpoOptions, micro: number): ConfigIssue[] {
  const size = o.rollout_batch_size!;
  if (o.num_mini_batches !== undefined && o.num_mini_batches * micro !== size) {
    return [{
      path: 'train.rollout_batch_size',
      message: `must equal num_mini_batches × gradient_accumulation_steps × per_device_batch_size = ${o.num_mini_batches} × ${o.gradient_accumulation_steps} × ${o.per_device_batch_size} (got ${size})`,
    }];
  }
  if (size % micro !== 0) {
    return [{ path: 'train.rollout_batch_size', message: `must be a multiple of gradient_accumulation_steps × per_device_batch_size = ${micro} (got ${size})` }];
  }
  return [];
}
