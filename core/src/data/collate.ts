import { permutation } from './shuffle.js';
import type { TokenColumn, TokenizedDataset } from './tokenized-dataset.js';

/** A right-padded batch of [rows × length] int32 arrays, row-major. */
export interface SequenceBatch {
  rows: number;
  length: number;
  inputIds: Int32Array;
  /** 1 on real tokens. */
  attentionMask: Int32Array;
  /** 1 on the completion tokens (EOS included): the tokens the loss or log-probs cover. */
  completionMask: Int32Array;
  /** 0, 1, 2... over real tokens; 0 on padding. */
  positionIds: Int32Array;
  /** Prompt tokens per row (where each completion starts). */
  promptLengths: Int32Array;
}

export interface CollateOptions {
  padTokenId: number;
  /** Round the batch length up to a multiple of this (tensor-core friendly shapes). */
  padToMultipleOf?: number;
}

/** Dynamic padding: the batch is as long as its longest row, rounded up to padToMultipleOf. */
function batchLength(lengths: readonly number[], multiple = 1): number {
  const longest = Math.max(1, ...lengths);
  return Math.ceil(longest / multiple) * multiple;
}

/** Prompt + completion sequences of the given rows, right-padded, with the completion mask. */
export function collateSequences(data: TokenizedDataset, indices: readonly number[], completion: Exclude<TokenColumn, 'prompt'>, options: CollateOptions): SequenceBatch {
  const rows = indices.map((i) => [data.tokens('prompt', i), data.tokens(completion, i)] as const);
  return padSequences(rows, options);
}

/**
 * Preference pairs in one batch of 2B rows, chosen rows first then rejected (TRL's concatenated forward);
 * both halves share each pair's prompt tokens and one padded length.
 */
export function collatePairs(data: TokenizedDataset, indices: readonly number[], options: CollateOptions): SequenceBatch {
  const chosen = indices.map((i) => [data.tokens('prompt', i), data.tokens('chosen', i)] as const);
  const rejected = indices.map((i) => [data.tokens('prompt', i), data.tokens('rejected', i)] as const);
  return padSequences([...chosen, ...rejected], options);
}

function padSequences(rows: ReadonlyArray<readonly [Int32Array, Int32Array]>, options: CollateOptions): SequenceBatch {
  const length = batchLength(rows.map(([p, c]) => p.length + c.length), options.padToMultipleOf);
  const batch = emptyBatch(rows.length, length, options.padTokenId);
  rows.forEach(([prompt, completion], r) => {
    const at = r * length;
    batch.inputIds.set(prompt, at);
    batch.inputIds.set(completion, at + prompt.length);
    const total = prompt.length + completion.length;
    batch.attentionMask.fill(1, at, at + total);
    batch.completionMask.fill(1, at + prompt.length, at + total);
    for (let t = 0; t < total; t++) batch.positionIds[at + t] = t;
    batch.promptLengths[r] = prompt.length;
  });
  return batch;
}

function emptyBatch(rows: number, length: number, pad: number): SequenceBatch {
  const size = rows * length;
  return {
    rows,
    length,
    inputIds: new Int32Array(size).fill(pad),
    attentionMask: new Int32Array(size),
    completionMask: new Int32Array(size),
    positionIds: new Int32Array(size),
    promptLengths: new Int32Array(rows),
  };
}

/** Prompts for generation: padded on `side` (left by default, so every row's next token is at the end). */
export function collatePrompts(data: TokenizedDataset, indices: readonly number[], options: CollateOptions & { side?: 'left' | 'right' }): SequenceBatch {
  const prompts = indices.map((i) => data.tokens('prompt', i));
  const length = batchLength(prompts.map((p) => p.length), options.padToMultipleOf);
  const batch = emptyBatch(prompts.length, length, options.padTokenId);
  prompts.forEach((prompt, r) => {
    const at = r * length + (options.side === 'right' ? 0 : length - prompt.length);
    batch.inputIds.set(prompt, at);
    batch.attentionMask.fill(1, at, at + prompt.length);
    for (let t = 0; t < prompt.length; t++) batch.positionIds[at + t] = t;
    batch.promptLengths[r] = prompt.length;
  });
  return batch;
}

/** Batches of `order` (an epoch's row order) in sequence; the last may be short. */
export function sequentialBatches(order: ArrayLike<number>, batchSize: number): number[][] {
  const batches = [];
  for (let at = 0; at < order.length; at += batchSize) batches.push(batchAt(order, at, batchSize));
  return batches;
}

/** The `batchSize` row indices of `order` starting at `at` (fewer at the end), as a plain array. */
export function batchAt(order: ArrayLike<number>, at: number, batchSize: number): number[] {
  const batch: number[] = [];
  for (let i = at; i < Math.min(order.length, at + batchSize); i++) batch.push(order[i]!);
  return batch;
}

/**
 * Length-grouped batches (transformers' group_by_length): the epoch's shuffled order is cut into mega-batches
 * of batchSize × megabatchMult rows, each sorted by length (longest first), then into batches — rows of a
 * batch have similar lengths, so little padding, while batches stay random across the epoch.
 */
export function lengthGroupedBatches(lengths: readonly number[], batchSize: number, options: { seed: number; epoch: number; megabatchMult?: number }): number[][] {
  const order = permutation(lengths.length, options.seed, `length-grouped:${options.epoch}`);
  const mega = batchSize * (options.megabatchMult ?? 50);
  for (let at = 0; at < order.length; at += mega) {
    order.subarray(at, at + mega).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  }
  return sequentialBatches(order, batchSize);
}
