import { Describe, NonNegativeInt, Optional, PositiveInt } from '@aligntune/core/config';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';
import { type RewardBatch } from '@aligntune/core/training';
import { GreaterThan, SameAs } from './cross-field-rules.js';
import { words } from './text-stats.js';

export class LengthParams {
  @Describe('Range mode: word count where the reward starts (it is 0 here). Default 0.')
  @NonNegativeInt()
  min_length = 0;

  @Describe('Range mode: word count where the reward reaches 1; longer completions get 0. Default 200.')
  @PositiveInt()
  @GreaterThan('min_length')
  max_length = 200;

  @Describe('Target mode (when set): 1 - |w - target| / max(target, 100).')
  @Optional()
  @PositiveInt()
  target?: number;

  @Describe('The seed\'s name for target; set one of them.')
  @Optional()
  @PositiveInt()
  @SameAs('target')
  target_length?: number;
}

/** Word-count reward; formulas in docs/rewards.md. */
@Reward('length', { params: LengthParams, description: 'word count within [min_length, max_length], or near a target' })
export class LengthReward {
  constructor(@inject(Tokens.Params) private readonly params: LengthParams) {}

  score({ completions }: RewardBatch): number[] {
    return completions.map((text) => lengthScore(words(text).length, this.params));
  }
}

export function lengthScore(w: number, params: LengthParams): number {
  const { min_length: min, max_length: max } = params;
  const target = params.target ?? params.target_length;
  if (target != null) return 1 - Math.abs(w - target) / Math.max(target, 100);
  return w >= min && w <= max ? (w - min) / (max - min) : 0;
}
