import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type HfModelConfig, type StoredTensor, type Tokenizer } from '@aligntune/core';
import { createTrainer, runConfig, tempDir, tinyTokenizer, updateError, writeJsonl, writeTinyModel, type TinyFamily } from '../training/helpers.js';
import { completionLogps, refDpoLoss, refSftLoss, type RefPair, type RefSequence } from '../training/reference-losses.js';
import { effectiveWeights, float64, peftModules, writePeftAdapter, type PeftFixture } from './lora-helpers.js';

/**
 * One SGD step with LoRA moves A and B (and nothing else: the base is frozen) by exactly −lr·∇L, ∇L by float64 central
 * differences of the loss of the float64 reference forward on W + (α/r)·B·A. The run starts from a PEFT adapter
 * written by hand with random A and B (model.adapter_path), so both factors have gradients (with PEFT's B = 0, A has none).
 */
const SGD_ONE_STEP = { optimizer: 'sgd', learning_rate: 1, shuffle: false, max_grad_norm: 0, lr_scheduler: 'constant', max_steps: 1 };
const R = 2;
const ALPHA = 6;

const SFT_ROWS = [
  { prompt: 'the cat sat', completion: ' on the mat' },
  { prompt: 'hello', completion: ' world, how are you' },
  { prompt: 'a b', completion: ' c d e f' },
];
const PREF_ROWS = [
  { prompt: 'pick a colour', chosen: 'blue sky', rejected: 'no' },
  { prompt: 'say hi', chosen: 'hi there friend', rejected: 'bye' },
];

let cached: Tokenizer | undefined;
const tok = () => (cached ??= tinyTokenizer());
const completionIds = (text: string) => [...tok().encode(text, { addSpecialTokens: false }), tok().eosTokenId!];
const sftSequences = (): RefSequence[] => SFT_ROWS.map((r) => ({ prompt: tok().encode(r.prompt), completion: completionIds(r.completion) }));
const pairs = (): RefPair[] =>
  PREF_ROWS.map((r) => ({ chosen: { prompt: tok().encode(r.prompt), completion: completionIds(r.chosen) }, rejected: { prompt: tok().encode(r.prompt), completion: completionIds(r.rejected) } }));

export interface LoraStep {
  readonly config: HfModelConfig;
  readonly base: Map<string, Float64Array>;
  readonly fixture: PeftFixture;
  readonly after: Map<string, StoredTensor>;
  readonly out: string;
}

/** Writes a tiny model and a random adapter on `targets`, trains one SGD step of `algo` with LoRA from it, and reads the saved adapter back. */
export async function oneLoraStep(arch: TinyFamily, algo: string, rows: readonly unknown[], targets: string[], train: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<LoraStep> {
  const dir = tempDir();
  const model = await writeTinyModel(join(dir, 'model'), arch, { seed: 7 });
  const fixture = await writePeftAdapter(join(dir, 'adapter'), model.config, peftModules(model.config, model.tensors, targets), { r: R, alpha: ALPHA, seed: 11 });
  const data = writeJsonl(join(dir, 'data.jsonl'), rows);
  const config = runConfig(algo, join(dir, 'model'), data, join(dir, 'out'), { ...SGD_ONE_STEP, per_device_batch_size: rows.length, ...train }, extra);
  (config.model as Record<string, unknown>).peft = { r: R, lora_alpha: ALPHA, target_modules: targets, lora_dropout: 0 };
  (config.model as Record<string, unknown>).adapter_path = join(dir, 'adapter');
  const trainer = await createTrainer(config);
  expect((await trainer.train()).steps).toBe(1);
  const { tensors: after } = await readSafetensors(join(dir, 'out/final/adapter_model.safetensors'));
  return { config: model.config, base: float64(model.tensors), fixture, after, out: join(dir, 'out') };
}

/** The update's relative error against −lr·∇L over the adapter's tensors (the saved names must be PEFT's, the fixture's). */
export function loraUpdateError(step: LoraStep, loss: (weights: Map<string, Float64Array>) => number): { relError: number; checked: number } {
  expect([...step.after.keys()].sort()).toEqual([...step.fixture.tensors.keys()].sort());
  loss(effectiveWeights(step.base, step.fixture, float64(step.fixture.tensors)));
  return updateError(step.fixture.tensors, step.after, (adapter) => loss(effectiveWeights(step.base, step.fixture, adapter)), 1);
}

describe.each<[TinyFamily, string[]]>([
  ['llama', ['q_proj', 'v_proj', 'down_proj']],
  ['gpt2', ['c_attn', 'c_fc']],
  ['phi3', ['qkv_proj', 'gate_up_proj']],
])('one LoRA SGD step equals A, B − lr·∇L (%s, %o)', (arch, targets) => {
  it('sft', async () => {
    const seqs = sftSequences();
    const step = await oneLoraStep(arch, 'sft', SFT_ROWS, targets, { completion_only_loss: true });
    const { relError, checked } = loraUpdateError(step, (w) => refSftLoss(step.config, w, seqs));
    expect(checked).toBeGreaterThan(8);
    expect(relError).toBeLessThan(1e-3);
  });

  it('dpo: the reference is the base with the adapter off', async () => {
    const ps = pairs();
    const step = await oneLoraStep(arch, 'dpo', PREF_ROWS, targets, { loss_type: 'sigmoid', beta: 0.5 });
    // the reference log-probs come from the base weights alone, not the starting adapter
    const ref = { chosen: completionLogps(step.config, step.base, ps.map((p) => p.chosen)), rejected: completionLogps(step.config, step.base, ps.map((p) => p.rejected)) };
    const { relError } = loraUpdateError(step, (w) => refDpoLoss(step.config, w, ps, ref, { type: 'sigmoid', beta: 0.5, eps: 0 }));
    expect(relError).toBeLessThan(1e-3);
  });
});
