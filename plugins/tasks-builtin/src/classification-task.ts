import { type CanonicalRecord, type Prompt, type TaskDefinition } from '@aligntune/core/data';
import { inject, Task, Tokens } from '@aligntune/core/kernel';
import { withInstruction } from './instruction.js';
import { ClassificationParams } from './task-params.js';

/** Text classification: the reference is the label; with `labels`, prompts list the choices. */
@Task('classification', { params: ClassificationParams, description: 'text classification (reference = label)' })
export class ClassificationTask implements TaskDefinition {
  readonly defaultRewards = ['exact_match:weight=1.0'];
  readonly metrics = ['accuracy', 'macro_f1'];
  readonly metricRewards = { accuracy: 'exact_match' };

  constructor(@inject(Tokens.Params) private readonly params: ClassificationParams) {}

  formatPrompt(record: CanonicalRecord): Prompt {
    const labels = this.params.labels;
    const fallback = labels?.length ? `Answer with one of: ${labels.join(', ')}.` : '';
    return withInstruction(record.prompt, this.params.instruction ?? fallback, 'after');
  }
}
