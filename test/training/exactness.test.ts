import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type HfModelConfig, type StoredTensor, type Tokenizer } from '@aligntune/core';
import { casesForBackend, createTrainer, runConfig, tempDir, tinyTokenizer, updateError, writeJsonl, writeTinyModel, type TinyFamily } from './helpers.js';
import { completionLogps, refDpoLoss, refSftLoss, type RefPair, type RefSequence } from './reference-losses.js';
import { PREF_ROWS, SFT_ROWS } from './exactness-rows.js';

/**
 * One SGD step (no clipping, constant lr, the whole data set as one batch) must move every weight by
 * exactly −lr·∇L, where ∇L is taken by float64 central differences of the loss computed with the float64
 * reference forward on independently tokenized sequences. Checked on the largest update of every tensor
 * plus a random entry of it.
 */
const LR = 1;
const SGD_ONE_STEP = { optimizer: 'sgd', learning_rate: LR, shuffle: false, max_grad_norm: 0, lr_scheduler: 'constant', max_steps: 1 };

function completionIds(tok: Tokenizer, text: string): number[] {
  return [...tok.encode(text, { addSpecialTokens: false }), tok.eosTokenId!];
}

function sftSequences(tok: Tokenizer, completionOnly: boolean): RefSequence[] {
  return SFT_ROWS.map((r) => {
    const prompt = tok.encode(r.prompt);
    const completion = completionIds(tok, r.completion);
    // training on every token = the prompt's tokens after its first are predicted too
    return completionOnly ? { prompt, completion } : { prompt: prompt.slice(0, 1), completion: [...prompt.slice(1), ...completion] };
  });
}

function pairs(tok: Tokenizer): RefPair[] {
  return PREF_ROWS.map((r) => {
    // TRL's standard (text) preference format: the prompt is tokenized as it is, no chat template
    const prompt = tok.encode(r.prompt);
    return { chosen: { prompt, completion: completionIds(tok, r.chosen) }, rejected: { prompt, completion: completionIds(tok, r.rejected) } };
  });
}

/** Trains one step and compares the saved update with −lr × the float64 finite-difference gradient. */
async function checkOneStep(
  arch: TinyFamily,
  algo: 'sft' | 'dpo',
  rows: readonly unknown[],
  train: Record<string, unknown>,
  loss: (config: HfModelConfig, weights: Map<string, Float64Array>) => number,
): Promise<{ relError: number; checked: number }> {
  const dir = tempDir();
  const model = await writeTinyModel(join(dir, 'model'), arch, { seed: 7 });
  const data = writeJsonl(join(dir, 'data.jsonl'), rows);
  const trainer = await createTrainer(runConfig(algo, join(dir, 'model'), data, join(dir, 'out'), { ...SGD_ONE_STEP, per_device_batch_size: rows.length, ...train }));
  const result = await trainer.train();
  expect(result.steps).toBe(1);
  const { tensors: after } = await readSafetensors(join(dir, 'out/final/model.safetensors'));
  return compareUpdate(model.config, model.tensors, after, loss);
}

function compareUpdate(
  config: HfModelConfig,
  before: Map<string, StoredTensor>,
  after: Map<string, StoredTensor>,
  loss: (config: HfModelConfig, weights: Map<string, Float64Array>) => number,
): { relError: number; checked: number } {
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  // one call at the starting weights first: DPO takes its reference log-probs from it
  loss(config, new Map([...before].map(([name, t]) => [name, Float64Array.from(t.data as Float32Array)])));
  return updateError(before, after, (weights) => loss(config, weights), LR);
}

const LLAMA_DPO_CASES = [{ loss_type: 'ipo' }, { loss_type: 'robust', label_smoothing: 0.2, precompute_ref_log_probs: true }];

// the onnxruntime-node twin: SFT and DPO on gpt2
describe.each<[TinyFamily]>(casesForBackend([['gpt2'], ['llama'], ['qwen2_moe'], ['gemma3']], ([arch]) => arch === 'gpt2'))('one SGD step equals w − lr·∇L (%s)', (arch) => {
  const tok = () => writeTinyModelTokenizer();

  it(`sft, ${arch === 'gpt2' ? 'completion-only' : 'all tokens'}`, async () => {
    const completionOnly = arch === 'gpt2';
    const seqs = sftSequences(tok(), completionOnly);
    const { relError, checked } = await checkOneStep(arch, 'sft', SFT_ROWS, { completion_only_loss: completionOnly }, (c, w) => refSftLoss(c, w, seqs));
    expect(checked).toBeGreaterThan(20);
    expect(relError).toBeLessThan(1e-3);
  });

  const dpoCases: Array<{ loss_type: string; label_smoothing?: number; precompute_ref_log_probs?: boolean }> = {
    gpt2: [{ loss_type: 'sigmoid', label_smoothing: 0.1 }, { loss_type: 'hinge' }],
    llama: LLAMA_DPO_CASES,
    qwen2_moe: LLAMA_DPO_CASES,
    gemma3: [{ loss_type: 'sigmoid' }],
  }[arch as 'gpt2' | 'llama' | 'qwen2_moe' | 'gemma3'];
  it.each(dpoCases)('dpo %o', async (options) => {
    const ps = pairs(tok());
    let ref: { chosen: number[]; rejected: number[] } | undefined;
    const o = { type: options.loss_type, beta: 0.5, eps: options.label_smoothing ?? 0 };
    const { relError } = await checkOneStep(arch, 'dpo', PREF_ROWS, { ...options, beta: 0.5 }, (c, w) => {
      // the reference is the starting policy: its log-probs are those of the first (unperturbed) call
      ref ??= { chosen: completionLogps(c, w, ps.map((p) => p.chosen)), rejected: completionLogps(c, w, ps.map((p) => p.rejected)) };
      return refDpoLoss(c, w, ps, ref, o);
    });
    expect(relError).toBeLessThan(1e-3);
  });
});

// Llama 3.2 (llama3 RoPE, tied head) and Phi-4-mini's layout (fused qkv / gate_up saved under their own names, partial rotary, LongRoPE).
describe.each<[TinyFamily]>(casesForBackend([['llama3'], ['phi3']], () => false))('one SGD step equals w − lr·∇L (%s)', (arch) => {
  it('sft, completion-only', async () => {
    const seqs = sftSequences(writeTinyModelTokenizer(), true);
    const { relError, checked } = await checkOneStep(arch, 'sft', SFT_ROWS, { completion_only_loss: true }, (c, w) => refSftLoss(c, w, seqs));
    expect(checked).toBeGreaterThan(20);
    expect(relError).toBeLessThan(1e-3);
  });

  it('dpo sigmoid', async () => {
    const ps = pairs(writeTinyModelTokenizer());
    let ref: { chosen: number[]; rejected: number[] } | undefined;
    const { relError } = await checkOneStep(arch, 'dpo', PREF_ROWS, { loss_type: 'sigmoid', beta: 0.5 }, (c, w) => {
      ref ??= { chosen: completionLogps(c, w, ps.map((p) => p.chosen)), rejected: completionLogps(c, w, ps.map((p) => p.rejected)) };
      return refDpoLoss(c, w, ps, ref, { type: 'sigmoid', beta: 0.5, eps: 0 });
    });
    expect(relError).toBeLessThan(1e-3);
  });
});

let cached: Tokenizer | undefined;
/** The tokenizer writeTinyModel saves with the model. */
function writeTinyModelTokenizer(): Tokenizer {
  return (cached ??= tinyTokenizer());
}
