import { Describe, NonNegativeNumber, Optional, PositiveNumber } from '@aligntune/core/config';
import type { UnifiedKeyUse } from '@aligntune/core/config';

/** Reward-model options under `train:` (TRL RewardConfig names and defaults). */
export class RewardOptions {
  /** A reward model is trained on preference pairs: no policy, reference, clipping or rollouts. */
  static readonly unifiedKeys: UnifiedKeyUse = {
    instead: {
      kl_coef: 'a reward model has no KL penalty; remove it',
      cliprange: 'a reward model has no clipped ratio; remove it',
      num_ppo_epochs: 'use train.epochs or train.max_steps',
      rollout_batch_size: 'reward-model training samples nothing: its batch is train.per_device_batch_size pairs',
      rollouts_from: 'reward-model training samples nothing: preference pairs come from datasets:',
      rewards: 'a reward model learns from the chosen/rejected pairs of the data (use it in PPO as model.reward_path)',
    },
  };

  @Describe('Adds coef · mean((r_chosen + r_rejected)²) to the loss, pulling rewards towards zero mean (Eisenstein et al. 2023, Eq. 2; TRL recommends 0.01). Default: unset (off).')
  @Optional()
  @NonNegativeNumber()
  center_rewards_coefficient?: number | null;

  @Describe('Peak learning rate. Default 1e-4 (TRL RewardConfig).')
  @PositiveNumber()
  learning_rate = 1e-4;
}
