import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Checkpointer, EvaluationSchedule, ExtensionPoints, float32Tensor, OutputLayout, PolicyModel, StepExecutor, TRAINER_STATE_VERSION, TrainingConfig,
  type Graph, type GraphExecutor, type HostTensor, type TrainerState,
} from '@aligntune/core';
import { createTrainer, runConfig, tempDir, trainingKernel, writeJsonl, writeTinyModel } from './helpers.js';
import { sftRows } from './synthetic.js';

/** loss = mean over rows of (w · x_row)²; the trained parameter is w [3]. */
function quadraticLoss(g: Graph) {
  const w = g.input('w', 'float32', [3]);
  const x = g.input('x', 'float32', ['batch', 3]);
  const dot = g.reduceSum(g.mul(x, g.unsqueeze(w, [0])), [1]);
  return { loss: g.reduceMean(g.mul(dot, dot)) };
}

const ROWS = [[1, 2, 0], [0, 1, -1], [2, 0, 1], [-1, 1, 1]];
const rows = (from: number, to: number) => ({ x: float32Tensor(ROWS.slice(from, to).flat(), [to - from, 3]) });

async function trainedW(executor: GraphExecutor, settings: Partial<TrainingConfig>, batches: Array<Record<string, HostTensor>>): Promise<{ w: number[]; mode: string }> {
  const train = Object.assign(new TrainingConfig(), { optimizer: 'sgd', max_grad_norm: 0, memory_saving: 'off', ...settings });
  const steps = await StepExecutor.create(executor, { train, label: 'quadratic', buildLoss: quadraticLoss, params: { w: float32Tensor([0.5, -0.25, 1], [3]) } });
  try {
    let next = 0;
    await steps.step(() => batches[next++]!, 0.1);
    return { w: Array.from(steps.session.params.w!.data as Float32Array), mode: steps.mode };
  } finally {
    await steps.dispose();
  }
}

describe('the trainer as parts', () => {
  it('StepExecutor: a fused step over 4 rows equals 2 accumulated micro-batches of 2, and the grouped update', async () => {
    const executor = (await trainingKernel().create(ExtensionPoints.computeBackend, 'cpu')) as GraphExecutor;
    try {
      const fused = await trainedW(executor, {}, [rows(0, 4)]);
      const accumulated = await trainedW(executor, { gradient_accumulation_steps: 2 }, [rows(0, 2), rows(2, 4)]);
      const grouped = await trainedW(executor, { gradient_accumulation_steps: 2, memory_saving: 'update' }, [rows(0, 2), rows(2, 4)]);
      expect([fused.mode, accumulated.mode, grouped.mode]).toEqual(['fused', 'accumulated', 'grouped']);
      // SGD on mean((w·x)²): w − lr · mean(2 (w·x) x)
      const w0 = [0.5, -0.25, 1];
      const grad = w0.map((_, j) => ROWS.reduce((s, x) => s + 2 * x.reduce((d, xi, i) => d + xi * w0[i]!, 0) * x[j]!, 0) / ROWS.length);
      const expected = w0.map((w, j) => w - 0.1 * grad[j]!);
      for (const run of [fused, accumulated, grouped]) run.w.forEach((w, j) => expect(w).toBeCloseTo(expected[j]!, 6));
    } finally {
      await executor.dispose();
    }
  });

  it('EvaluationSchedule: every eval_interval steps, once more at the end unless just done, never without eval rows', () => {
    const every2 = new EvaluationSchedule(2, true);
    expect([1, 2, 3, 4, 5].map((s) => every2.dueAfter(s))).toEqual([false, true, false, true, false]);
    expect(every2.dueAtEnd(5)).toBe(true);
    expect(every2.dueAtEnd(4)).toBe(false);
    const atEndOnly = new EvaluationSchedule(0, true);
    expect(atEndOnly.dueAfter(3)).toBe(false);
    expect(atEndOnly.dueAtEnd(3)).toBe(true);
    const noRows = new EvaluationSchedule(1, false);
    expect([noRows.dueAfter(1), noRows.dueAtEnd(1)]).toEqual([false, false]);
  });

  it('Checkpointer: rank 0 writes step-N with the state and the extras, prunes to save_total_limit, reads it back; another algorithm is refused', async () => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { seed: 1 });
    const policy = await PolicyModel.load(join(dir, 'model'), { kernel: trainingKernel() });
    const layout = new OutputLayout(join(dir, 'out'));
    const state = (step: number): TrainerState => ({
      version: TRAINER_STATE_VERSION, algo: 'sft', global_step: step, total_steps: 4, data: { epoch: 0, at: step }, seed: 1,
      log_window: { sums: {}, counts: {} }, last_metrics: {}, tokens_seen: 10 * step, run_name: 'r', algorithm: { prompts: { epoch: 0, at: step } },
    } as unknown as TrainerState);
    const optimizer = { optimizer: 'sgd', step: 0, tensors: {} };
    const extras: string[] = [];
    const parts = { layout, policy, saveTotalLimit: 1, saveExtras: async (d: string) => void extras.push(d) };
    const rank1 = new Checkpointer({ ...parts, group: { rank: 1, barrier: async () => {} } });
    await rank1.save(state(1), optimizer, {});
    expect(existsSync(layout.checkpoint(1))).toBe(false);
    const rank0 = new Checkpointer({ ...parts, group: { rank: 0, barrier: async () => {} } });
    await rank0.save(state(1), optimizer, {});
    await rank0.save(state(2), optimizer, {});
    expect([existsSync(layout.checkpoint(1)), existsSync(layout.checkpoint(2))]).toEqual([false, true]);
    expect(extras).toHaveLength(2);
    const loaded = await Checkpointer.load(layout.checkpoint(2), 'sft');
    expect(loaded.state).toMatchObject({ global_step: 2, tokens_seen: 20, algorithm: { prompts: { epoch: 0, at: 2 } } });
    await expect(Checkpointer.load(layout.checkpoint(2), 'dpo')).rejects.toThrow(/checkpoint of a sft run, not dpo/);
  });

  it('resident run: the policy keeps no host copy of its weights, only views that read the current ones out of the backend', async () => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { seed: 2 });
    writeJsonl(join(dir, 'data/train.jsonl'), sftRows(8, 3));
    const config = { ...runConfig('sft', join(dir, 'model'), join(dir, 'data'), join(dir, 'out'), { per_device_batch_size: 2, max_steps: 3, save_interval: 1, learning_rate: 1e-2 }), compute: { backend: 'ort-capi' } };
    const trainer = await createTrainer(config);
    const seen: Array<{ views: boolean; first: number }> = [];
    trainer.hooks.onStep = () => {
      const weights = (trainer as unknown as { policy: PolicyModel }).policy.model.weights;
      const views = [...weights.values()].every((t) => typeof Object.getOwnPropertyDescriptor(t, 'data')?.get === 'function');
      seen.push({ views, first: (weights.get('embed.tokens')!.data as Float32Array)[0]! });
    };
    await trainer.train();
    expect(seen.map((s) => s.views)).toEqual([true, true, true]);
    // each read is the weights of that moment: they move with every step
    expect(new Set(seen.map((s) => s.first)).size).toBe(3);
  });

  it('resident run: the starting host weights are freed once the backend holds them (nothing keeps them for the whole run)', async () => {
    const dir = tempDir();
    // a 100,000-entry vocabulary: the tied embedding (12.8 MB) dwarfs every other host buffer of the run
    await writeTinyModel(join(dir, 'model'), 'gpt2', { seed: 2, vocabSize: 100_000 });
    writeJsonl(join(dir, 'data/train.jsonl'), sftRows(4, 3));
    const config = { ...runConfig('sft', join(dir, 'model'), join(dir, 'data'), join(dir, 'out'), { per_device_batch_size: 2, max_steps: 2 }), compute: { backend: 'ort-capi' } };
    const trainer = await createTrainer(config);
    const weightBytes = 100_000 * 32 * 4;
    const gc = fullGc();
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const held: number[] = [];
    trainer.hooks.onStep = () => {
      gc();
      held.push(process.memoryUsage().arrayBuffers - before);
    };
    await trainer.train();
    expect(held).toHaveLength(2);
    for (const bytes of held) expect(bytes).toBeLessThan(weightBytes / 2);
  });
});

/** V8's full collection (the flag only reaches contexts created after it is set). */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
