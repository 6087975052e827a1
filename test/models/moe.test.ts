import { describe, expect, it } from 'vitest';
import { DecoderModel, declareTokenInputs, grad, Graph, hostTensor, hostValues, hostWeights, parameterCount, RewardModel, tensorSpecs, toCanonicalWeights, withSequenceClassificationHead, type HfModelConfig } from '@aligntune/core';
import { MOE_CHECKPOINT_CONFIGS, routeTopK, topKMask, type MoeConfig } from '@aligntune/plugin-arch-moe';
import { gradCheck } from '../engine/helpers.js';
import { paddedRows, randomTensors, runGraph, tinyConfig, tinyModel, tokenFeeds } from './graph-helpers.js';
import { MOE_TINY_CONFIGS } from './moe-fixtures.js';
import { parseModelConfig, presetConfig } from './model-types.js';
import { lastTokenScores, referenceForward, refWeights } from './reference/reference-forward.js';
import { refRouterAuxLoss } from './reference/ref-router-loss.js';

const MOE_TYPES = Object.keys(MOE_TINY_CONFIGS);
const AUX_ON = { output_router_logits: true, router_aux_loss_coef: 0.25 };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('top-k routing built from pairwise comparisons', () => {
  it('keeps the k largest entries, ties to the lower index as torch.topk', async () => {
    const g = new Graph('topk');
    const x = g.input('x', 'float32', [3, 4]);
    const out = await runGraph(g, { kept: g.cast(topKMask(g, x, 2), 'float32') }, { x: hostTensor('float32', [3, 4], [1, 3, 3, 2, 5, 5, 5, 5, -1, 0.5, 0.25, 4]) });
    expect([...hostValues(out.kept!)]).toEqual([0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1]);
  });

  for (const normalize of [false, true]) {
    it(`differentiates the kept probabilities only (${normalize ? 'renormalised: dropped logits get no gradient' : 'unnormalised: the softmax still reaches every logit'})`, async () => {
      const logits = Array.from({ length: 2 * 3 * 6 }, (_, i) => Math.sin(i * 1.7) * 2); // distinct values: no ties
      const feeds = { x: hostTensor('float64', [2, 3, 6], logits) };
      const build = (g: Graph) => {
        const x = g.input('x', 'float64', [2, 3, 6]);
        return { out: routeTopK(g, x, 2, normalize).weights, wrt: [x] };
      };
      const check = await gradCheck({ dtype: 'float64', feeds, build }, new Graph('route-grad'), 24);
      expect(check.maxRelErr).toBeLessThan(1e-6); // autodiff through where(mask) equals finite differences
      const g = new Graph('route');
      const { out, wrt } = build(g);
      const weights = [0, 1, 2, 3, 4, 5].map((e) => g.input(`c${e}`, 'float64', []));
      const loss = g.reduceSum(g.mul(out, g.concat(weights.map((c) => g.reshape(c, [1])), 0)));
      const [dx] = grad(g, loss, wrt);
      const cFeeds = Object.fromEntries([0, 1, 2, 3, 4, 5].map((e) => [`c${e}`, hostTensor('float64', [], [e + 1])]));
      const got = await runGraph(g, { dx: dx!, kept: g.cast(topKMask(g, wrt[0]!, 2), 'float64') }, { ...feeds, ...cFeeds });
      const kept = hostValues(got.kept!);
      const dropped = [...hostValues(got.dx!)].filter((_, i) => kept[i] === 0);
      expect(dropped).toHaveLength(2 * 3 * 4);
      if (normalize) expect(Math.max(...dropped.map(Math.abs))).toBeLessThan(1e-12); // zero up to rounding
      else expect(Math.max(...dropped.map(Math.abs))).toBeGreaterThan(1e-3);
    });
  }
});

describe('MoE model types against the float64 transformers reference', () => {
  it('the fixtures exercise what they claim: routing, renormalisation, the shared expert and dense layers change the logits', () => {
    const rows = paddedRows(48);
    const logitsOf = (name: string, extra: Record<string, unknown>, tensors = randomTensors(tinyConfig(name), 5)) =>
      referenceForward(tinyConfig(name, extra), refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask }).logits[0]![6]!;
    for (const name of MOE_TYPES) {
      const c = tinyConfig(name) as MoeConfig;
      expect(maxDiff(logitsOf(name, {}), logitsOf(name, { num_experts_per_tok: c.numExperts }))).toBeGreaterThan(1e-3); // top k ≠ all experts
    }
    expect(maxDiff(logitsOf('qwen3_moe', {}), logitsOf('qwen3_moe', { norm_topk_prob: false }))).toBeGreaterThan(1e-3);
    expect(maxDiff(logitsOf('olmoe', {}), logitsOf('olmoe', { norm_topk_prob: true }))).toBeGreaterThan(1e-3);
    const qwen2 = randomTensors(tinyConfig('qwen2_moe'), 5);
    const noShared = new Map(qwen2).set('model.layers.1.mlp.shared_expert_gate.weight', { dtype: 'F32', shape: [1, 16], data: new Float32Array(16).fill(-1e4) });
    expect(maxDiff(logitsOf('qwen2_moe', {}, qwen2), logitsOf('qwen2_moe', {}, noShared))).toBeGreaterThan(1e-3);
    // decoder_sparse_step 2: layers 0 and 2 dense, layer 1 sparse; mlp_only_layers [0]: layer 0 dense
    const names = (name: string) => tensorSpecs(tinyConfig(name)).map((s) => s.hfName);
    expect(names('qwen2_moe')).toEqual(expect.arrayContaining(['model.layers.0.mlp.gate_proj.weight', 'model.layers.1.mlp.experts.3.down_proj.weight', 'model.layers.1.mlp.shared_expert_gate.weight', 'model.layers.2.mlp.up_proj.weight']));
    expect(names('qwen3_moe')).toEqual(expect.arrayContaining(['model.layers.0.mlp.gate_proj.weight', 'model.layers.1.mlp.gate.weight', 'model.layers.1.self_attn.q_norm.weight']));
    expect(names('mixtral')).toEqual(expect.arrayContaining(['model.layers.0.block_sparse_moe.gate.weight', 'model.layers.1.block_sparse_moe.experts.3.w3.weight']));
    expect(tensorSpecs(tinyConfig('olmoe')).find((s) => s.hfName === 'model.layers.0.self_attn.k_norm.weight')!.hfShape).toEqual([16]);
  });

  for (const name of MOE_TYPES) {
    it(`${name}: aux_loss of the training forward equals load_balancing_loss_func over the real tokens`, async () => {
      const { model, tensors } = tinyModel(name, 11, AUX_ON);
      const g = new Graph(`aux-${name}`);
      const { auxiliaryLosses, weights } = model.forward(g, declareTokenInputs(g), 'input');
      expect(auxiliaryLosses.map((a) => [a.name, a.coefficient])).toEqual([['aux_loss', 0.25]]);
      const rows = paddedRows(model.config.vocabSize);
      const out = await runGraph(g, { aux: auxiliaryLosses[0]!.value }, { ...tokenFeeds(rows), ...weights.feeds() });
      const expected = refRouterAuxLoss(model.config as MoeConfig, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask });
      expect(expected).toBeGreaterThan(1); // E · Σ f·P ≥ 1 up to top-k counting: far from 0
      expect(Math.abs(hostValues(out.aux!)[0]! - expected) / expected).toBeLessThan(1e-5);
      // padding is excluded: a padded row's logits at its padding positions must not count
      const unpadded = refRouterAuxLoss(model.config as MoeConfig, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask.map((m) => m.map(() => 1)) });
      expect(Math.abs(unpadded - expected)).toBeGreaterThan(1e-4);
    });
  }

  it('contributes no auxiliary loss unless output_router_logits is true (transformers: the router logits are not returned)', () => {
    const { model } = tinyModel('mixtral', 1);
    const g = new Graph('no-aux');
    expect(model.forward(g, declareTokenInputs(g), 'input').auxiliaryLosses).toEqual([]);
    expect((tinyConfig('mixtral', { output_router_logits: true }) as MoeConfig).routerAuxLossCoef).toBe(0.02); // the checkpoint's coefficient
    expect((tinyConfig('olmoe', { output_router_logits: true, router_aux_loss_coef: undefined }) as MoeConfig).routerAuxLossCoef).toBe(0.01); // OlmoeConfig's default
  });

  for (const name of MOE_TYPES) {
    it(`${name}: sequence-classification head (score, ${name} class name) pools the last real token like the reference`, async () => {
      const config = withSequenceClassificationHead(tinyConfig(name), 2);
      expect(config.architectures[0]).toMatch(/^(Mixtral|Qwen2Moe|Qwen3Moe|Olmoe)ForSequenceClassification$/);
      const tensors = randomTensors(config, 13);
      expect([...tensors.keys()]).toContain('score.weight');
      const { model } = tinyModel(name, 13);
      const reward = new RewardModel(new DecoderModel({ config, architecture: model.architecture, weights: hostWeights(toCanonicalWeights(config, tensors).weights) }));
      const g = new Graph(`score-${name}`);
      const { scores } = reward.forward(g, declareTokenInputs(g), '', 'initializer');
      const rows = paddedRows(config.vocabSize);
      const got = hostValues((await runGraph(g, { scores }, tokenFeeds(rows))).scores!);
      const ref = lastTokenScores(referenceForward(config, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask }), rows.mask);
      expect(maxDiff(got, ref.flatMap((r) => [...r]))).toBeLessThan(1e-4);
    });
  }
});

describe('MoE config.json', () => {
  it('reads the real checkpoints at full size: parameter counts equal the published totals', () => {
    const counts = Object.fromEntries(Object.entries(MOE_CHECKPOINT_CONFIGS).map(([id, raw]) => [id, parameterCount(parseModelConfig(raw, id))]));
    expect(counts).toEqual({
      'mistralai/Mixtral-8x7B-v0.1': 46_702_792_704,
      'Qwen/Qwen3-30B-A3B': 30_532_122_624,
      'allenai/OLMoE-1B-7B-0924': 6_919_161_856,
      'Qwen/Qwen1.5-MoE-A2.7B': 14_315_784_192,
    });
  });

  it('model init presets: tiny and small for every MoE type, 4 experts with 2 per token', () => {
    for (const type of MOE_TYPES) {
      for (const size of ['tiny', 'small'] as const) {
        const c = presetConfig(type, size, { vocabSize: 300, bosTokenId: 1, eosTokenId: 2 }) as MoeConfig;
        expect([c.modelType, c.numExperts, c.numExpertsPerTok, c.sparseLayers.every(Boolean), c.routerAuxLossCoef]).toEqual([type, 4, 2, true, null]);
      }
    }
  });

  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['mixtral', { router_jitter_noise: 0.01 }, /field "router_jitter_noise": random router jitter/],
    ['olmoe', { clip_qkv: 8 }, /field "clip_qkv": clipping/],
    ['qwen3_moe', { use_sliding_window: true }, /field "use_sliding_window"/],
    ['qwen2_moe', { num_experts_per_tok: 5 }, /field "num_experts_per_tok": 5 is more than the 4 experts \(num_experts\)/],
    ['mixtral', { hidden_act: 'gelu' }, /field "hidden_act": "gelu" is not supported/],
    ['qwen3_moe', { mlp_only_layers: [2] }, /field "mlp_only_layers": must be a list of layer indices below num_hidden_layers 2/],
    ['olmoe', { head_dim: 8 }, /field "head_dim": 8 × 4 heads must equal hidden_size 16/],
    ['qwen2_moe', { shared_expert_intermediate_size: undefined }, /field "shared_expert_intermediate_size": is required/],
  ];
  it.each(refusals)('%s refuses %o naming the field', (name, extra, message) => {
    const raw: Record<string, unknown> = { ...MOE_TINY_CONFIGS[name], ...extra };
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete raw[k];
    expect(() => parseModelConfig(raw, `${name}/config.json`)).toThrow(message);
  });

  it('keeps the checkpoint fields it routes by', () => {
    const q: HfModelConfig = parseModelConfig(MOE_CHECKPOINT_CONFIGS['Qwen/Qwen3-30B-A3B']!);
    expect((q as MoeConfig).normTopkProb).toBe(true);
    expect((parseModelConfig(MOE_CHECKPOINT_CONFIGS['allenai/OLMoE-1B-7B-0924']!) as MoeConfig).qkNorm).toBe('projection');
    expect((parseModelConfig(MOE_CHECKPOINT_CONFIGS['Qwen/Qwen1.5-MoE-A2.7B']!) as MoeConfig).slidingWindow).toBeNull(); // use_sliding_window false
  });
});
