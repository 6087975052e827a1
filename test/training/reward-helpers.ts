import { loadModel, saveModelDir, withSequenceClassificationHead, type HfModelConfig, type StoredTensor, type Tokenizer } from '@aligntune/core';
import { randomTensors } from '../models/graph-helpers.js';
import { referenceForward, type RefWeights } from '../models/reference/reference-forward.js';
import { tinyModelConfig, tinyTokenizer, trainingKernel, writeTinyModel, type TinyArch } from './helpers.js';
import type { RefPair } from './reference-losses.js';

/** The training kernel plus the reward algorithm. */
export function rewardKernel(): ReturnType<typeof trainingKernel> {
  return trainingKernel(['@aligntune/plugin-algo-reward']);
}

export interface StartModel {
  readonly dir: string;
  /** The *ForSequenceClassification config the trained model has. */
  readonly config: HfModelConfig;
  /** Its starting weights under HF names (the score head included). */
  readonly tensors: Map<string, StoredTensor>;
  readonly tokenizer: Tokenizer;
}

/**
 * A causal LM directory; the starting weights are its tensors with lm_head replaced by the score head that
 * core's loader draws for `seed` (transformers' N(0, initializer_range) init of a new head).
 */
export async function causalLmStart(dir: string, arch: TinyArch, seed: number, options: { weights?: 'random' | 'init'; modelSeed?: number } = {}): Promise<StartModel> {
  const { tensors, tokenizer } = await writeTinyModel(dir, arch, { seed: options.modelSeed ?? 7, weights: options.weights });
  const loaded = await loadModel(dir, { kernel: rewardKernel(), scoreHead: { numLabels: 1, seed } });
  const score = loaded.weights.get('score.weight')!; // [hidden, 1] holds the same values in the same order as HF's [1, hidden]
  tensors.delete('lm_head.weight');
  tensors.set('score.weight', { dtype: 'F32', shape: [1, loaded.config.hiddenSize], data: Float32Array.from(score.data as Float32Array) });
  return { dir, config: loaded.config, tensors, tokenizer };
}

/** An existing *ForSequenceClassification checkpoint with random weights (a large score head, so gradients are large). */
export async function sequenceClassificationStart(dir: string, arch: TinyArch, seed: number): Promise<StartModel> {
  const tokenizer = tinyTokenizer();
  const config = withSequenceClassificationHead(tinyModelConfig(arch, tokenizer), 1);
  const tensors = randomTensors(config, seed);
  await saveModelDir(dir, config, { tensors, tokenizer });
  return { dir, config, tensors: new Map(tensors), tokenizer };
}

/** Prompt ids as the tokenizer gives them, completion ids + EOS: the data path's tokenization, done independently. */
export function refPairs(tok: Tokenizer, rows: ReadonlyArray<{ prompt: string; chosen: string; rejected: string }>): RefPair[] {
  const completion = (text: string) => [...tok.encode(text, { addSpecialTokens: false }), tok.eosTokenId!];
  return rows.map((r) => {
    const prompt = tok.encode(r.prompt); // a text prompt is tokenized as it is (TRL applies no chat template to text)
    return { chosen: { prompt, completion: completion(r.chosen) }, rejected: { prompt, completion: completion(r.rejected) } };
  });
}

/** Float64 reward of each pair's chosen and rejected sequence: the score head at the last token, one sequence at a time. */
export function refRewards(config: HfModelConfig, weights: RefWeights, pairs: readonly RefPair[]): { chosen: number[]; rejected: number[] } {
  const score = (s: RefPair['chosen']) => referenceForward(config, weights, { inputIds: [[...s.prompt, ...s.completion]] }).logits[0]!.at(-1)![0]!;
  return { chosen: pairs.map((p) => score(p.chosen)), rejected: pairs.map((p) => score(p.rejected)) };
}

const logSigmoid = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));

/** TRL's RewardTrainer loss in plain float64: mean −log σ(r_c − r_r − m) + coef · mean((r_c + r_r)²). */
export function refRewardLoss(config: HfModelConfig, weights: RefWeights, pairs: readonly RefPair[], options: { margins?: readonly number[]; center?: number } = {}): number {
  const { chosen, rejected } = refRewards(config, weights, pairs);
  let bt = 0;
  let center = 0;
  chosen.forEach((c, i) => {
    bt -= logSigmoid(c - rejected[i]! - (options.margins?.[i] ?? 0));
    center += (c + rejected[i]!) ** 2;
  });
  return bt / pairs.length + (options.center ?? 0) * (center / pairs.length);
}

/** Fraction of pairs whose chosen sequence gets the higher reward. */
export function refAccuracy(config: HfModelConfig, weights: RefWeights, pairs: readonly RefPair[]): number {
  const { chosen, rejected } = refRewards(config, weights, pairs);
  return chosen.filter((c, i) => c > rejected[i]!).length / pairs.length;
}
