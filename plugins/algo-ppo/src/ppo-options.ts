import { Bool, Describe, NonNegativeNumber, NumberRange, Num, OneOf, Optional, PositiveInt, PositiveNumber } from '@aligntune/core';

export const KL_ESTIMATORS = ['k1', 'k3'] as const;
export type KlEstimator = (typeof KL_ESTIMATORS)[number];
export const STOP_TOKENS = ['eos', 'none'] as const;
export type StopToken = (typeof STOP_TOKENS)[number];

/**
 * PPO options under `train:` (TRL PPOConfig names and defaults). TrainingConfig's kl_coef (0.05), cliprange (0.2),
 * num_ppo_epochs (4) and rollout_batch_size (prompts per rollout batch) are PPO's too.
 */
export class PpoOptions {
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

  @Describe('Mini-batches (= optimizer steps) per PPO epoch over a rollout batch; rollout_batch_size = num_mini_batches × gradient_accumulation_steps × per_device_batch_size. Unset (default) = derived from that identity.')
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
