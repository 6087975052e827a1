import { Describe, Optional, Str, StrList } from '@aligntune/core/config';

/** Parameters every built-in task takes. */
export class InstructionParams {
  @Describe('Instruction added to each prompt; "" adds none. Default: the task\'s own.')
  @Optional()
  @Str()
  instruction?: string;
}

export class ClassificationParams extends InstructionParams {
  @Describe('The label set; when given, prompts ask for one of them. Default: none.')
  @Optional()
  @StrList({ minSize: 1 })
  labels?: string[];
}
