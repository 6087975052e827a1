import { describe, expect, it } from 'vitest';
import { grpoKernel } from '../training/grpo-helpers.js';
import { completionTokenLogps, refAdvantages, refGrpoLoss, type RefSample } from '../training/grpo-reference.js';
import { casesForBackend, tinyTokenizer, type TinyArch } from '../training/helpers.js';
import { rlooKernel } from '../training/rloo-helpers.js';
import { refRlooAdvantages, refRlooLoss } from '../training/rloo-reference.js';
import { readSafetensors } from '@aligntune/core';
import { join } from 'node:path';
import { ppoKernel, valueWeightsFile, writeTinyScoreModel } from '../training/ppo-helpers.js';
import { completionTokenValues, refPolicyLoss, refRolloutStats, refValueLoss } from '../training/ppo-reference.js';
import { updateError } from '../training/helpers.js';
import { rewardKernel, refPairs, refRewardLoss, sequenceClassificationStart } from '../training/reward-helpers.js';
import { GROUP_ROWS } from '../training/exactness-rows.js';
import { effectiveWeights, float64, loraUpdateError, oneLoraStep } from './lora-helpers.js';

/**
 * GRPO, RLOO and reward-model training with LoRA: one replayed SGD step moves A and B (and the reward model's score
 * head, trained in full as PEFT's SEQ_CLS does) by −lr·∇L of the formulas on the float64 reference forward of
 * W + (α/r)·B·A; the KL reference is the base with the adapter off, the old policy the starting adapter.
 */
const ROWS = GROUP_ROWS;
const LR = 0.5;
const TARGETS: Record<TinyArch, string[]> = { gpt2: ['c_attn', 'c_proj'], llama: ['q_proj', 'o_proj', 'up_proj'], qwen2_moe: ['k_proj', 'v_proj'] };

function samples(): RefSample[] {
  const tok = tinyTokenizer();
  return ROWS.map((r) => ({ prompt: tok.encode(r.prompt), completion: [...tok.encode(r.completion, { addSpecialTokens: false }), tok.eosTokenId!] }));
}


// the onnxruntime-node twin: gpt2 (and the reward model below)
describe.each<[TinyArch]>(casesForBackend([['gpt2'], ['llama']], ([arch]) => arch === 'gpt2'))('LoRA, one replayed SGD step (%s)', (arch) => {
  it('grpo with β > 0: KL to the base', async () => {
    const o = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0.3, temperature: 1, level: 'token' as const, lossType: 'grpo' as const, maxCompletionLength: 12 };
    const step = await oneLoraStep({
      arch, algo: 'grpo', rows: ROWS, targets: TARGETS[arch], kernel: grpoKernel(),
      replay: true,
      train: { learning_rate: LR, num_generations: 3, max_completion_length: 12, beta: 0.3 },
    });
    const s = samples();
    const old = completionTokenLogps(step.config, effectiveWeights(step.base, step.fixture, float64(step.fixture.tensors)), s, 1);
    const ref = completionTokenLogps(step.config, step.base, s, 1);
    const A = refAdvantages(ROWS.map((r) => r.reward), 3, 'group');
    const { relError, checked } = loraUpdateError(step, (w) => refGrpoLoss(step.config, w, s, A, old, ref, o), LR);
    expect(checked).toBeGreaterThan(8);
    expect(relError).toBeLessThan(1e-3);
  });

  it('rloo: KL to the base in the advantages', async () => {
    const o = { k: 3, klCoef: 0.3, tokenLevelKl: false, normalizeAdvantage: false, cliprange: 0.2, temperature: 0.7 };
    const step = await oneLoraStep({
      arch, algo: 'rloo', rows: ROWS, targets: TARGETS[arch], kernel: rlooKernel(),
      replay: true,
      train: { learning_rate: LR, rloo_k: 3, kl_coef: 0.3, num_ppo_epochs: 1, rollout_batch_size: ROWS.length, temperature: 0.7 },
    });
    const s = samples();
    const old = completionTokenLogps(step.config, effectiveWeights(step.base, step.fixture, float64(step.fixture.tensors)), s, 0.7);
    const ref = completionTokenLogps(step.config, step.base, s, 0.7);
    const { advantages } = refRlooAdvantages(ROWS.map((r) => r.reward), old, ref, o);
    const rows = ROWS.map((_, i) => i);
    const { relError } = loraUpdateError(step, (w) => refRlooLoss(step.config, w, s, rows, advantages, old, o), LR);
    expect(relError).toBeLessThan(2e-3);
  });

  it('ppo: the policy trains adapters, the value model (a separate model, as in TRL) trains in full', async () => {
    const o = { temperature: 0.7, klCoef: 0.2, klEstimator: 'k1' as const, gamma: 1, lam: 0.95, whitenRewards: false, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1 };
    let value: Awaited<ReturnType<typeof writeTinyScoreModel>> | undefined;
    const step = await oneLoraStep({
      arch, algo: 'ppo', rows: ROWS.map(({ reward, ...r }) => ({ ...r, score: reward })), targets: TARGETS[arch], kernel: ppoKernel(), replay: true,
      train: { learning_rate: LR, num_ppo_epochs: 1, kl_coef: 0.2, rollout_batch_size: ROWS.length, temperature: 0.7 },
      companions: async (dir) => {
        value = await writeTinyScoreModel(join(dir, 'value'), arch, 9);
        return { value_path: join(dir, 'value') };
      },
    });
    const s = samples();
    const start = effectiveWeights(step.base, step.fixture, float64(step.fixture.tensors));
    const stats = refRolloutStats(
      completionTokenLogps(step.config, start, s, 0.7),
      completionTokenLogps(step.config, step.base, s, 0.7),
      completionTokenValues(value!.config, float64(value!.tensors), s),
      ROWS.map((r) => r.reward),
      o,
    );
    const rows = ROWS.map((_, i) => i);
    const policyCheck = loraUpdateError(step, (w) => refPolicyLoss(step.config, w, s, rows, stats, o), LR);
    const valueAfter = (await readSafetensors(valueWeightsFile(join(step.out, 'final')))).tensors;
    const valueCheck = updateError(value!.tensors, valueAfter, (w) => o.vfCoef * refValueLoss(value!.config, w, s, rows, stats, o), LR);
    for (const { relError } of [policyCheck, valueCheck]) expect(relError).toBeLessThan(1e-3);
  });
});

it('reward model with LoRA: adapters plus the score head (modules_to_save) follow −lr·∇L', async () => {
  const rows = [
    { prompt: 'pick a colour', chosen: 'blue sky', rejected: 'no' },
    { prompt: 'say hi', chosen: 'hi there friend', rejected: 'bye' },
  ];
  const step = await oneLoraStep({
    arch: 'llama', algo: 'reward', rows, targets: ['q_proj', 'gate_proj'], kernel: rewardKernel(), modulesToSave: ['score'],
    model: (dir) => sequenceClassificationStart(dir, 'llama', 3),
  });
  const pairs = refPairs(tinyTokenizer(), rows);
  const { relError, checked } = loraUpdateError(step, (w) => refRewardLoss(step.config, w, pairs));
  expect(checked).toBeGreaterThan(8);
  expect(relError).toBeLessThan(1e-3);
});
