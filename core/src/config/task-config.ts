import { Examples, Describe, Mapping, NonEmptyStr, NonNegativeNumber } from './field-rules.js';

/** One entry of `tasks:`. As with rewards, extra keys are the task plugin's parameters. */
/** The spec's built-in task ids. */
export const TASK_EXAMPLES = ['conversation', 'classification', 'summarization', 'math', 'code'] as const;

export class TaskConfig {
  @Describe('Task id (conversation, classification, summarization, math, code, or a plugin id) (required).')
  @Examples(TASK_EXAMPLES)
  @NonEmptyStr()
  name!: string;

  @Describe('Task weight in multi-task training. Default 1.')
  @NonNegativeNumber()
  weight = 1;

  @Describe('Task parameters; usually written as extra keys next to name. Default {}.')
  @Mapping()
  params: Record<string, unknown> = {};
}

export const TASK_KEYS = ['name', 'weight', 'params'] as const;
