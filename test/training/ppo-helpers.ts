import { join } from 'node:path';
import { saveModelDir, withSequenceClassificationHead, type HfModelConfig, type Kernel, type StoredTensor } from '@aligntune/core';
import { VALUE_MODEL_DIR } from '@aligntune/plugin-algo-ppo';
import { randomTensors } from '../models/graph-helpers.js';
import { tinyModelConfig, tinyTokenizer, trainingKernel, type TinyArch } from './helpers.js';

export { updateError } from './helpers.js';

/** trainingKernel() plus PPO, the built-in rewards and `extra` plugin packages. */
export function ppoKernel(...extra: string[]): Kernel {
  return trainingKernel(['@aligntune/plugin-algo-ppo', '@aligntune/plugin-rewards-builtin', ...extra]);
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
export const valueWeightsFile = (dir: string) => join(dir, VALUE_MODEL_DIR, 'model.safetensors');
