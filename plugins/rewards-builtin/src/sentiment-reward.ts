import { ValidateBy } from 'class-validator';
import { Describe, Mapping, OneOf, Optional, Reward, Tokens, inject, type RewardBatch } from '@aligntune/core';
import { isNegator, SENTIMENT_LEXICON } from './sentiment-lexicon.js';

/** Classifier checkpoints need the models layer's sequence-classification heads, which do not exist yet. */
const NotSupportedYet = (): PropertyDecorator =>
  ValidateBy(
    { name: 'notSupportedYet', validator: { validate: (value: unknown) => value === undefined } },
    { message: 'classifier models (a Hugging Face sequence-classification checkpoint) are not supported yet; remove model= to use the built-in lexicon' },
  );

const Valences = (): PropertyDecorator =>
  ValidateBy(
    {
      name: 'valences',
      validator: { validate: (value: unknown) => typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'number' && v >= -5 && v <= 5) },
    },
    { message: 'must map words to valences in [-5, 5]' },
  );

export class SentimentParams {
  @Describe('Which sentiment earns the reward: positive or negative. Default positive.')
  @OneOf(['positive', 'negative'])
  target: 'positive' | 'negative' = 'positive';

  @Describe('More words and their valences in [-5, 5], added to (or overriding) the lexicon. Default {}.')
  @Mapping()
  @Valences()
  extra_words: Record<string, number> = {};

  @Describe('A sequence-classification checkpoint to score with: not supported yet.')
  @Optional()
  @NotSupportedYet()
  model?: string;
}

/**
 * Lexicon sentiment: the mean valence of the completion's lexicon words, divided by 5, in [−1, 1]
 * (a word's valence is negated when one of the two words before it is a negator); 0 without lexicon words.
 * With target=negative the sign flips.
 */
@Reward('sentiment', { params: SentimentParams, description: 'lexicon sentiment in [-1, 1] (mean valence / 5)' })
export class SentimentReward {
  private readonly lexicon: Record<string, number>;

  constructor(@inject(Tokens.Params) private readonly params: SentimentParams) {
    this.lexicon = { ...SENTIMENT_LEXICON, ...lowerKeys(params.extra_words) };
  }

  score({ completions }: RewardBatch): number[] {
    const sign = this.params.target === 'negative' ? -1 : 1;
    // `+ 0` turns the −0 of a flipped neutral text into 0, so outputs compare and print cleanly.
    return completions.map((text) => sign * sentimentScore(text, this.lexicon) + 0);
  }
}

export function sentimentScore(text: string, lexicon: Readonly<Record<string, number>> = SENTIMENT_LEXICON): number {
  const tokens = text.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) ?? [];
  let sum = 0;
  let matched = 0;
  tokens.forEach((token, i) => {
    const valence = Object.hasOwn(lexicon, token) ? lexicon[token]! : undefined;
    if (valence === undefined) return;
    const negated = tokens.slice(Math.max(0, i - 2), i).some(isNegator);
    sum += negated ? -valence : valence;
    matched += 1;
  });
  return matched === 0 ? 0 : sum / (5 * matched);
}

function lowerKeys(words: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(words).map(([word, valence]) => [word.toLowerCase(), valence]));
}
