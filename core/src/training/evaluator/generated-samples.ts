import type { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { Completion, RolloutEngine } from '../../models/rollout/rollout-engine.js';
import type { Tokenizer } from '../../models/tokenizer.js';
import type { RewardBatch } from '../rewards/reward-function.js';

/** How a task's completions are drawn: one greedy completion per prompt, or n samples at a temperature (pass@k). */
export interface SamplingPlan {
  readonly samples: number;
  /** 0 = greedy. */
  readonly temperature: number;
  readonly topP: number;
}

export const GREEDY: SamplingPlan = { samples: 1, temperature: 0, topP: 1 };

export interface GenerationSettings {
  readonly maxNewTokens: number;
  readonly seed: number;
  /** Prompts per generate() call. */
  readonly promptsPerCall: number;
}

/** The model's completions for some rows of a table: `samples` consecutive completions per row. */
export interface GeneratedSamples {
  readonly data: TokenizedDataset;
  /** The row each completion answers. */
  readonly rows: readonly number[];
  readonly completions: readonly Completion[];
  readonly samplesPerPrompt: number;
}

/** Generates from each row's tokenized (templated) prompt, in calls of promptsPerCall prompts. */
export async function generateSamples(engine: RolloutEngine, data: TokenizedDataset, rows: readonly number[], plan: SamplingPlan, settings: GenerationSettings): Promise<GeneratedSamples> {
  const completions: Completion[] = [];
  const sampleRows: number[] = [];
  for (let at = 0; at < rows.length; at += settings.promptsPerCall) {
    const chunk = rows.slice(at, at + settings.promptsPerCall);
    const prompts = chunk.map((r) => [...data.tokens('prompt', r)]);
    const result = await engine.generate(prompts, {
      maxNewTokens: roomLeft(engine, prompts, settings.maxNewTokens),
      numReturnSequences: plan.samples,
      greedy: plan.temperature === 0,
      temperature: plan.temperature === 0 ? undefined : plan.temperature,
      topP: plan.topP,
      // offset by the chunk so rows of different calls do not share random streams
      seed: settings.seed + at,
    });
    completions.push(...result.completions);
    sampleRows.push(...result.completions.map((c) => chunk[c.promptIndex]!));
  }
  return { data, rows: sampleRows, completions, samplesPerPrompt: plan.samples };
}

/** Caps new tokens so the longest prompt plus its completion fits the model's position embeddings. */
function roomLeft(engine: RolloutEngine, prompts: readonly number[][], wanted: number): number {
  const longest = Math.max(0, ...prompts.map((p) => p.length));
  return Math.max(1, Math.min(wanted, engine.model.config.maxPositionEmbeddings - longest));
}

/** What rewards receive for the samples: the canonical prompts, texts, ids (EOS included) and the rows' columns. */
export function rewardBatch(samples: GeneratedSamples): RewardBatch {
  return {
    prompts: samples.rows.map((r) => samples.data.row(r).prompt),
    completions: samples.completions.map((c) => c.text),
    completionIds: samples.completions.map((c) => c.tokenIds),
    columns: samples.data.rewardColumns(samples.rows),
  };
}

/** A row's reference text: its `reference`, else its dataset completion decoded (without EOS or other special tokens). */
export function referenceText(data: TokenizedDataset, row: number, tokenizer: Tokenizer): string | null {
  const reference = data.row(row).reference;
  if (reference !== undefined) return reference;
  if (data.length('completion', row) === 0) return null;
  return tokenizer.decode([...data.tokens('completion', row)], { skipSpecialTokens: true });
}
