import { Bool, Describe, PositiveNumber } from '@aligntune/core';

/** SFT options under `train:` (TRL SFTConfig names). */
export class SftOptions {
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
