import { Describe, PositiveInt } from '@aligntune/core/config';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';
import { type RewardBatch } from '@aligntune/core/training';
import { GreaterThan } from './cross-field-rules.js';

export class OverlongParams {
  @Describe('L_max: the longest completion, in tokens; beyond it the reward is -1. Default 4096.')
  @PositiveInt()
  @GreaterThan('cache_length')
  max_length = 4096;

  @Describe('L_cache: the soft zone before L_max where the penalty grows linearly to -1. Default 1024.')
  @PositiveInt()
  cache_length = 1024;
}

/**
 * DAPO's soft overlong punishment (Yu et al., 2025, eq. 13), on |y| = the completion's token count:
 * 0 up to L_max − L_cache, then ((L_max − L_cache) − |y|) / L_cache down to −1 at L_max, and −1 beyond.
 * Without `completionIds` the length in tokens is unknown and the reward does not apply (null).
 */
@Reward('overlong', { params: OverlongParams, description: "DAPO's soft overlong punishment on completion tokens" })
export class OverlongReward {
  constructor(@inject(Tokens.Params) private readonly params: OverlongParams) {}

  score({ completions, completionIds }: RewardBatch): (number | null)[] {
    return completions.map((_, i) => {
      const ids = completionIds?.[i];
      return ids ? overlongPenalty(ids.length, this.params) : null;
    });
  }
}

export function overlongPenalty(tokens: number, { max_length: max, cache_length: cache }: OverlongParams): number {
  const soft = max - cache;
  if (tokens <= soft) return 0;
  if (tokens <= max) return (soft - tokens) / cache;
  return -1;
}
