import { trainOptions, type UnifiedConfig } from '@aligntune/core/config';
import { collateSequences, type SequenceBatch, type TokenizedDataset } from '@aligntune/core/data';
import { type Graph } from '@aligntune/core/engine';
import { Algorithm, inject, Tokens } from '@aligntune/core/kernel';
import { declareTokenInputs } from '@aligntune/core/models';
import {
  float32Tensor,
  realTokens,
  tokenFeeds,
  withAuxiliaryLosses,
  type AlgorithmContext,
  type AlgorithmContract,
  type DataSplit,
  type LossGraph,
  type TrainBatch,
} from '@aligntune/core/training';
import { SftOptions } from './sft-options.js';
import { sftLoss } from './sft-loss.js';

/** The loss mask's graph input name. */
export const LOSS_MASK = 'loss_mask';

/**
 * Supervised fine-tuning: next-token NLL on completions (prompt masked) or on every token, one token mean
 * per micro-batch. Chat datasets arrive templated, with the final assistant turn as the completion.
 */
@Algorithm('sft', { options: SftOptions, description: 'supervised fine-tuning (TRL SFTTrainer)' })
export class SftAlgorithm implements AlgorithmContract {
  readonly recordKinds = ['completion'] as const;
  readonly options: SftOptions;

  constructor(@inject(Tokens.Config) config: UnifiedConfig) {
    this.options = trainOptions<SftOptions>(config);
  }

  buildLoss(g: Graph, { policy }: AlgorithmContext): LossGraph {
    const inputs = declareTokenInputs(g);
    const mask = g.input(LOSS_MASK, 'float32', ['batch', 'seq']);
    const { logits, auxiliaryLosses } = policy.forward(g, inputs);
    const { loss, meanTokenAccuracy } = sftLoss(g, logits, inputs.inputIds, mask);
    return withAuxiliaryLosses(g, { loss, metrics: { mean_token_accuracy: meanTokenAccuracy } }, auxiliaryLosses);
  }

  collate(data: TokenizedDataset, rows: readonly number[], _split: DataSplit, { tokenizer }: AlgorithmContext): TrainBatch {
    const batch = collateSequences(data, rows, 'completion', { padTokenId: tokenizer.padTokenId });
    const mask = sftLossMask(batch, this.options.completion_only_loss ?? true);
    if (this.options.completion_only_loss && this.options.train_all_assistant_turns) addPromptAssistantTurns(mask, batch, data, rows);
    const trained = mask.reduce((s, m) => s + m, 0);
    if (trained === 0) throw new Error(`an SFT micro-batch has no tokens to train on (rows ${rows.slice(0, 5).join(', ')}...)`);
    return { feeds: { ...tokenFeeds(batch), [LOSS_MASK]: float32Tensor(mask, [batch.rows, batch.length]) }, tokens: realTokens(batch), weight: trained };
  }
}

/** Sets the loss mask on the prompt tokens of earlier assistant turns (chat prompts), row by row. */
export function addPromptAssistantTurns(mask: Int32Array, batch: SequenceBatch, data: TokenizedDataset, rows: readonly number[]): void {
  rows.forEach((row, r) => {
    const turns = data.tokens('prompt_assistant_mask', row);
    turns.forEach((m, t) => {
      if (m) mask[r * batch.length + t] = 1;
    });
  });
}

/** Completion tokens (EOS included), or every real token but each row's first (which nothing predicts). */
export function sftLossMask(batch: SequenceBatch, completionOnly: boolean): Int32Array {
  if (completionOnly) return batch.completionMask;
  const mask = Int32Array.from(batch.attentionMask);
  for (let r = 0; r < batch.rows; r++) mask[r * batch.length] = 0;
  return mask;
}
