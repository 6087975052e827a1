import { describe, expect, it } from 'vitest';
import { declareTokenInputs, encodeChatWithAssistantMask, Graph, hostValues, tensorSpecs, withSequenceClassificationHead } from '@aligntune/core';
import type { GemmaConfig } from '@aligntune/plugin-arch-gemma';
import type { Olmo2Config } from '@aligntune/plugin-arch-olmo2';
import { parseModelConfig, presetConfig } from './model-types.js';
import { cli } from '../helpers/run-cli.js';
import { realConfigJson } from './real-configs.js';
import { maxAbsDiff, paddedRows, runGraph, tinyConfig, tinyModel, tokenFeeds } from './graph-helpers.js';
import { referenceForward, refWeights } from './reference/reference-forward.js';
import { gemmaTokenizer } from './gemma-tokenizer.js';
import { assistantSpans, SAMPLE_CHAT } from './helpers.js';

const gemma = (raw: Record<string, unknown>) => parseModelConfig(raw, 'config.json') as GemmaConfig;

describe('Gemma 2 / Gemma 3 text and OLMo 2 config.json', () => {
  it('reads google/gemma-3-1b-it: 5 local layers per global one, local RoPE base, query_pre_attn_scalar, no caps', () => {
    const c = gemma(realConfigJson('gemma-3-1b-it'));
    expect(c).toMatchObject({ family: 'gemma', version: 3, hiddenSize: 1152, numHeads: 4, numKvHeads: 1, headDim: 256, slidingWindow: 512, queryPreAttnScalar: 256, attnLogitSoftcapping: null, finalLogitSoftcapping: null, qkNorm: true, tieWordEmbeddings: true, eosTokenIds: [1, 106] });
    expect(c.slidingLayers.map((s, i) => (s ? '' : i)).filter((i) => i !== '')).toEqual([5, 11, 17, 23]);
    expect(c.globalRope).toEqual({ ropeTheta: 1_000_000, ropeScaling: null });
    expect(c.localRope).toEqual({ ropeTheta: 10000, ropeScaling: null });
  });

  it('reads google/gemma-2-2b-it: alternating layers (local first), both soft-caps, one RoPE', () => {
    const c = gemma(realConfigJson('gemma-2-2b-it'));
    expect(c).toMatchObject({ version: 2, headDim: 256, numKvHeads: 4, attnLogitSoftcapping: 50, finalLogitSoftcapping: 30, qkNorm: false, slidingWindow: 4096 });
    expect(c.slidingLayers.slice(0, 4)).toEqual([true, false, true, false]);
    expect(c.localRope).toBe(c.globalRope);
  });

  it('reads layer_types and transformers 5 rope_parameters per layer type', () => {
    const c = gemma({ ...realConfigJson('gemma-3-1b-it'), num_hidden_layers: 3, layer_types: ['full_attention', 'sliding_attention', 'full_attention'], rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } } });
    expect(c.slidingLayers).toEqual([false, true, false]);
    expect(c.globalRope).toEqual({ ropeTheta: 1e6, ropeScaling: { type: 'linear', factor: 8 } });
    expect(c.localRope).toEqual({ ropeTheta: 1e4, ropeScaling: null });
  });

  it('reads allenai/OLMo-2-0425-1B', () => {
    const c = parseModelConfig(realConfigJson('olmo-2-0425-1b')) as Olmo2Config;
    expect(c).toMatchObject({ family: 'olmo2', hiddenSize: 2048, headDim: 128, numKvHeads: 16, ropeTheta: 500000, rmsNormEps: 1e-6, tieWordEmbeddings: false, padTokenId: 100277, eosTokenIds: [100257], slidingWindow: null });
  });

  it.each([
    ['gemma-3-1b-it', { hidden_activation: 'gelu' }, /field "hidden_activation": "gelu" is not supported \(supported: gelu_pytorch_tanh, gelu_new\)/],
    ['gemma-3-1b-it', { use_bidirectional_attention: true }, /field "use_bidirectional_attention": bidirectional/],
    ['gemma-3-1b-it', { layer_types: ['sliding_attention'] }, /field "layer_types": must list 26 entries/],
    ['gemma-2-2b-it', { final_logit_softcapping: -1 }, /field "final_logit_softcapping": must be a positive number or null/],
    ['gemma-3-1b-it', { model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'] }, /field "model_type": "gemma3" is Gemma3ForConditionalGeneration .*multimodal models are not supported/],
    ['olmo-2-0425-1b', { hidden_act: 'gelu' }, /field "hidden_act": "gelu" is not supported/],
  ])('refuses what the engine cannot run, naming the field (%s %o)', (name, change, message) => {
    expect(() => parseModelConfig({ ...realConfigJson(name), ...change }, 'config.json')).toThrow(message);
  });

  it('lays out the tensors under transformers names, Gemma norms initialised to zero (the norm scales by 1 + w)', () => {
    const specs = tensorSpecs(tinyConfig('gemma3'));
    const names = specs.map((s) => s.hfName);
    for (const n of ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm', 'self_attn.q_norm', 'self_attn.k_norm']) expect(names).toContain(`model.layers.0.${n}.weight`);
    expect(names).not.toContain('lm_head.weight'); // tied
    expect(specs.filter((s) => s.hfName.endsWith('norm.weight')).every((s) => s.init === 'zeros')).toBe(true);
    const olmo = tensorSpecs(tinyConfig('olmo2'));
    expect(olmo.find((s) => s.hfName === 'model.layers.0.self_attn.q_norm.weight')!.hfShape).toEqual([16]); // the whole projection
    expect(olmo.map((s) => s.hfName)).not.toContain('model.layers.0.input_layernorm.weight');
  });
});

describe('model init presets', () => {
  it('tiny presets have local and global layers; --preset names the presets a type offers (exit 2)', async () => {
    const tiny = presetConfig('gemma3_text', 'tiny', { vocabSize: 100, bosTokenId: 2, eosTokenId: 1 }) as GemmaConfig;
    expect(tiny.slidingLayers).toEqual([true, false]);
    const wrong = await cli('model', 'init', '--arch', 'gemma3_text', '--preset', 'gemma-2-2b', '--out', '/nonexistent/x');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--preset gemma-2-2b: expected one of tiny, small, gemma-3-1b');
  });
});

describe('the Gemma and OLMo 2 fixtures exercise what they claim (float64 reference)', () => {
  const rows = paddedRows(48);
  const logitsOf = (name: string, extra: Record<string, unknown>, tensors = tinyModel(name, 7).tensors) =>
    referenceForward(tinyConfig(name, extra), refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask }).logits[0]!;
  const diff = (a: ReturnType<typeof logitsOf>, b: ReturnType<typeof logitsOf>, t: number) => maxAbsDiff(a[t]!, b[t]!);

  it.each([
    ['gemma2', { attn_logit_softcapping: null }],
    ['gemma2', { final_logit_softcapping: null }],
    ['gemma2', { query_pre_attn_scalar: 8 }],
    ['gemma2', { sliding_window: null }],
    ['gemma3', { rope_local_base_freq: 1_000_000 }],
    ['gemma3', { rope_theta: 10000 }],
    ['gemma3', { sliding_window_pattern: 2 }],
  ])('%s changes with %o', (name, change) => {
    const tensors = tinyModel(name, 7).tensors;
    expect(diff(logitsOf(name, {}, tensors), logitsOf(name, change, tensors), 6)).toBeGreaterThan(1e-3);
  });

  it('a sliding window leaves positions inside it unchanged', () => {
    const tensors = tinyModel('gemma3', 7).tensors;
    expect(diff(logitsOf('gemma3', {}, tensors), logitsOf('gemma3', { sliding_window: null }, tensors), 2)).toBeLessThan(1e-12);
  });
});

describe('sequence-classification heads (reward and value models)', () => {
  const rows = paddedRows(48);
  for (const [name, cls] of [['gemma2', 'Gemma2'], ['gemma3', 'Gemma3Text'], ['olmo2', 'Olmo2']] as const) {
    it(`${name}: ${cls}ForSequenceClassification's score head equals the reference`, async () => {
      const head = withSequenceClassificationHead(tinyConfig(name), 1);
      expect(head.architectures).toEqual([`${cls}ForSequenceClassification`]);
      const { model, tensors } = tinyModel(name, 9, { architectures: head.architectures, id2label: { 0: 'LABEL_0' } });
      expect([...tensors.keys()].filter((n) => !n.startsWith('model.'))).toEqual(['score.weight']);
      const g = new Graph('score');
      const inputs = declareTokenInputs(g);
      const { hidden, weights } = model.forward(g, inputs, 'input');
      const out = hostValues((await runGraph(g, { scores: model.score(g, weights, hidden) }, { ...tokenFeeds(rows), ...weights.feeds() })).scores!);
      const ref = referenceForward(model.config, refWeights(tensors), { inputIds: rows.ids, attentionMask: rows.mask });
      rows.mask.forEach((m, b) => m.forEach((real, t) => real && expect(Math.abs(out[b * 7 + t]! - ref.logits[b]![t]![0]!)).toBeLessThan(1e-4)));
    });
  }
});

describe("Gemma's chat template", () => {
  const tok = gemmaTokenizer();
  const chat = [{ role: 'system', content: 'Be brief.' }, ...SAMPLE_CHAT.slice(1, 4), { role: 'assistant', content: ' Paris. ' }];

  it('renders turns as <start_of_turn>user / model, the system prompt inside the first user turn', () => {
    expect(tok.applyChatTemplate(chat.slice(0, 3))).toBe('<bos><start_of_turn>user\nBe brief.\n\nWhat is two plus two?<end_of_turn>\n<start_of_turn>model\nThe answer is four.<end_of_turn>\n');
    expect(tok.applyChatTemplate(chat.slice(1, 2), { addGenerationPrompt: true })).toBe('<bos><start_of_turn>user\nWhat is two plus two?<end_of_turn>\n<start_of_turn>model\n');
    expect([tok.padTokenId, tok.eosTokenId, tok.bosTokenId]).toEqual([0, 1, 2]);
    expect(tok.encodeChat(chat.slice(1, 2)).filter((id) => id === 2)).toHaveLength(1); // the template's <bos>, not a second one
  });

  it('masks exactly the model turns: content and <end_of_turn>, not the "\\n" after it nor <start_of_turn>model', () => {
    const { inputIds, assistantMask } = encodeChatWithAssistantMask(tok, chat);
    const spans = assistantSpans(tok, { inputIds, assistantMask });
    expect(spans).toEqual(['The answer is four.<end_of_turn>', 'Paris.<end_of_turn>']);
  });

  it('refuses roles that do not alternate, as the template does', () => {
    expect(() => tok.applyChatTemplate([chat[1]!, chat[1]!])).toThrow(/Conversation roles must alternate/);
  });
});
