import { Examples, Bool, Describe, Mapping, NonEmptyStr, NonNegativeNumber, Optional, PositiveNumber } from './field-rules.js';

/**
 * One entry of `rewards:`. Keys other than these are the reward's parameters: they are collected into
 * `params` and validated against the reward plugin's params class.
 */
export class RewardConfig {
  @Describe('Reward id (length, sentiment, coherence, math, code, safety, or a plugin id) (required).')
  @Examples(['length', 'sentiment', 'coherence', 'math', 'code', 'safety'])
  @NonEmptyStr()
  type!: string;

  @Describe('Weight in the weighted sum of rewards. Default 1.')
  @NonNegativeNumber()
  weight = 1;

  @Describe('Shield: when this reward\'s raw value is below 0 (it flags the sample), the sample\'s total reward is set to the floor (-1) whatever the other rewards say. Default false.')
  @Bool()
  shield = false;

  @Describe('Clip this reward to [-clip, clip]; unset = no clipping.')
  @Optional()
  @PositiveNumber()
  clip?: number;

  @Describe('Normalise this reward to zero mean / unit variance with running statistics over every value seen so far (after clipping). Default false.')
  @Bool()
  normalize = false;

  @Describe('Reward parameters; usually written as extra keys next to type. Default {}.')
  @Mapping()
  params: Record<string, unknown> = {};
}

/** The RewardConfig keys that are not parameters. */
export const REWARD_KEYS = ['type', 'weight', 'shield', 'clip', 'normalize', 'params'] as const;
