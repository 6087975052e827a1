import { type CanonicalRecord, type Prompt, type TaskDefinition } from '@aligntune/core/data';
import { inject, Task, Tokens } from '@aligntune/core/kernel';
import { withInstruction } from './instruction.js';
import { InstructionParams } from './task-params.js';

/** Asks for gsm8k's answer format, which the qa adapter's reference and the math reward both expect. */
export const MATH_INSTRUCTION = 'Solve the problem step by step, then give the final answer on the last line after "####".';

/** Math word problems (gsm8k): rewarded for a final answer equal to the reference. */
@Task('math', { params: InstructionParams, description: 'mathematical reasoning (reference = final answer)' })
export class MathTask implements TaskDefinition {
  readonly defaultRewards = ['math:weight=1.0'];
  readonly metrics = ['accuracy', 'response_length'];
  readonly metricRewards = { accuracy: 'math' };

  constructor(@inject(Tokens.Params) private readonly params: InstructionParams) {}

  formatPrompt(record: CanonicalRecord): Prompt {
    return withInstruction(record.prompt, this.params.instruction ?? MATH_INSTRUCTION, 'after');
  }
}
