import { Describe, NonNegativeNumber, Optional, PositiveNumber } from '@aligntune/core';

/** Reward-model options under `train:` (TRL RewardConfig names and defaults). */
export class RewardOptions {
  @Describe('Adds coef · mean((r_chosen + r_rejected)²) to the loss, pulling rewards towards zero mean (Eisenstein et al. 2023, Eq. 2; TRL recommends 0.01). Default: unset (off).')
  @Optional()
  @NonNegativeNumber()
  center_rewards_coefficient?: number | null;

  @Describe('Peak learning rate. Default 1e-4 (TRL RewardConfig).')
  @PositiveNumber()
  learning_rate = 1e-4;
}
