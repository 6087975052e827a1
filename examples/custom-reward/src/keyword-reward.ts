import 'reflect-metadata';
import { ArrayNotEmpty, IsArray, IsBoolean, IsNumber, IsString, Max, Min } from 'class-validator';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';

/** Parameters, validated before training starts: `keyword:keywords=[refund,apology]:per_keyword=0.5`. */
export class KeywordParams {
  @IsArray({ message: 'must be a list of words' })
  @ArrayNotEmpty({ message: 'must list at least one word' })
  @IsString({ each: true, message: 'must be a list of words' })
  keywords: string[] = [];

  @IsNumber({}, { message: 'must be a number' })
  @Min(0, { message: 'must be between 0 and 1' })
  @Max(1, { message: 'must be between 0 and 1' })
  per_keyword = 0.25;

  @IsBoolean({ message: 'must be true or false' })
  case_sensitive = false;
}

/**
 * per_keyword for each listed keyword the completion mentions, capped at 1. Samples whose `topic` column is
 * "skip" are not scored (null), to show how a reward reads dataset columns.
 */
@Reward('keyword', { params: KeywordParams, description: 'per_keyword for each keyword mentioned, up to 1' })
export class KeywordReward {
  constructor(@inject(Tokens.Params) private readonly params: KeywordParams) {}

  score(batch: { completions: string[]; columns: Record<string, unknown[]> }): (number | null)[] {
    const fold = (text: string) => (this.params.case_sensitive ? text : text.toLowerCase());
    const keywords = this.params.keywords.map(fold);
    return batch.completions.map((completion, i) => {
      if (batch.columns.topic?.[i] === 'skip') return null;
      const text = fold(completion);
      const hits = keywords.filter((keyword) => text.includes(keyword)).length;
      return Math.min(1, hits * this.params.per_keyword);
    });
  }
}
