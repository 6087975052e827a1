import { Bool, Describe, NumberRange, OneOf, PositiveNumber } from '@aligntune/core/config';
import type { UnifiedKeyUse } from '@aligntune/core/config';

export const DPO_LOSS_TYPES = ['sigmoid', 'hinge', 'ipo', 'robust'] as const;
export type DpoLossType = (typeof DPO_LOSS_TYPES)[number];

/** DPO options under `train:` (TRL DPOConfig names and defaults). */
export class DpoOptions {
  /** DPO learns from preference pairs offline: no rollouts, no clipped ratio; its KL strength is β. */
  static readonly unifiedKeys: UnifiedKeyUse = {
    instead: {
      kl_coef: 'DPO\'s strength of the implicit KL constraint is train.beta (TRL DPOConfig)',
      cliprange: 'DPO has no clipped ratio; remove it',
      num_ppo_epochs: 'DPO makes one pass per epoch over the pairs: use train.epochs or train.max_steps',
      rollout_batch_size: 'DPO samples nothing: its batch is train.per_device_batch_size pairs',
      rollouts_from: 'DPO samples nothing: preference pairs come from datasets:',
      rewards: 'DPO learns from the chosen/rejected pairs of the data, not from reward functions (use grpo or ppo to train on them)',
    },
  };

  /** The evaluator's implicit reward (ImplicitRewardSource): DPO's is β·(log πθ − log π_ref) with the run's β. */
  static implicitRewardScale(train: Readonly<Record<string, unknown>>): number {
    return typeof train.beta === 'number' ? train.beta : new DpoOptions().beta;
  }

  @Describe('Temperature β of the implicit reward β·(log πθ − log π_ref). Default 0.1 (TRL).')
  @PositiveNumber()
  beta = 0.1;

  @Describe('Loss: "sigmoid" (default, DPO), "hinge" (SLiC), "ipo" (length-normalised IPO) or "robust" (rDPO).')
  @OneOf(DPO_LOSS_TYPES)
  loss_type: DpoLossType = 'sigmoid';

  @Describe('Label noise ε for sigmoid (cDPO) and robust (rDPO), 0 <= ε < 0.5. Default 0.')
  @NumberRange(0, 0.5, { maxExclusive: true })
  label_smoothing = 0;

  @Describe('Compute the reference log-probs once before training (stored in the dataset cache) instead of running the reference model every step. Default false.')
  @Bool()
  precompute_ref_log_probs = false;

  @Describe('Peak learning rate. Default 1e-6 (TRL DPOConfig).')
  @PositiveNumber()
  learning_rate = 1e-6;
}
