import { describe, expect, it } from 'vitest';
import { parameterCount } from '@aligntune/core';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from './helpers.js';
import { presetConfig } from './model-types.js';

/** Published parameter counts (safetensors totals on the Hub) of the checkpoints `model init` can shape. */
const PUBLISHED: [string, string, number, Record<string, unknown>][] = [
  ['llama', 'llama-3.2-1b', 1_235_814_400, { tieWordEmbeddings: true, eosTokenIds: [128001, 128008, 128009], ropeScaling: { type: 'llama3', factor: 32 } }],
  ['llama', 'llama-3.1-8b', 8_030_261_248, { tieWordEmbeddings: false, ropeScaling: { type: 'llama3', factor: 8, originalMaxPositions: 8192 } }],
  ['phi3', 'phi-3-mini-4k', 3_821_079_552, { tieWordEmbeddings: false, slidingWindow: 2047, eosTokenIds: [32000] }],
  // Phi-4-mini: tied 200064-token embedding, 3/4 of each head rotating, LongRoPE past 4096 positions
  ['phi3', 'phi-4-mini', 3_836_021_760, { tieWordEmbeddings: true, vocabSize: 200064, numKvHeads: 8, eosTokenIds: [199999], ropeScaling: { type: 'longrope', originalMaxPositions: 4096 } }],
  ['smollm3', 'smollm3-3b', 3_075_098_624, { tieWordEmbeddings: true, ropeTheta: 5000000, bosTokenId: 128000, eosTokenIds: [128012], padTokenId: 128004 }],
  ['gemma3_text', 'gemma-3-1b', 999_885_952, { vocabSize: 262144, bosTokenId: 2, eosTokenIds: [1, 106], padTokenId: 0 }],
  ['gemma2', 'gemma-2-2b', 2_614_341_888, { vocabSize: 256000, eosTokenIds: [1, 107], finalLogitSoftcapping: 30 }],
  ['olmo2', 'olmo-2-1b', 1_484_916_736, { vocabSize: 100352, bosTokenId: null, eosTokenIds: [100257], padTokenId: 100277 }],
  // the MoE checkpoints, named by their Hub repository
  ['mixtral', 'mixtral-8x7b-v0.1', 46_702_792_704, { numExperts: 8, numExpertsPerTok: 2 }],
  ['qwen2_moe', 'qwen1.5-moe-a2.7b', 14_315_784_192, { numExperts: 60, numExpertsPerTok: 4 }],
  ['qwen3_moe', 'qwen3-30b-a3b', 30_532_122_624, { numExperts: 128, numExpertsPerTok: 8 }],
  ['olmoe', 'olmoe-1b-7b-0924', 6_919_161_856, { numExperts: 64, numExpertsPerTok: 8 }],
];

describe('checkpoint presets: the real shapes', () => {
  for (const [arch, name, count, fields] of PUBLISHED) {
    it(`${arch}/${name} has the published parameter count and fields`, () => {
      const config = presetConfig(arch, name, { vocabSize: 1000, bosTokenId: 1, eosTokenId: 2 });
      expect(parameterCount(config)).toBe(count);
      expect(config).toMatchObject(fields);
    });
  }

  it('refuses a tokenizer larger than the checkpoint vocabulary, and unknown names', () => {
    expect(() => presetConfig('phi3', 'phi-3-mini-4k', { vocabSize: 50257, bosTokenId: 1, eosTokenId: 2 })).toThrow(/preset phi3\/phi-3-mini-4k has vocab_size 32064, smaller than the tokenizer's 50257/);
    expect(() => presetConfig('phi3', 'phi-4', { vocabSize: 10, bosTokenId: 1, eosTokenId: 2 })).toThrow(/model type "phi3" has no preset "phi-4" \(presets: tiny, small, phi-3-mini-4k, phi-4-mini\)/);
  });

  it('model init refuses, with exit 2, a tokenizer larger than the checkpoint vocabulary (the default GPT-2 one for phi-3-mini-4k)', async () => {
    const run = await cli('model', 'init', '--arch', 'phi3', '--preset', 'phi-3-mini-4k', '--out', tempDir());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--tokenizer: preset phi3/phi-3-mini-4k has vocab_size 32064, smaller than the tokenizer's 50257: pass the checkpoint's own tokenizer");
  });
});
