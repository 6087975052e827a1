import { describe, expect, it } from 'vitest';
import { parameterCount } from '@aligntune/core';
import { presetConfig } from './model-types.js';

/** Published parameter counts (safetensors totals on the Hub) of the checkpoints `model init` can shape. */
const PUBLISHED: [string, string, number, Record<string, unknown>][] = [
  ['llama', 'llama-3.2-1b', 1_235_814_400, { tieWordEmbeddings: true, eosTokenIds: [128001, 128008, 128009], ropeScaling: { type: 'llama3', factor: 32 } }],
  ['llama', 'llama-3.1-8b', 8_030_261_248, { tieWordEmbeddings: false, ropeScaling: { type: 'llama3', factor: 8, originalMaxPositions: 8192 } }],
  ['phi3', 'phi-3-mini-4k', 3_821_079_552, { tieWordEmbeddings: false, slidingWindow: 2047, eosTokenIds: [32000] }],
  ['smollm3', 'smollm3-3b', 3_075_098_624, { tieWordEmbeddings: true, ropeTheta: 5000000 }],
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
    expect(() => presetConfig('phi3', 'phi-4', { vocabSize: 10, bosTokenId: 1, eosTokenId: 2 })).toThrow(/model type "phi3" has no preset "phi-4" \(presets: tiny, small, phi-3-mini-4k\)/);
  });
});
