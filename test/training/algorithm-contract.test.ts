import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collateSequences, declareTokenInputs, realTokens, tokenFeeds, type AlgorithmContext, type AlgorithmContract, type Graph, type TokenizedDataset } from '@aligntune/core';
import { Algorithm } from '@aligntune/core/kernel';
import { createTrainer, runConfig, tempDir, trainingKernel, writeJsonl, writeTinyModel } from './helpers.js';

/** What the probe saw, read by the test after each run. */
const seen = { setupRows: 0, restored: [] as unknown[] };

/** The smallest algorithm on the contract: mean logit as the loss, a collation counter as its resumable state, a file beside the policy. */
@Algorithm('contract-probe')
class ContractProbe implements AlgorithmContract {
  readonly recordKinds = ['completion'] as const;
  private collated = 0;

  async setup({ data }: AlgorithmContext): Promise<void> {
    seen.setupRows = data.train.size;
  }

  buildLoss(g: Graph, { policy }: AlgorithmContext) {
    const { logits } = policy.forward(g, declareTokenInputs(g));
    return { loss: g.reduceMean(logits) };
  }

  collate(data: TokenizedDataset, rows: readonly number[], _split: 'train' | 'eval', { tokenizer }: AlgorithmContext) {
    this.collated++;
    const batch = collateSequences(data, rows, 'completion', { padTokenId: tokenizer.padTokenId });
    return { feeds: tokenFeeds(batch), tokens: realTokens(batch), weight: rows.length };
  }

  saveState() {
    return { collated: this.collated };
  }

  restoreState(state: Record<string, unknown>) {
    seen.restored.push(state);
  }

  async saveExtras(dir: string) {
    await writeFile(join(dir, 'probe.json'), JSON.stringify({ collated: this.collated }));
  }
}

describe('an algorithm on the AlgorithmContract', () => {
  it('is composed into the trainer: its setup, loss, collation, state and extras all take part in a run and its resume', async () => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2');
    const data = writeJsonl(join(dir, 'data.jsonl'), [{ prompt: 'a b', completion: ' c' }, { prompt: 'b c', completion: ' a' }, { prompt: 'c a', completion: ' b' }]);
    const train = { max_steps: 2, per_device_batch_size: 1, save_interval: 1, optimizer: 'sgd', learning_rate: 0.1 };
    const first = await createTrainer(runConfig('contract-probe', join(dir, 'model'), data, join(dir, 'a'), train), trainingKernel([ContractProbe]));
    const result = await first.train();
    expect(result.steps).toBe(2);
    expect(seen.setupRows).toBe(3);
    expect(Number.isFinite(result.metrics.loss)).toBe(true);
    const state = JSON.parse(readFileSync(join(dir, 'a/checkpoints/step-1/trainer_state.json'), 'utf8'));
    expect(state.algorithm).toEqual({ collated: 1 });
    expect(JSON.parse(readFileSync(join(dir, 'a/final/probe.json'), 'utf8'))).toEqual({ collated: 2 });
    expect(existsSync(join(dir, 'a/checkpoints/step-1/probe.json'))).toBe(true);

    const resumed = await createTrainer(runConfig('contract-probe', join(dir, 'model'), data, join(dir, 'b'), { ...train, resume_from_checkpoint: join(dir, 'a/checkpoints/step-1') }), trainingKernel([ContractProbe]));
    expect((await resumed.train()).steps).toBe(2);
    expect(seen.restored).toEqual([{ collated: 1 }]);
  });
});
