import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FrozenWeights, loadModel, PolicyModel, saveModelDir, storeFrozen, toCanonicalWeights, withSequenceClassificationHead, type DecoderModel, type HfModelConfig } from '@aligntune/core';
import { ModelConfig } from '@aligntune/core/config';
import { loadReferenceModel, UnifiedEvaluator } from '@aligntune/core/training';
import { loadRewardModel } from '@aligntune/plugin-algo-ppo';
import * as modelDir from '../../core/src/models/model-dir.js';
import { randomTensors } from './graph-helpers.js';
import { ppoKernel } from '../training/ppo-helpers.js';
import { evalConfig, writeSplits } from '../training/evaluator-helpers.js';
import { tempDir, tinyModelConfig, tinyTokenizer, writeTinyModel } from '../training/helpers.js';

/**
 * A frozen model with a directory of its own (model.ref_path, PPO's model.reward_path) is read tensor by tensor into
 * its frozen storage, as the LoRA base is: the whole-model float32 read (loadModelDir) is never asked for, a bf16
 * checkpoint's weights keep the bits on disk, and the result is what loading in float32 and storing after gave.
 */
vi.mock('../../core/src/models/model-dir.js', async (importOriginal) => {
  const actual = await importOriginal<typeof modelDir>();
  return { ...actual, loadModelDir: vi.fn(actual.loadModelDir), readModelDirTensors: vi.fn(actual.readModelDirTensors) };
});

const kernel = ppoKernel();

/** A tiny checkpoint over the tiny tokenizer, every weight written as `dtype`. */
async function checkpoint(config: HfModelConfig, dtype: 'BF16' | 'F16', seed: number): Promise<string> {
  const dir = tempDir('aligntune-frozen-companion-');
  await saveModelDir(dir, config, { weights: toCanonicalWeights(config, randomTensors(config, seed)).weights, dtype, tokenizer: tinyTokenizer() });
  return dir;
}

async function policyAt(): Promise<{ policy: PolicyModel; startDir: string }> {
  const startDir = join(tempDir('aligntune-frozen-policy-'), 'model');
  await writeTinyModel(startDir, 'llama', { seed: 3 });
  return { policy: await PolicyModel.load(startDir, { kernel }), startDir };
}

/** Each weight's stored bytes, by canonical name. */
function storedBytes(model: DecoderModel): Map<string, { dtype: string; bytes: Buffer }> {
  return new Map([...model.stored].map(([name, s]) => [name, { dtype: s.parts['']!.dtype, bytes: Buffer.from(s.parts['']!.data.buffer, s.parts['']!.data.byteOffset, s.parts['']!.data.byteLength) }]));
}

/** Loaded as a frozen model: every weight stored in `dtype`'s parts, never through loadModelDir, the same bytes as the float32 load stored after. */
async function expectStoredAsRead(model: DecoderModel, dir: string, frozen: FrozenWeights, partDtype: string): Promise<void> {
  expect(modelDir.loadModelDir).not.toHaveBeenCalled();
  expect(modelDir.readModelDirTensors).toHaveBeenCalledWith(dir, expect.anything(), expect.any(Function));
  expect(model.weights.size).toBe(0);
  const mine = storedBytes(model);
  for (const [name, { dtype }] of mine) expect(dtype, name).toBe(partDtype);
  const float32 = await loadModel(dir, { kernel });
  const before = storedBytes(storeFrozen(float32, frozen.storageOf(model)!));
  expect([...mine.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [name, { bytes }] of mine) expect(bytes.equals(before.get(name)!.bytes), name).toBe(true);
  // what the run's memory estimate counts: half the float32 weights
  expect(frozen.bytes).toBe(float32.heldBytes() / 2);
}

describe('frozen models with a directory of their own load tensor by tensor', () => {
  it.each<['BF16' | 'F16', ModelConfig['precision'], string]>([
    ['BF16', 'auto', 'bfloat16'],
    ['F16', 'fp16', 'float16'],
  ])('model.ref_path, a %s checkpoint, precision %s: stored as read (the file\'s bits)', async (dtype, precision, partDtype) => {
    const { policy, startDir } = await policyAt();
    const refDir = await checkpoint(tinyModelConfig('llama', tinyTokenizer()), dtype, 5);
    vi.mocked(modelDir.loadModelDir).mockClear();
    const frozen = new FrozenWeights({ precision, quantization: {} });
    const reference = await loadReferenceModel({ policy, refDir, startDir, kernel, frozen });
    await expectStoredAsRead(reference, refDir, frozen, partDtype);
  });

  it('PPO model.reward_path, a BF16 sequence classifier, precision auto: stored as read (the file\'s bits)', async () => {
    const { policy, startDir } = await policyAt();
    const rewardDir = await checkpoint(withSequenceClassificationHead(tinyModelConfig('llama', tinyTokenizer()), 1), 'BF16', 6);
    vi.mocked(modelDir.loadModelDir).mockClear();
    const frozen = new FrozenWeights({ precision: 'auto', quantization: {} });
    const model = Object.assign(new ModelConfig(), { name_or_path: startDir, reward_path: rewardDir });
    const reward = await loadRewardModel({ model, policy, startDir, kernel, resolveDir: async (id) => id, seed: 0, frozen });
    expect(reward!.model.config.head).toEqual({ kind: 'sequence-classification', numLabels: 1 });
    await expectStoredAsRead(reward!.model, rewardDir, frozen, 'bfloat16');
  });

  it('the evaluator\'s reference directory (aligntune evaluate, eval during a run): stored as read, the same preference metrics as its float32 copy', async () => {
    const { startDir } = await policyAt();
    const refBf16 = await checkpoint(tinyModelConfig('llama', tinyTokenizer()), 'BF16', 5);
    const refF32 = join(tempDir('aligntune-frozen-ref-f32-'), 'ref');
    await (await loadModel(refBf16, { kernel })).save(refF32);
    const prefs = [
      { prompt: 'say hi', chosen: 'hi there friend', rejected: 'bye' },
      { prompt: 'count', chosen: 'one two', rejected: 'three four five six' },
    ];
    const config = await evalConfig(kernel, startDir, [{ name: writeSplits(tempDir('aligntune-frozen-eval-'), 'prefs', prefs) }]);
    const evaluate = async (referenceDir: string) => {
      const evaluator = await UnifiedEvaluator.create(kernel, config, { modelDir: startDir, referenceDir });
      try {
        return (await evaluator.evaluate()).datasets[0]!.metrics;
      } finally {
        await evaluator.dispose();
      }
    };
    const float32 = await evaluate(refF32);
    vi.mocked(modelDir.loadModelDir).mockClear();
    const kept = await evaluate(refBf16);
    expect(modelDir.loadModelDir).not.toHaveBeenCalledWith(refBf16, expect.anything());
    expect(modelDir.readModelDirTensors).toHaveBeenCalledWith(refBf16, expect.anything(), expect.any(Function));
    expect(kept.preference_margin).toBeCloseTo(float32.preference_margin!, 6);
    expect(kept.preference_margin).not.toBe(0);
  });
});
