import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isChatMessages, packRagged, TokenizedDataset, type Prompt, type Tokenizer } from '@aligntune/core';
import { cutAfterEos, type PpoRollout } from './ppo-rollout.js';

export interface ReplayOptions {
  readonly tokenizer: Tokenizer;
  readonly maxPromptLength: number;
}

/**
 * Reads `train.rollouts_from`: JSONL rows of `prompt` (text, or messages rendered with the chat template),
 * `completion` (text without EOS) and `score` (the sequence score, used as given: no model or reward function is
 * called). Prompt ids as the tokenizer gives them (special tokens included), cut to max_prompt_length from the
 * left; completion ids = the text without special tokens + EOS.
 */
export async function readReplayRollouts(file: string, options: ReplayOptions): Promise<{ table: TokenizedDataset; rollouts: PpoRollout[] }> {
  const lines = (await readFile(resolve(file), 'utf8')).split('\n').filter((l) => l.trim());
  if (lines.length === 0) throw new Error(`${file}: no rollouts`);
  const rollouts = lines.map((line, i) => replayRollout(JSON.parse(line) as Record<string, unknown>, `${file}:${i + 1}`, options));
  const table = new TokenizedDataset(
    { prompt: packRagged(rollouts.map((r) => r.promptIds)), completion: packRagged(rollouts.map((r) => r.completionIds)) },
    rollouts.map((r) => ({ kind: 'completion' as const, prompt: r.prompt, extra: {} })),
  );
  return { table, rollouts };
}

function replayRollout(row: Record<string, unknown>, where: string, { tokenizer, maxPromptLength }: ReplayOptions): PpoRollout {
  const { prompt, completion, score } = row;
  if (typeof prompt !== 'string' && !isChatMessages(prompt)) throw new Error(`${where}: "prompt" must be text or a list of messages`);
  if (typeof completion !== 'string') throw new Error(`${where}: "completion" must be text`);
  if (typeof score !== 'number' || !Number.isFinite(score)) throw new Error(`${where}: "score" must be a finite number`);
  const eos = tokenizer.eosTokenId;
  if (eos == null) throw new Error('rollout replay needs a tokenizer with an EOS token');
  const promptIds = typeof prompt === 'string' ? tokenizer.encode(prompt) : tokenizer.encodeChat(prompt, { addGenerationPrompt: true });
  const { ids, containsEos } = cutAfterEos([...tokenizer.encode(completion, { addSpecialTokens: false }), eos], eos, true);
  return {
    row: -1,
    prompt: prompt as Prompt,
    promptIds: Int32Array.from(promptIds.slice(Math.max(0, promptIds.length - maxPromptLength))),
    completionIds: ids,
    completion,
    containsEos,
    rewards: {},
    ruleScore: score,
  };
}
