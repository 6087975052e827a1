import { Bool, Describe, PositiveNumber } from '@aligntune/core/config';
import type { UnifiedKeyUse } from '@aligntune/core/config';

/** SFT options under `train:` (TRL SFTConfig names). */
export class SftOptions {
  /** SFT maximises the likelihood of the data: no reference model, KL penalty, clipping or rollouts. */
  static readonly unifiedKeys: UnifiedKeyUse = {
    instead: {
      kl_coef: 'SFT has no KL penalty (no reference model); remove it',
      cliprange: 'SFT has no clipped ratio; remove it',
      num_ppo_epochs: 'SFT makes one pass per epoch over the data: use train.epochs or train.max_steps',
      rollout_batch_size: 'SFT samples nothing: its batch is train.per_device_batch_size',
      rewards: 'SFT trains on the data\'s completions, not on rewards (use grpo or ppo to train on them)',
      rollouts_from: 'SFT trains on the data\'s completions: give the file as a dataset (datasets: - name: FILE)',
    },
  };

  @Describe('Train only on completion tokens (prompt tokens masked). false trains on every token. Default true (TRL).')
  @Bool()
  completion_only_loss = true;

  @Describe(
    'Chat datasets: also train on the assistant turns inside the prompt (every assistant turn of the conversation, located through the chat template), not only the final reply. Applies with completion_only_loss. Default true.',
  )
  @Bool()
  train_all_assistant_turns = true;

  @Describe('Peak learning rate. Default 2e-5 (TRL SFTConfig).')
  @PositiveNumber()
  learning_rate = 2e-5;
}
