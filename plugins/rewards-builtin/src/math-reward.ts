import { Describe, NumberRange, NonNegativeNumber } from '@aligntune/core/config';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';
import { type RewardBatch } from '@aligntune/core/training';
import { answersMatch, extractFinalAnswer, normalizeAnswer, referenceAnswer } from './math-answer.js';

export class MathParams {
  @Describe('Largest absolute difference between two numeric answers that still counts as equal. Default 1e-6.')
  @NonNegativeNumber()
  tolerance = 1e-6;

  @Describe('Reward for a wrong answer given in an explicit form (\\boxed{}, ####, "the answer is"). Default 0.')
  @NumberRange(0, 1)
  format_reward = 0;
}

/**
 * 1 when the completion's final answer equals the reference (`reference` column, else `answer`), else the
 * format credit for an explicitly marked wrong answer, else 0; null for samples without a reference.
 */
@Reward('math', { params: MathParams, description: 'final answer equals the reference (within tolerance)' })
export class MathReward {
  constructor(@inject(Tokens.Params) private readonly params: MathParams) {}

  score({ completions, columns }: RewardBatch): (number | null)[] {
    const references = columns.reference ?? columns.answer ?? [];
    return completions.map((text, i) => {
      const reference = referenceAnswer(references[i]);
      return reference === null ? null : this.scoreOne(text, reference);
    });
  }

  private scoreOne(text: string, reference: string): number {
    const answer = extractFinalAnswer(text);
    if (!answer) return 0;
    if (answersMatch(normalizeAnswer(answer.text), normalizeAnswer(reference), this.params.tolerance)) return 1;
    return answer.source === 'number' ? 0 : this.params.format_reward;
  }
}
