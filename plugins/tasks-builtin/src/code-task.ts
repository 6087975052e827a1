import { type CanonicalRecord, type Prompt, type TaskDefinition } from '@aligntune/core/data';
import { inject, Task, Tokens } from '@aligntune/core/kernel';
import { withInstruction } from './instruction.js';
import { InstructionParams } from './task-params.js';

/** Code generation (CodeAlpaca): prompts as they are unless an instruction is set; rewarded for valid code. */
@Task('code', { params: InstructionParams, description: 'code generation' })
export class CodeTask implements TaskDefinition {
  readonly defaultRewards = ['code:weight=1.0'];
  readonly metrics = ['pass_at_1', 'syntax_valid_rate'];
  /** pass@k over sampled programs and the syntax check alone (the sandboxed code reward, not run). */
  readonly metricRewards = { pass_at_k: 'code', syntax_valid_rate: 'code:execute=false' };

  constructor(@inject(Tokens.Params) private readonly params: InstructionParams) {}

  formatPrompt(record: CanonicalRecord): Prompt {
    return withInstruction(record.prompt, this.params.instruction ?? '', 'before');
  }
}
