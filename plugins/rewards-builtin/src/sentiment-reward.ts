import { existsSync } from 'node:fs';
import { ValidateBy, type ValidationArguments } from 'class-validator';
import { Kernel, Reward, Tokens, inject } from '@aligntune/core/kernel';
import { Describe, Mapping, NonEmptyStr, OneOf, Optional, PositiveInt } from '@aligntune/core/config';
import { resolveModelDir } from '@aligntune/core/data';
import { type ComputeRequest, type RewardBatch } from '@aligntune/core/training';
import { looksLikePath, positiveLabel, readClassifierHead } from './classifier-checkpoint.js';
import { SentimentClassifier } from './sentiment-classifier.js';
import { isNegator, SENTIMENT_LEXICON } from './sentiment-lexicon.js';

/**
 * What is wrong with `model=` (and `label=`), checked at validation so the error names `rewards.N.model`:
 * a local directory must be a classification checkpoint; a path that does not exist is an error;
 * anything else is a Hub id, checked when it is downloaded on first score.
 */
function checkpointProblem(model: unknown, params: Partial<SentimentParams>): string | undefined {
  if (typeof model !== 'string' || model === '') return undefined; // NonEmptyStr reports it
  if (!existsSync(model)) return looksLikePath(model) ? `${model}: no such model directory` : undefined;
  try {
    positiveLabel(readClassifierHead(model), params.label);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const ClassifierCheckpoint = (): PropertyDecorator =>
  ValidateBy(
    { name: 'classifierCheckpoint', validator: { validate: (value: unknown, args?: ValidationArguments) => checkpointProblem(value, args?.object as SentimentParams) === undefined } },
    { message: (args: ValidationArguments) => checkpointProblem(args.value, args.object as SentimentParams) ?? 'invalid' },
  );

/** A label name, or its id: spec strings and YAML both turn `label=1` into a number. */
const LabelValue = (): PropertyDecorator =>
  ValidateBy(
    { name: 'labelValue', validator: { validate: (v: unknown) => (typeof v === 'string' && v !== '') || (Number.isInteger(v) && (v as number) >= 0) } },
    { message: 'must be a label name or id' },
  );

/** Params that mean something only with (or only without) a classifier, so a stray one is not silently ignored. */
const WithModel = (wanted: boolean, message: string): PropertyDecorator =>
  ValidateBy(
    {
      name: 'withModel',
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => {
          const given = value !== undefined && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0);
          return !given || ((args?.object as SentimentParams | undefined)?.model !== undefined) === wanted;
        },
      },
    },
    { message },
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
  @WithModel(false, 'applies to the lexicon only; remove it or model=')
  extra_words: Record<string, number> = {};

  @Describe('A Hugging Face sequence-classification checkpoint (directory or Hub id) to score with instead of the lexicon.')
  @Optional()
  @NonEmptyStr()
  @ClassifierCheckpoint()
  model?: string;

  @Describe("With model=: the label whose probability is the reward (name or id). Default: the one label matching /pos/i.")
  @Optional()
  @LabelValue()
  @WithModel(true, 'needs model= (a classifier checkpoint)')
  label?: string | number;

  @Describe('With model=: completions per forward pass. Default 16.')
  @PositiveInt()
  batch_size = 16;

  @Describe("With model=: tokens kept per completion (its start), capped at the model's max_position_embeddings. Default 512.")
  @PositiveInt()
  max_length = 512;
}

/**
 * Lexicon sentiment: the mean valence of the completion's lexicon words, divided by 5, in [−1, 1]
 * (a word's valence is negated when one of the two words before it is a negator); 0 without lexicon words.
 * With model=, a sequence-classification checkpoint scores instead (its raw score, or 2p − 1 for the positive
 * label's probability p; docs/rewards.md). With target=negative the sign flips.
 */
@Reward('sentiment', { params: SentimentParams, description: 'lexicon sentiment in [-1, 1] (mean valence / 5), or a classifier checkpoint (model=)' })
export class SentimentReward {
  private readonly lexicon: Record<string, number>;
  /** Loaded and compiled on first score (a config check or `--help` should not pay for it), then reused. */
  private classifier?: Promise<SentimentClassifier>;

  constructor(
    @inject(Tokens.Params) private readonly params: SentimentParams,
    @inject(Tokens.Kernel) private readonly kernel: Kernel,
    @inject(Tokens.Config) private readonly config: unknown,
  ) {
    this.lexicon = { ...SENTIMENT_LEXICON, ...lowerKeys(params.extra_words ?? {}) };
  }

  score({ completions }: RewardBatch): number[] | Promise<(number | null)[]> {
    const sign = this.params.target === 'negative' ? -1 : 1;
    // `+ 0` turns the −0 of a flipped neutral text into 0, so outputs compare and print cleanly.
    if (this.params.model === undefined) return completions.map((text) => sign * sentimentScore(text, this.lexicon) + 0);
    return this.scoreWithModel(completions, sign);
  }

  /** Releases the compiled graph and the backend (a no-op for the lexicon). */
  async dispose(): Promise<void> {
    const classifier = await this.classifier?.catch(() => undefined);
    await classifier?.dispose();
  }

  private async scoreWithModel(completions: readonly string[], sign: number): Promise<(number | null)[]> {
    this.classifier ??= this.loadClassifier(this.params.model!);
    const values = await (await this.classifier).score(completions);
    return values.map((v) => (v === null ? null : sign * v + 0));
  }

  private async loadClassifier(model: string): Promise<SentimentClassifier> {
    try {
      const dir = await resolveModelDir(model);
      const { label, batch_size: batchSize = 16, max_length: maxLength = 512 } = this.params;
      const compute = (this.config as { compute?: ComputeRequest } | null)?.compute;
      return await SentimentClassifier.load(this.kernel, { dir, label, batchSize, maxLength, compute });
    } catch (err) {
      throw new Error(`${this.fieldPath()}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * `rewards.N.model` for errors found only at load time (a Hub id's checkpoint, a missing architecture
   * plugin). N is this reward's entry in the run's config, found by its params object, which the
   * aggregator passes through unchanged; without a config (scripts, `reward score`) the model is named.
   */
  private fieldPath(): string {
    const rewards = (this.config as { rewards?: unknown } | null)?.rewards;
    const index = Array.isArray(rewards) ? rewards.findIndex((entry) => (entry as { params?: unknown } | null)?.params === this.params) : -1;
    return index >= 0 ? `rewards.${index}.model` : `sentiment model=${this.params.model}`;
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
