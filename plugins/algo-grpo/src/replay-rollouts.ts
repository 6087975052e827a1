import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isChatMessages, packRagged, TokenizedDataset, type Prompt, type Tokenizer } from '@aligntune/core';
import { untilFirstEos, type Rollout } from './rollout.js';

export interface ReplayOptions {
  readonly tokenizer: Tokenizer;
  readonly groupSize: number;
  readonly maxPromptLength: number;
  /** Reward names (as the aggregator names them) and weights, for files with one column per reward. */
  readonly rewardNames: readonly string[];
  readonly rewardWeights: readonly number[];
}

export interface ReplayData {
  /** One row per completion (prompt + completion tokens), for the trainer's data. */
  readonly table: TokenizedDataset;
  readonly rollouts: Rollout[];
}

/**
 * Reads `train.rollouts_from`: JSONL rows of prompt, completion and either `reward` or one column per configured
 * reward; G consecutive rows form a group. Prompt ids as the tokenizer gives them (special tokens included, chat
 * template for message lists), cut to max_prompt_length from the left; completion ids = its text without special
 * tokens + EOS (the file holds text without EOS).
 */
export async function readReplayRollouts(file: string, options: ReplayOptions): Promise<ReplayData> {
  const lines = (await readFile(resolve(file), 'utf8')).split('\n').filter((l) => l.trim());
  const rollouts = lines.map((line, i) => replayRollout(JSON.parse(line) as Record<string, unknown>, `${file}:${i + 1}`, options));
  if (rollouts.length === 0 || rollouts.length % options.groupSize !== 0) {
    throw new Error(`${file}: ${rollouts.length} rows is not a whole number of groups of train.num_generations = ${options.groupSize}`);
  }
  const table = new TokenizedDataset(
    { prompt: packRagged(rollouts.map((r) => r.promptIds)), completion: packRagged(rollouts.map((r) => r.completionIds)) },
    rollouts.map((r) => ({ kind: 'completion' as const, prompt: r.prompt, extra: {} })),
  );
  return { table, rollouts };
}

function replayRollout(row: Record<string, unknown>, where: string, options: ReplayOptions): Rollout {
  const { tokenizer } = options;
  const prompt = row.prompt;
  if (typeof prompt !== 'string' && !isChatMessages(prompt)) throw new Error(`${where}: "prompt" must be text or a list of messages`);
  if (typeof row.completion !== 'string') throw new Error(`${where}: "completion" must be text`);
  const promptIds = typeof prompt === 'string' ? tokenizer.encode(prompt) : tokenizer.encodeChat(prompt, { addGenerationPrompt: true });
  const eos = tokenizer.eosTokenId;
  if (eos == null) throw new Error('rollout replay needs a tokenizer with an EOS token');
  const { ids, terminated } = untilFirstEos([...tokenizer.encode(row.completion, { addSpecialTokens: false }), eos], eos);
  const { rewards, total } = replayRewards(row, where, options);
  return {
    row: -1,
    prompt: prompt as Prompt,
    promptIds: Int32Array.from(promptIds.slice(Math.max(0, promptIds.length - options.maxPromptLength))),
    completionIds: ids,
    completion: row.completion,
    terminated,
    rewards,
    total,
    advantage: 0,
  };
}

/** `reward` as the total, else Σ w_k · column_k over the reward columns present (null when none is). */
function replayRewards(row: Record<string, unknown>, where: string, options: ReplayOptions): Pick<Rollout, 'rewards' | 'total'> {
  if ('reward' in row) return { rewards: { reward: numberOrNull(row.reward, where, 'reward') }, total: numberOrNull(row.reward, where, 'reward') };
  const names = options.rewardNames;
  if (names.length === 0 || !names.some((n) => n in row)) {
    throw new Error(`${where}: no "reward" column${names.length ? ` and none of the reward columns ${names.join(', ')}` : ' (and no rewards configured)'}`);
  }
  const rewards: Record<string, number | null> = {};
  let total: number | null = null;
  names.forEach((name, k) => {
    const value = numberOrNull(row[name], where, name);
    rewards[name] = value;
    if (value !== null) total = (total ?? 0) + options.rewardWeights[k]! * value;
  });
  return { rewards, total };
}

function numberOrNull(value: unknown, where: string, column: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: "${column}" must be a finite number or null`);
  return value;
}
