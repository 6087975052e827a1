import { join } from 'node:path';
import { saveModelDir, withSequenceClassificationHead, type HfModelConfig, type Kernel, type StoredTensor } from '@aligntune/core';
import * as ppo from '@aligntune/plugin-algo-ppo';
import * as rewards from '@aligntune/plugin-rewards-builtin';
import { randomTensors } from '../models/graph-helpers.js';
import { tinyModelConfig, tinyTokenizer, trainingKernel, type TinyArch } from './helpers.js';

export { updateError } from './helpers.js';

/** trainingKernel() plus PPO and the built-in rewards (registered from source, as their packages would be). */
export function ppoKernel(...extra: object[]): Kernel {
  const kernel = trainingKernel();
  for (const module of [ppo, rewards, ...extra]) {
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && Reflect.getOwnMetadata(Symbol.for('aligntune.contribution'), value)) kernel.registerClass(value as never);
    }
  }
  return kernel;
}

/** A tiny *ForSequenceClassification model (one output, weights of scale 0.3) over the tiny tokenizer: a value or reward model. */
export async function writeTinyScoreModel(dir: string, arch: TinyArch, seed: number): Promise<{ config: HfModelConfig; tensors: Map<string, StoredTensor> }> {
  const tokenizer = tinyTokenizer();
  const config = withSequenceClassificationHead(tinyModelConfig(arch, tokenizer), 1);
  const tensors = randomTensors(config, seed);
  await saveModelDir(dir, config, { tensors, tokenizer });
  return { config, tensors };
}

/** `<dir>/value_model/model.safetensors`, where PPO keeps the value model beside a checkpoint's or final/'s policy. */
export const valueWeightsFile = (dir: string) => join(dir, ppo.VALUE_MODEL_DIR, 'model.safetensors');
