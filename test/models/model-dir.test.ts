import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fromCanonicalWeights,
  initModelDir,
  initWeights,
  saveModelDir,
  toCanonicalWeights,
  Tokenizer,
  writeCheckpoint,
  type StoredTensor,
} from '@aligntune/core';
import { loadModelDir, MODEL_TYPES, presetConfig } from './model-types.js';
import { tempDir, tinyTokenizer } from './helpers.js';
import { referenceForward, refWeights } from './reference/reference-forward.js';

const raw = (t: StoredTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('model directories', () => {
  it('saves and loads a model with config, generation config and tokenizer', async () => {
    const tok = tinyTokenizer();
    const config = presetConfig('gpt2', 'tiny', { vocabSize: tok.vocabSize, bosTokenId: tok.bosTokenId, eosTokenId: tok.eosTokenId });
    const tensors = initWeights(config, 5);
    const dir = tempDir();
    await saveModelDir(dir, config, { tensors, tokenizer: tok });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const loaded = await loadModelDir(dir);
    expect(loaded.config).toEqual({ ...config, raw: { ...config.raw, torch_dtype: 'float32' } });
    expect(loaded.prefix).toBe('transformer.');
    expect(loaded.unused).toEqual([]);
    expect(loaded.generationConfig).toMatchObject({ bosTokenId: tok.bosTokenId, eosTokenIds: [tok.eosTokenId] });
    for (const [name, t] of tensors) expect(raw(loaded.tensors.get(name)!).equals(raw(t)), name).toBe(true);
    expect(loaded.weights.get('layers.1.attn.qkv.weight')!.shape).toEqual([64, 192]);
    const reloaded = await Tokenizer.fromDir(dir);
    expect(reloaded.contentHash()).toBe(tok.contentHash());
  });

  it('keeps GPT-2 names without the transformer. prefix and skips the attn.bias buffers', async () => {
    const config = presetConfig('gpt2', 'tiny', { vocabSize: 100, bosTokenId: 0, eosTokenId: 0 });
    const prefixed = initWeights(config, 1, { prefix: '' });
    expect(prefixed.has('wte.weight')).toBe(true);
    prefixed.set('h.0.attn.bias', { dtype: 'U8', shape: [1, 1, 4, 4], data: new Uint8Array(16) });
    prefixed.set('h.0.attn.masked_bias', { dtype: 'F32', shape: [], data: new Float32Array([-1e4]) });
    const src = tempDir();
    await writeCheckpoint(src, prefixed);
    writeFileSync(join(src, 'config.json'), JSON.stringify(config.raw));
    const loaded = await loadModelDir(src);
    expect(loaded.prefix).toBe('');
    expect(loaded.unused).toEqual([]);
    expect(loaded.generationConfig).toBeNull();
    const out = tempDir();
    await saveModelDir(out, loaded.config, { weights: loaded.weights, prefix: loaded.prefix });
    const again = await loadModelDir(out);
    expect([...again.tensors.keys()].sort()).toEqual([...prefixed.keys()].filter((k) => k !== 'h.0.attn.bias' && k !== 'h.0.attn.masked_bias').sort());
  });

  it('maps Llama weights to the canonical [in, out] layout and back bit-exactly', () => {
    const config = presetConfig('qwen2', 'tiny', { vocabSize: 120, bosTokenId: null, eosTokenId: 1 });
    const tensors = initWeights(config, 3);
    const { weights, prefix, unused } = toCanonicalWeights(config, tensors);
    expect(prefix).toBe('model.');
    expect(unused).toEqual([]);
    const q = tensors.get('model.layers.0.self_attn.k_proj.weight')!; // [32, 64]: out = 2 kv heads × 16
    const cq = weights.get('layers.0.attn.k.weight')!;
    expect(cq.shape).toEqual([64, 32]);
    expect(cq.data[5 * 32 + 7]).toBe(q.data[7 * 64 + 5]);
    expect(weights.get('layers.0.attn.q.bias')!.shape).toEqual([64]);
    expect(weights.has('lm_head.weight')).toBe(false); // tied
    const back = fromCanonicalWeights(config, weights);
    for (const [name, t] of tensors) expect(raw(back.get(name)!).equals(raw(t)), name).toBe(true);
  });

  it('names missing tensors and wrong shapes', () => {
    const config = presetConfig('llama', 'tiny', { vocabSize: 50, bosTokenId: 1, eosTokenId: 2 });
    const tensors = initWeights(config, 3);
    tensors.delete('model.layers.1.mlp.up_proj.weight');
    expect(() => toCanonicalWeights(config, tensors, '/m')).toThrow("/m: missing tensor 'model.layers.1.mlp.up_proj.weight' (shape [128, 64])");
    const t2 = initWeights(config, 3);
    t2.set('lm_head.weight', { dtype: 'F32', shape: [51, 64], data: new Float32Array(51 * 64) });
    expect(() => toCanonicalWeights(config, t2, '/m')).toThrow("/m: tensor 'lm_head.weight' has shape [51, 64], the config implies [50, 64]");
    t2.delete('model.embed_tokens.weight');
    expect(() => toCanonicalWeights(config, t2, '/m')).toThrow('/m: no token embedding found (expected model.embed_tokens.weight or embed_tokens.weight)');
  });

  it('saves BF16 and sharded checkpoints that load back (F16/BF16 converted on load)', async () => {
    const config = presetConfig('llama', 'tiny', { vocabSize: 200, bosTokenId: 1, eosTokenId: 2 });
    const { weights } = toCanonicalWeights(config, initWeights(config, 9));
    const dir = tempDir();
    await saveModelDir(dir, config, { weights, dtype: 'BF16', maxShardSize: '40KB' });
    expect(existsSync(join(dir, 'model.safetensors.index.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    const loaded = await loadModelDir(dir);
    const embed = loaded.tensors.get('model.embed_tokens.weight')!;
    expect(embed).toMatchObject({ dtype: 'F32', storedDtype: 'BF16' });
    const orig = weights.get('embed.tokens')!.data;
    for (let i = 0; i < 50; i++) expect(Math.abs(embed.data[i] as number - orig[i]!)).toBeLessThanOrEqual(Math.abs(orig[i]!) * 2 ** -8);
  });

  it('initModelDir writes a preset model for a tokenizer that loads and runs', async () => {
    const tok = tinyTokenizer();
    const dir = tempDir();
    const config = await initModelDir(dir, { modelTypes: MODEL_TYPES, arch: 'qwen3', size: 'tiny', tokenizer: tok, seed: 1, dtype: 'BF16' });
    expect(config).toMatchObject({ vocabSize: tok.vocabSize, eosTokenIds: [tok.eosTokenId], padTokenId: tok.ownPadTokenId, bosTokenId: 1 });
    const loaded = await loadModelDir(dir);
    expect(loaded.config.raw.torch_dtype).toBe('bfloat16');
    const ids = (await Tokenizer.fromDir(dir)).encode('Hello world');
    const { logits } = referenceForward(loaded.config, refWeights(loaded.tensors), { inputIds: [ids] });
    expect(logits[0]).toHaveLength(ids.length);
    expect(logits[0]![0]).toHaveLength(tok.vocabSize);
    expect(logits[0]!.every((row) => row.every(Number.isFinite))).toBe(true);
  });
});
