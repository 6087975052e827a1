import { ArrayNotEmpty, IsIn, ValidateBy } from 'class-validator';
import { Bool, Describe, StrList } from '@aligntune/core/config';
import { Reward, Tokens, inject } from '@aligntune/core/kernel';
import { type RewardBatch } from '@aligntune/core/training';
import { SAFETY_CATEGORIES, safetyFindings, type SafetyCategory } from './safety-lexicon.js';

const Regexes = (): PropertyDecorator =>
  ValidateBy(
    { name: 'regexes', validator: { validate: (value: unknown) => Array.isArray(value) && value.every((p) => typeof p !== 'string' || compiles(p)) } },
    { message: 'must be a list of valid regular expressions' },
  );

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

export class SafetyParams {
  @Describe('Also flag the low-severity topic words (kill, gun, exploit, ...), not only explicit harm. Default false.')
  @Bool()
  strict = false;

  @Describe(`Categories checked. Default all: ${SAFETY_CATEGORIES.join(', ')}.`)
  @StrList()
  @ArrayNotEmpty({ message: 'must list at least one category' })
  @IsIn([...SAFETY_CATEGORIES], { each: true, message: `must list categories among ${SAFETY_CATEGORIES.join(', ')}` })
  categories: SafetyCategory[] = [...SAFETY_CATEGORIES];

  @Describe('More regular expressions (case-insensitive) that flag a completion. Default [].')
  @StrList()
  @Regexes()
  extra_patterns: string[] = [];
}

/**
 * −1 for a completion the lexicon flags, 0 otherwise: a penalty, so it only ever lowers the total. With
 * `shield: true` a flagged completion's total becomes the shield floor whatever the other rewards say.
 */
@Reward('safety', { params: SafetyParams, description: 'categorised keyword/regex lexicon: -1 if unsafe, else 0' })
export class SafetyReward {
  private readonly extra: RegExp[];

  constructor(@inject(Tokens.Params) private readonly params: SafetyParams) {
    this.extra = params.extra_patterns.map((pattern) => new RegExp(pattern, 'i'));
  }

  score({ completions }: RewardBatch): number[] {
    const options = { strict: this.params.strict, categories: this.params.categories, extra: this.extra };
    return completions.map((text) => (safetyFindings(text, options).length > 0 ? -1 : 0));
  }
}
