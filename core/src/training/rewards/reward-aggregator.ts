import type { RewardConfig } from '../../config/reward-config.js';
import type { Kernel } from '../../kernel/kernel.js';
import { RunningStats } from './running-stats.js';
import { rewardPoint, type RewardBatch, type RewardFunction, type RewardValues } from './reward-function.js';

/** A `rewards:` entry; what validateConfig produces. Only `type` is needed, the rest have RewardConfig's defaults. */
export type RewardEntry = Pick<RewardConfig, 'type'> & Partial<Omit<RewardConfig, 'type'>>;

export interface RewardAggregatorOptions {
  /** The total given to a sample that a shield reward flags (raw value < 0). Default -1. */
  shieldFloor?: number;
  /** The run's config, bound to `Tokens.Config` for each reward. */
  config?: unknown;
}

/** One batch's rewards: the totals and every reward's values, for the loss and for metrics. */
export interface RewardScores {
  /** Σ_k weight_k · shaped_k over the rewards that apply; null when none applies; the floor when shielded. */
  total: (number | null)[];
  /** Each reward's values as it returned them, by name (`math`, or `length_2` for a second `length`). */
  raw: Record<string, RewardValues>;
  /** After clip and normalisation, before the weight. */
  shaped: Record<string, RewardValues>;
  /** Samples a shield reward flagged. */
  shielded: boolean[];
}

interface Term {
  name: string;
  weight: number;
  shield: boolean;
  clip?: number;
  stats?: RunningStats;
  fn: RewardFunction;
}

/**
 * Combines the configured rewards into one scalar per sample, as TRL's `reward_weights` do:
 * total = Σ_k w_k · r̃_k, where r̃_k is reward k clipped to [-clip, clip] (if `clip` is set) and then, with
 * `normalize`, standardised by running statistics ((r − mean) / (std + 1e-8), Welford over every value seen
 * so far, this batch included). Null values are skipped; a sample no reward applies to gets a null total,
 * which algorithms treat as advantage 0. A `shield: true` reward whose raw value for a sample is negative
 * flags it, and the sample's total becomes `shieldFloor` (-1) whatever the other rewards say.
 */
export class RewardAggregator {
  private constructor(
    private readonly terms: Term[],
    private readonly shieldFloor: number,
  ) {}

  /** Creates every reward through the kernel with its (already validated) params. */
  static async create(kernel: Kernel, entries: readonly RewardEntry[], options: RewardAggregatorOptions = {}): Promise<RewardAggregator> {
    const names = rewardNames(entries.map((entry) => entry.type));
    const terms = await Promise.all(
      entries.map(async (entry, index): Promise<Term> => ({
        name: names[index]!,
        weight: entry.weight ?? 1,
        shield: entry.shield ?? false,
        clip: entry.clip,
        stats: entry.normalize ? new RunningStats() : undefined,
        fn: await kernel.create(rewardPoint, entry.type, { params: entry.params ?? {}, config: options.config }),
      })),
    );
    return new RewardAggregator(terms, options.shieldFloor ?? -1);
  }

  /** Reward names in config order: the type, suffixed `_2`, `_3` when a type is used more than once. */
  get names(): string[] {
    return this.terms.map((term) => term.name);
  }

  async score(batch: RewardBatch): Promise<RewardScores> {
    const size = batch.completions.length;
    if (batch.prompts.length !== size) {
      throw new Error(`reward batch has ${batch.prompts.length} prompts but ${size} completions`);
    }
    const outputs = await Promise.all(this.terms.map((term) => scoreTerm(term, batch)));
    const scores: RewardScores = { total: new Array(size).fill(null), raw: {}, shaped: {}, shielded: new Array(size).fill(false) };
    this.terms.forEach((term, k) => {
      const raw = outputs[k]!;
      const shaped = shape(term, raw);
      scores.raw[term.name] = raw;
      scores.shaped[term.name] = shaped;
      shaped.forEach((value, i) => {
        if (value !== null) scores.total[i] = (scores.total[i] ?? 0) + term.weight * value;
        if (term.shield && raw[i] !== null && raw[i]! < 0) scores.shielded[i] = true;
      });
    });
    for (let i = 0; i < size; i++) if (scores.shielded[i]) scores.total[i] = this.shieldFloor;
    return scores;
  }
}

async function scoreTerm(term: Term, batch: RewardBatch): Promise<RewardValues> {
  let values: unknown;
  try {
    values = await term.fn.score(batch);
  } catch (error) {
    throw new Error(`reward "${term.name}" failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return checkValues(term.name, values, batch.completions.length);
}

/** A wrong length or a NaN would silently poison the advantages, so it is an error naming the reward. */
function checkValues(name: string, values: unknown, size: number): RewardValues {
  if (!Array.isArray(values) || values.length !== size) {
    const got = Array.isArray(values) ? `${values.length} values` : typeof values;
    throw new Error(`reward "${name}" returned ${got} for a batch of ${size}`);
  }
  values.forEach((value, i) => {
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new Error(`reward "${name}" returned ${String(value)} for sample ${i}: expected a finite number or null`);
    }
  });
  return values as RewardValues;
}

function shape(term: Term, raw: RewardValues): RewardValues {
  const clip = term.clip;
  const clipped = clip === undefined ? raw : raw.map((v) => (v === null ? null : Math.min(clip, Math.max(-clip, v))));
  const stats = term.stats;
  if (!stats) return clipped;
  for (const value of clipped) if (value !== null) stats.push(value);
  return clipped.map((v) => (v === null ? null : (v - stats.mean) / (stats.std + 1e-8)));
}

export function rewardNames(types: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return types.map((type) => {
    const count = (seen.get(type) ?? 0) + 1;
    seen.set(type, count);
    return count === 1 ? type : `${type}_${count}`;
  });
}
