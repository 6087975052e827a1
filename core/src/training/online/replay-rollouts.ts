import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isChatMessages, type Prompt } from '../../data/canonical-record.js';
import type { TokenizedDataset } from '../../data/tokenized-dataset.js';
import type { Tokenizer } from '../../models/tokenizer.js';
import { rolloutTable } from './rollout-batch.js';
import { cutAfterEos, type Rollout } from './rollout.js';

/** Reads a row's scores: its reward columns by name and their weighted total. `where` is `<file>:<line>`. */
export type ReplayScores = (row: Record<string, unknown>, where: string) => Pick<Rollout, 'rewards' | 'total'>;

export interface ReplayOptions {
  readonly tokenizer: Tokenizer;
  readonly maxPromptLength: number;
  /** Consecutive rows that share a prompt (G, k); the file must hold whole groups. Default 1. */
  readonly groupSize?: number;
  /** The config key that names groupSize, for the error. */
  readonly groupKey?: string;
  readonly scores: ReplayScores;
}

/**
 * Replays `train.rollouts_from`: JSONL rows of `prompt` (text, or messages rendered with the chat template),
 * `completion` (text without EOS) and the scores `options.scores` reads; the next batch takes the next rows,
 * cycling. Prompt ids as the tokenizer gives them (special tokens included), cut to max_prompt_length from the left;
 * completion ids = the text without special tokens + EOS.
 */
export class ReplayRollouts {
  private cursor = 0;

  private constructor(
    readonly file: string,
    readonly rollouts: readonly Rollout[],
    /** One row per completion (prompt + completion tokens), the trainer's data. */
    readonly table: TokenizedDataset,
    private readonly groupSize: number,
  ) {}

  static async read(file: string, options: ReplayOptions): Promise<ReplayRollouts> {
    const lines = (await readFile(resolve(file), 'utf8')).split('\n').filter((l) => l.trim());
    const rollouts = lines.map((line, i) => replayRollout(JSON.parse(line) as Record<string, unknown>, `${file}:${i + 1}`, options));
    const groupSize = options.groupSize ?? 1;
    if (rollouts.length === 0) throw new Error(`${file}: no rollouts`);
    if (rollouts.length % groupSize !== 0) {
      throw new Error(`${file}: ${rollouts.length} rows is not a whole number of groups of ${options.groupKey ?? 'the group size'} = ${groupSize}`);
    }
    return new ReplayRollouts(file, rollouts, rolloutTable(rollouts), groupSize);
  }

  /** The next `prompts` groups of rows, cycling through the file. */
  sample(prompts: number): Rollout[] {
    return Array.from({ length: prompts * this.groupSize }, () => this.rollouts[this.cursor++ % this.rollouts.length]!);
  }
}

function replayRollout(row: Record<string, unknown>, where: string, options: ReplayOptions): Rollout {
  const { tokenizer } = options;
  const { prompt, completion } = row;
  if (typeof prompt !== 'string' && !isChatMessages(prompt)) throw new Error(`${where}: "prompt" must be text or a list of messages`);
  if (typeof completion !== 'string') throw new Error(`${where}: "completion" must be text`);
  const eos = tokenizer.eosTokenId;
  if (eos == null) throw new Error('rollout replay needs a tokenizer with an EOS token');
  const promptIds = typeof prompt === 'string' ? tokenizer.encode(prompt) : tokenizer.encodeChat(prompt, { addGenerationPrompt: true });
  const { ids, containsEos } = cutAfterEos([...tokenizer.encode(completion, { addSpecialTokens: false }), eos], eos);
  return {
    row: -1,
    prompt: prompt as Prompt,
    promptIds: Int32Array.from(promptIds.slice(Math.max(0, promptIds.length - options.maxPromptLength))),
    completionIds: ids,
    completion,
    containsEos,
    ...options.scores(row, where),
  };
}

/**
 * The GRPO-family file layout: `reward` as the total, else one column per configured reward (names as the
 * aggregator gives them) and Σ w_k · column_k over those present (null when none is).
 */
export function rewardColumns(names: readonly string[], weights: readonly number[]): ReplayScores {
  return (row, where) => {
    if ('reward' in row) {
      const total = numberOrNull(row.reward, where, 'reward');
      return { rewards: { reward: total }, total };
    }
    if (names.length === 0 || !names.some((n) => n in row)) {
      throw new Error(`${where}: no "reward" column${names.length ? ` and none of the reward columns ${names.join(', ')}` : ' (and no rewards configured)'}`);
    }
    const rewards: Record<string, number | null> = {};
    let total: number | null = null;
    names.forEach((name, k) => {
      const value = numberOrNull(row[name], where, name);
      rewards[name] = value;
      if (value !== null) total = (total ?? 0) + weights[k]! * value;
    });
    return { rewards, total };
  };
}

/** One required score column, used as given (PPO's `score`): no reward is called. */
export function scoreColumn(column: string): ReplayScores {
  return (row, where) => {
    const value = row[column];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: "${column}" must be a finite number`);
    return { rewards: {}, total: value };
  };
}

function numberOrNull(value: unknown, where: string, column: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: "${column}" must be a finite number or null`);
  return value;
}
