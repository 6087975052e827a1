import { type CanonicalRecord, type Prompt, type TaskDefinition } from '@aligntune/core/data';
import { inject, Task, Tokens } from '@aligntune/core/kernel';
import { withInstruction } from './instruction.js';
import { InstructionParams } from './task-params.js';

/** Open-ended dialogue (hh-rlhf, ultrafeedback): prompts as they are, rewarded for helpful, safe answers. */
@Task('conversation', { params: InstructionParams, description: 'conversational assistant' })
export class ConversationTask implements TaskDefinition {
  readonly defaultRewards = ['coherence:weight=0.4', 'safety:weight=0.4', 'length:weight=0.2'];
  readonly metrics = ['reward_mean', 'response_length', 'kl'];

  constructor(@inject(Tokens.Params) private readonly params: InstructionParams) {}

  formatPrompt(record: CanonicalRecord): Prompt {
    return withInstruction(record.prompt, this.params.instruction ?? '', 'before');
  }
}
