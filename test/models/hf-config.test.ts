import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generationConfigFromModel,
  ModelFileError,
  parseGenerationConfig,
  readGenerationConfig,
  withSequenceClassificationHead,
} from '@aligntune/core';
import type { LlamaConfig } from '@aligntune/plugin-arch-llama';
import { parseModelConfig, readModelConfig } from './model-types.js';
import { tempDir } from './helpers.js';

// Field values as published in the models' config.json files.
const GPT2 = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  bos_token_id: 50256,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  vocab_size: 50257,
};
const TINYLLAMA = {
  architectures: ['LlamaForCausalLM'],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 5632,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 22,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  tie_word_embeddings: false,
  vocab_size: 32000,
};
const MISTRAL = { ...TINYLLAMA, architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 32768, rope_theta: 10000.0, sliding_window: 4096 };
const QWEN25 = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};
const QWEN3 = { ...QWEN25, architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', attention_bias: false, head_dim: 128, hidden_size: 1024, intermediate_size: 3072, num_attention_heads: 16, num_hidden_layers: 28, num_key_value_heads: 8, max_position_embeddings: 40960, sliding_window: null };

describe('config.json parsing', () => {
  it('reads GPT-2 (n_inner null → 4·n_embd, tied embeddings by default)', () => {
    const c = parseModelConfig({ ...GPT2, n_inner: null });
    expect(c).toMatchObject({
      family: 'gpt2',
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      numKvHeads: 12,
      headDim: 64,
      intermediateSize: 3072,
      maxPositionEmbeddings: 1024,
      vocabSize: 50257,
      layerNormEps: 1e-5,
      activation: 'gelu_new',
      tieWordEmbeddings: true,
      bosTokenId: 50256,
      eosTokenIds: [50256],
      padTokenId: null,
      head: { kind: 'causal-lm' },
    });
    expect(parseModelConfig({ ...GPT2, n_layer: 6, n_inner: 1000 })).toMatchObject({ numLayers: 6, intermediateSize: 1000 }); // distilgpt2-like
  });

  it('reads Llama (GQA, head_dim from hidden/heads, untied)', () => {
    const c = parseModelConfig(TINYLLAMA) as LlamaConfig;
    expect(c).toMatchObject({ family: 'llama', numHeads: 32, numKvHeads: 4, headDim: 64, rmsNormEps: 1e-5, ropeTheta: 10000, ropeScaling: null, tieWordEmbeddings: false, qkvBias: false, outBias: false, qkNorm: false, slidingWindow: null, maxPositionEmbeddings: 2048 });
    expect(parseModelConfig({ ...TINYLLAMA, num_key_value_heads: undefined })).toMatchObject({ numKvHeads: 32 });
    expect(parseModelConfig({ ...TINYLLAMA, attention_bias: true })).toMatchObject({ qkvBias: true, outBias: true });
    expect(parseModelConfig({ ...TINYLLAMA, rope_scaling: { type: 'linear', factor: 2 } })).toMatchObject({ ropeScaling: { type: 'linear', factor: 2 } });
    expect(parseModelConfig({ ...TINYLLAMA, rope_scaling: { rope_type: 'linear', factor: 4.0 } })).toMatchObject({ ropeScaling: { factor: 4 } });
  });

  it('reads Mistral (sliding window), Qwen2 (q/k/v biases by default) and Qwen3 (head_dim from config, q/k norm)', () => {
    expect(parseModelConfig(MISTRAL)).toMatchObject({ modelType: 'mistral', slidingWindow: 4096, qkvBias: false, numKvHeads: 8 });
    expect(parseModelConfig({ ...MISTRAL, sliding_window: null })).toMatchObject({ slidingWindow: null });
    expect(parseModelConfig(QWEN25)).toMatchObject({ modelType: 'qwen2', qkvBias: true, outBias: false, tieWordEmbeddings: true, ropeTheta: 1e6, headDim: 64, numKvHeads: 2 });
    expect(parseModelConfig(QWEN3)).toMatchObject({ modelType: 'qwen3', headDim: 128, qkNorm: true, qkvBias: false, maxPositionEmbeddings: 40960 });
  });

  it('accepts transformers 5 rope_parameters', () => {
    expect(parseModelConfig({ ...TINYLLAMA, rope_parameters: { rope_type: 'default', rope_theta: 500000 } })).toMatchObject({ ropeTheta: 500000, ropeScaling: null });
    expect(parseModelConfig({ ...TINYLLAMA, rope_parameters: { rope_type: 'linear', rope_theta: 1e4, factor: 2 } })).toMatchObject({ ropeScaling: { factor: 2 } });
  });

  it('reads *ForSequenceClassification configs (num_labels or id2label)', () => {
    expect(parseModelConfig({ ...GPT2, architectures: ['GPT2ForSequenceClassification'], id2label: { 0: 'LABEL_0' } }).head).toEqual({ kind: 'sequence-classification', numLabels: 1 });
    expect(parseModelConfig({ ...QWEN25, architectures: ['Qwen2ForSequenceClassification'], num_labels: 3 }).head).toEqual({ kind: 'sequence-classification', numLabels: 3 });
    const value = withSequenceClassificationHead(parseModelConfig(TINYLLAMA));
    expect(value.head).toEqual({ kind: 'sequence-classification', numLabels: 1 });
    expect(value.raw).toMatchObject({ architectures: ['LlamaForSequenceClassification'], id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } });
  });

  const errors: [string, Record<string, unknown>, RegExp][] = [
    ['unsupported model_type', { ...GPT2, model_type: 'bert' }, /field "model_type": "bert" is not supported \(supported: gemma2, gemma3, gemma3_text, gpt2, llama, mistral, mixtral, olmo2, olmoe, phi3, qwen2, qwen2_moe, qwen3, qwen3_moe, smollm3\)/],
    ['missing model_type', { n_embd: 4 }, /field "model_type": is required but missing/],
    ['missing field', { ...TINYLLAMA, hidden_size: undefined }, /field "hidden_size": is required but missing/],
    ['wrong type', { ...GPT2, n_layer: '12' }, /field "n_layer": must be a positive integer, got "12"/],
    ['rope type', { ...TINYLLAMA, rope_scaling: { type: 'ntk', factor: 2 } }, /field "rope_scaling.type": rope type "ntk" is not supported/],
    ['rope llama3 fields', { ...TINYLLAMA, rope_scaling: { rope_type: 'llama3', factor: 8 } }, /field "rope_scaling.low_freq_factor": must be a positive number/],
    ['linear without factor', { ...TINYLLAMA, rope_scaling: { type: 'linear' } }, /field "rope_scaling.factor": must be a positive number, got undefined/],
    ['GQA mismatch', { ...TINYLLAMA, num_key_value_heads: 5 }, /field "num_key_value_heads": 5 does not divide num_attention_heads 32/],
    ['activation', { ...GPT2, activation_function: 'relu' }, /field "activation_function": "relu" is not supported/],
    ['hidden_act', { ...TINYLLAMA, hidden_act: 'gelu' }, /field "hidden_act": "gelu" is not supported/],
    ['qwen sliding window', { ...QWEN25, use_sliding_window: true }, /field "use_sliding_window"/],
    ['n_head', { ...GPT2, n_head: 7 }, /field "n_head": n_embd 768 is not divisible by n_head 7/],
  ];
  for (const [label, raw, message] of errors) {
    it(`gives a clear error: ${label}`, () => {
      const err = (() => {
        try {
          parseModelConfig(raw, '/models/x/config.json');
        } catch (e) {
          return e as Error;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(ModelFileError);
      expect(err!.message).toMatch(message);
      expect(err!.message.startsWith('/models/x/config.json: ')).toBe(true);
    });
  }

  it('reads from a directory and names the file when it is missing or not JSON', async () => {
    const dir = tempDir();
    await expect(readModelConfig(dir)).rejects.toThrow(new RegExp(`${join(dir, 'config.json')}: cannot read`));
    writeFileSync(join(dir, 'config.json'), '{not json');
    await expect(readModelConfig(dir)).rejects.toThrow(/config.json: invalid JSON/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(QWEN3));
    expect((await readModelConfig(dir)).modelType).toBe('qwen3');
  });
});

describe('generation_config.json', () => {
  it('parses sampling fields and eos lists, and is optional', async () => {
    const dir = tempDir();
    expect(await readGenerationConfig(dir)).toBeNull();
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 151643, eos_token_id: [151645, 151643], pad_token_id: 151643, do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20, repetition_penalty: 1.05, transformers_version: '4.37.0' }));
    expect(await readGenerationConfig(dir)).toMatchObject({ eosTokenIds: [151645, 151643], padTokenId: 151643, doSample: true, temperature: 0.7, topP: 0.8, topK: 20, repetitionPenalty: 1.05 });
    expect(() => parseGenerationConfig({ eos_token_id: 'x' })).toThrow(/field "eos_token_id": must be a token id or a list/);
    expect(generationConfigFromModel(parseModelConfig(GPT2))).toEqual({ bos_token_id: 50256, eos_token_id: 50256 });
  });
});
