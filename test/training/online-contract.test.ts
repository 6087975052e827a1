import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collateRollouts, declareTokenInputs, float32Tensor, realTokens, tokenFeeds, type Graph, type HostTensor, type OnlineAlgorithmContract, type OnlineContext, type Rollout } from '@aligntune/core';
import { Algorithm } from '@aligntune/core/kernel';
import { createTrainer, runConfig, tempDir, trainingKernel, writeJsonl, writeTinyModel } from './helpers.js';

/** What the probe saw, read by the test after each run. */
const seen = { batches: [] as Array<{ rollouts: number; replaying: boolean; reference: boolean }>, drawn: [] as number[] };

const BIAS = 'probe.bias';

/**
 * The smallest algorithm on the online contract: two completions per prompt from core's online layer, a loss of
 * the mean logit plus a trained scalar of its own (extra weights beside the policy's), two micro-batches per
 * generation batch, its own sampling wrapper, and the scalar written beside the policy.
 */
@Algorithm('online-probe')
class OnlineProbe implements OnlineAlgorithmContract {
  readonly recordKinds = ['prompt', 'completion'] as const;

  onlineSettings() {
    const sampling = { samplesPerPrompt: 2, maxNewTokens: 3, knobs: { temperature: { key: 'train.temperature', value: 1, fallback: 1 } } };
    return { sampling, promptsPerBatch: 2, replayScores: () => ({ rewards: {}, total: 0 }), rewards: [], reference: true, logCompletionsSteps: 0 };
  }

  async sample(draw: (prompts: number) => Promise<Rollout[]>, prompts: number): Promise<Rollout[]> {
    seen.drawn.push(prompts);
    return draw(prompts);
  }

  async learnFrom(rollouts: Rollout[], _params: Readonly<Record<string, HostTensor>>, { tokenizer, replaying, reference }: OnlineContext) {
    seen.batches.push({ rollouts: rollouts.length, replaying, reference: reference !== undefined });
    const microBatches = [rollouts.slice(0, 2), rollouts.slice(2)].map((part) => {
      const batch = collateRollouts(part, tokenizer.padTokenId);
      return { feeds: tokenFeeds(batch), tokens: realTokens(batch), weight: part.length };
    });
    return { microBatches, metrics: { probe_rollouts: rollouts.length }, table: () => ({ columns: [], rows: [] }) };
  }

  buildLoss(g: Graph, { policy }: OnlineContext) {
    const { logits } = policy.forward(g, declareTokenInputs(g));
    return { loss: g.add(g.reduceMean(logits), g.reduceSum(g.input(BIAS, 'float32', [1]))) };
  }

  extraTrainableParams() {
    return { [BIAS]: float32Tensor([0], [1]) };
  }

  /** One completion per epoch row: 4 prompts × 2 completions, 2 per micro-batch → 4 micro-batches an epoch. */
  epochRows({ data }: OnlineContext) {
    return data.train.size * 2;
  }

  async saveExtras(dir: string, params: Readonly<Record<string, HostTensor>>) {
    await writeFile(join(dir, 'probe.json'), JSON.stringify({ bias: Array.from(params[BIAS]!.data as Float32Array) }));
  }
}

describe('an algorithm on the OnlineAlgorithmContract', () => {
  it('is composed with the online layer: sampling, its batches, its extra weights, the prompt cursor and its files', async () => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2');
    const data = writeJsonl(join(dir, 'prompts.jsonl'), ['a b', 'b c', 'c a', 'a c'].map((prompt) => ({ prompt })));
    const train = { max_steps: 4, epochs: 1, per_device_batch_size: 2, save_interval: 2, optimizer: 'sgd', learning_rate: 0.5, lr_scheduler: 'constant', max_grad_norm: null };
    const result = await (await createTrainer(runConfig('online-probe', join(dir, 'model'), data, join(dir, 'out'), train), trainingKernel([OnlineProbe]))).train();

    expect(result.steps).toBe(4);
    // a generation batch (2 prompts × 2 completions) every 2 steps, sampled through the algorithm's wrapper, with the reference it asked for
    expect(seen.drawn).toEqual([2, 2]);
    expect(seen.batches).toEqual([
      { rollouts: 4, replaying: false, reference: true },
      { rollouts: 4, replaying: false, reference: true },
    ]);
    const metrics = readFileSync(join(dir, 'out/metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(metrics.map((row) => row.probe_rollouts)).toEqual([4, undefined, 4, undefined]);
    expect(metrics.at(-1).epoch).toBe(1); // epochRows: 8 completions, 2 per micro-batch
    // the prompt cursor is in the checkpoint; the extra scalar trained (∂loss/∂bias = 1 each step: 4 × −0.5)
    const state = JSON.parse(readFileSync(join(dir, 'out/checkpoints/step-2/trainer_state.json'), 'utf8'));
    expect(state.algorithm.prompts).toBeDefined();
    expect(JSON.parse(readFileSync(join(dir, 'out/final/probe.json'), 'utf8')).bias[0]).toBeCloseTo(-2, 5);
  });

  it('refuses an algorithm contribution that is not a contract, naming it', async () => {
    @Algorithm('whole-trainer')
    class WholeTrainer {
      async train() {
        return { steps: 0, metrics: {} };
      }
    }
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2');
    const data = writeJsonl(join(dir, 'prompts.jsonl'), [{ prompt: 'a b' }]);
    await expect(createTrainer(runConfig('whole-trainer', join(dir, 'model'), data, join(dir, 'out'), { max_steps: 1 }), trainingKernel([WholeTrainer]))).rejects.toThrow(
      /^plugin test: algorithm "whole-trainer" does not implement the algorithm contract: buildLoss with collate \(offline\) or learnFrom \(online\)/,
    );
  });
});
