import { Describe, NumberRange, PositiveInt } from '@aligntune/core/config';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';
import { type RewardBatch } from '@aligntune/core/training';
import { GreaterThan } from './cross-field-rules.js';
import { distinctN, sentences, words } from './text-stats.js';

export class CoherenceParams {
  @Describe('n of the distinct-n repetition measure. Default 2.')
  @PositiveInt()
  n = 2;

  @Describe('Shortest average sentence length (words) that scores fully. Default 5.')
  @PositiveInt()
  min_sentence_words = 5;

  @Describe('Longest average sentence length (words) that scores fully. Default 30.')
  @PositiveInt()
  @GreaterThan('min_sentence_words')
  max_sentence_words = 30;

  @Describe('Weight of the sentence-length score; the repetition score gets 1 minus it. Default 0.5.')
  @NumberRange(0, 1)
  length_weight = 0.5;
}

/**
 * Text statistics as a proxy for coherence, in [0, 1]:
 *   L = words / sentences (average sentence length);
 *   s_len = 1 inside [min_sentence_words, max_sentence_words], L / min below, max(0, 1 − (L − max) / max) above;
 *   s_rep = distinct-n of the words (1 = no repeated n-gram);
 *   coherence = length_weight · s_len + (1 − length_weight) · s_rep, and 0 for a completion without words.
 */
@Reward('coherence', { params: CoherenceParams, description: 'sentence-length and distinct-n repetition statistics in [0, 1]' })
export class CoherenceReward {
  constructor(@inject(Tokens.Params) private readonly params: CoherenceParams) {}

  score({ completions }: RewardBatch): number[] {
    return completions.map((text) => coherenceScore(text, this.params));
  }
}

export function coherenceScore(text: string, params: CoherenceParams): number {
  const tokens = words(text);
  if (tokens.length === 0) return 0;
  const average = tokens.length / Math.max(1, sentences(text).length);
  const lengthScore = sentenceLengthScore(average, params.min_sentence_words, params.max_sentence_words);
  const repetitionScore = distinctN(tokens.map((t) => t.toLowerCase()), params.n);
  return params.length_weight * lengthScore + (1 - params.length_weight) * repetitionScore;
}

export function sentenceLengthScore(average: number, min: number, max: number): number {
  if (average < min) return average / min;
  if (average > max) return Math.max(0, 1 - (average - max) / max);
  return 1;
}
