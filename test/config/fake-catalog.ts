import 'reflect-metadata';
import { IsIn, IsNumber, IsOptional, Max, Min } from 'class-validator';
import type { ContributionCatalog, ContributionMetadata, ExtensionKind } from '@aligntune/core';
import { Bool, ConfigValidationError, NonNegativeInt, NonNegativeNumber, OneOf, PositiveNumber } from '@aligntune/core';

/** A DPO-like algorithm options class; it also redeclares learning_rate to change its default. */
export class FakeDpoOptions {
  @PositiveNumber()
  beta = 0.1;

  @OneOf(['sigmoid', 'hinge', 'ipo'])
  loss_type = 'sigmoid';

  @PositiveNumber()
  learning_rate = 1e-6;
}

/** A GRPO-like options class: trains on rewards, reads the seed's kl_coef / cliprange as beta / epsilon. */
export class FakeGrpoOptions {
  static readonly unifiedKeys = { rewards: true, renames: { kl_coef: 'beta', cliprange: 'epsilon' } } as const;

  @NonNegativeNumber()
  beta = 0;

  @NonNegativeNumber()
  epsilon = 0.2;
}

/** Plain class-validator decorators work too (a plugin need not use the config helpers). */
export class FakeLengthParams {
  @IsOptional()
  @NonNegativeInt()
  min_length?: number;

  @IsOptional()
  @NonNegativeInt()
  max_length?: number;
}

export class FakeMathParams {
  @IsNumber({}, { message: 'must be a number' })
  @Min(0, { message: 'must be >= 0' })
  @Max(1, { message: 'must be <= 1' })
  tolerance = 1e-6;
}

export class FakeSafetyParams {
  @Bool()
  strict = false;

  @IsIn(['low', 'high'], { message: 'must be "low" or "high"' })
  @IsOptional()
  level?: string;
}

type Entry = Omit<ContributionMetadata, 'kind' | 'ids'>;

/** The spec's built-in ids, plus whatever a test adds. */
export function fakeCatalog(extra: Partial<Record<ExtensionKind, Record<string, Entry>>> = {}): ContributionCatalog {
  const contributions: Partial<Record<ExtensionKind, Record<string, Entry>>> = {
    reward: {
      length: { params: FakeLengthParams },
      math: { params: FakeMathParams },
      safety: { params: FakeSafetyParams },
      code: {},
      sentiment: {},
      coherence: {},
    },
    task: { conversation: {}, classification: {}, summarization: {}, math: {}, code: {} },
    'dataset-loader': { huggingface: {}, local: {} },
    'schema-adapter': { chat: {}, 'hh-rlhf': {}, ultrafeedback: {}, alpaca: {} },
    'metric-logger': { tensorboard: {} },
    'distributed-backend': { single: {} },
  };
  for (const [kind, entries] of Object.entries(extra)) {
    contributions[kind as ExtensionKind] = { ...contributions[kind as ExtensionKind], ...entries };
  }
  return {
    ids: (kind) => Object.keys(contributions[kind] ?? {}),
    metadata: (kind, id) => {
      const entry = contributions[kind]?.[id];
      return entry ? { kind, ids: [id], ...entry } : undefined;
    },
  };
}

/** With the fake DPO and GRPO algorithm plugins installed. */
export const catalogWithDpo = () => fakeCatalog({ algorithm: { dpo: { options: FakeDpoOptions }, grpo: { options: FakeGrpoOptions }, sft: {} } });

/** The smallest valid config. */
export function minimal(): Record<string, unknown> {
  return { algo: 'dpo', model: { name_or_path: 'gpt2' }, datasets: [{ name: 'Anthropic/hh-rlhf' }], train: { max_steps: 10 } };
}

/** Runs fn, expecting a ConfigValidationError; returns it. */
export function configError(fn: () => unknown): ConfigValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

/** The issues of a config error as "path: message" lines. */
export function issueLines(fn: () => unknown): string[] {
  return configError(fn).issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
}
