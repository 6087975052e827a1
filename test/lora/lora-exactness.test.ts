import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { casesForBackend, type TinyFamily } from '../training/helpers.js';
import { completionLogps, refDpoLoss, refSftLoss } from '../training/reference-losses.js';
import { loraUpdateError, oneLoraStep, prefPairs, sftSequences } from './lora-helpers.js';
import { PREF_ROWS, SFT_ROWS } from '../training/exactness-rows.js';

/**
 * One SGD step with LoRA moves A and B (and nothing else: the base is frozen) by exactly −lr·∇L, ∇L by float64 central
 * differences of the loss of the float64 reference forward on W + (α/r)·B·A. The run starts from a PEFT adapter
 * written by hand with random A and B (model.adapter_path), so both factors have gradients (with PEFT's B = 0, A has none).
 */

// the onnxruntime-node twin: gpt2
describe.each<[TinyFamily, string[]]>(casesForBackend([
  ['llama', ['q_proj', 'v_proj', 'down_proj']],
  ['gpt2', ['c_attn', 'c_fc']],
  ['phi3', ['qkv_proj', 'gate_up_proj']],
], ([arch]) => arch === 'gpt2'))('one LoRA SGD step equals A, B − lr·∇L (%s, %o)', (arch, targets) => {
  it('sft', async () => {
    const seqs = sftSequences();
    const step = await oneLoraStep({ arch, algo: 'sft', rows: SFT_ROWS, targets, train: { completion_only_loss: true } });
    const { relError, checked } = loraUpdateError(step, (w) => refSftLoss(step.config, w, seqs));
    expect(checked).toBeGreaterThan(8);
    expect(relError).toBeLessThan(1e-3);
  });

  it('dpo: the reference is the base with the adapter off', async () => {
    const ps = prefPairs();
    const step = await oneLoraStep({ arch, algo: 'dpo', rows: PREF_ROWS, targets, train: { loss_type: 'sigmoid', beta: 0.5 } });
    // the reference log-probs come from the base weights alone, not the starting adapter
    const ref = { chosen: completionLogps(step.config, step.base, ps.map((p) => p.chosen)), rejected: completionLogps(step.config, step.base, ps.map((p) => p.rejected)) };
    const { relError } = loraUpdateError(step, (w) => refDpoLoss(step.config, w, ps, ref, { type: 'sigmoid', beta: 0.5, eps: 0 }));
    expect(relError).toBeLessThan(1e-3);
  });
});
