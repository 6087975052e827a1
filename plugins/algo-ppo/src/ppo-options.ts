import { Bool, Describe, NonNegativeNumber, NumberRange, Num, OneOf, PositiveNumber, trainOptions } from '@aligntune/core/config';
import { OnPolicyOptions } from '@aligntune/core/training';
import { type ConfigIssue, type UnifiedConfig, type UnifiedKeyUse } from '@aligntune/core/config';

export const KL_ESTIMATORS = ['k1', 'k3'] as const;
export type KlEstimator = (typeof KL_ESTIMATORS)[number];

/**
 * PPO options under `train:` (TRL PPOConfig names and defaults): TRL's OnPolicyConfig (rollout batch, epochs,
 * sampling, kl_coef, cliprange) plus the value model, GAE and the reward model's weight.
 */
export class PpoOptions extends OnPolicyOptions {
  static readonly unifiedKeys: UnifiedKeyUse = { uses: ['rollouts_from'], rewards: true };

  /** The batch identity (OnPolicyOptions), and a source of scores. */
  static override checkConfig(config: UnifiedConfig): ConfigIssue[] {
    const o = trainOptions<PpoOptions>(config);
    const issues = OnPolicyOptions.checkConfig(config);
    if (!o.rollouts_from && !config.model?.reward_path && (config.rewards?.length ?? 0) === 0) {
      issues.push({ path: 'rewards', message: 'ppo needs a reward model (model.reward_path), reward functions (rewards:), or both' });
    }
    return issues;
  }

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

  @Describe('Weight of the reward model\'s score (model.reward_path) in the score: score = reward_model_weight × RM + Σ weight_k × reward_k over `rewards:`. Default 1.')
  @Num()
  reward_model_weight = 1;

  @Describe('Peak learning rate (policy and value model). Default 3e-6 (TRL PPOConfig).')
  @PositiveNumber()
  learning_rate = 3e-6;
}
