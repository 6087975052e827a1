import { type CanonicalRecord, type Prompt, type TaskDefinition } from '@aligntune/core/data';
import { inject, Task, Tokens } from '@aligntune/core/kernel';
import { withInstruction } from './instruction.js';
import { InstructionParams } from './task-params.js';

export const SUMMARIZE_INSTRUCTION = 'Summarize the following text.';

/** Summarization: the source text follows an instruction; rewarded for coherent, concise summaries. */
@Task('summarization', { params: InstructionParams, description: 'summarization' })
export class SummarizationTask implements TaskDefinition {
  readonly defaultRewards = ['coherence:weight=0.6', 'length:weight=0.4'];
  readonly metrics = ['rouge1', 'rouge2', 'rougeL', 'response_length'];

  constructor(@inject(Tokens.Params) private readonly params: InstructionParams) {}

  formatPrompt(record: CanonicalRecord): Prompt {
    return withInstruction(record.prompt, this.params.instruction ?? SUMMARIZE_INSTRUCTION, 'before');
  }
}
