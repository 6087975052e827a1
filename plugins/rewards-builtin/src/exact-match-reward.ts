import { Bool, Describe } from '@aligntune/core/config';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';
import { type RewardBatch } from '@aligntune/core/training';

export class ExactMatchParams {
  @Describe('Compare case-sensitively. Default false.')
  @Bool()
  case_sensitive = false;
}

/**
 * 1 when the completion, trimmed and with inner whitespace collapsed, equals the reference (`reference`
 * column, else `label`, else `answer`), else 0; null for samples without a reference. The classification
 * task's default reward.
 */
@Reward('exact_match', { params: ExactMatchParams, description: 'completion equals the reference label' })
export class ExactMatchReward {
  constructor(@inject(Tokens.Params) private readonly params: ExactMatchParams) {}

  score({ completions, columns }: RewardBatch): (number | null)[] {
    const references = columns.reference ?? columns.label ?? columns.answer ?? [];
    return completions.map((text, i) => {
      const reference = references[i];
      if (reference === undefined || reference === null || String(reference).trim() === '') return null;
      return this.normalize(text) === this.normalize(String(reference)) ? 1 : 0;
    });
  }

  private normalize(text: string): string {
    const collapsed = text.trim().replace(/\s+/g, ' ');
    return this.params.case_sensitive ? collapsed : collapsed.toLowerCase();
  }
}
