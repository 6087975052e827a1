import { describe, expect, it } from 'vitest';
import { DecoderModel, parseGenerationConfig, RolloutEngine, type Tokenizer } from '@aligntune/core';
import { gemmaTokenizer } from './gemma-tokenizer.js';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { backend, fullLogits, tinyModel } from './graph-helpers.js';

const PROMPTS = [[5, 9, 2], [7], [1, 2, 3, 4, 5]];

function logSoftmaxAt(row: Float64Array, token: number): number {
  const max = Math.max(...row);
  const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
  return row[token]! - max - Math.log(z);
}

describe('RolloutEngine (KV cache decode)', () => {
  for (const name of ['gpt2', 'llama', 'qwen3', 'mistral', 'llama3', 'phi3', 'phi3-mini', 'smollm3', 'mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe', 'gemma2', 'gemma3', 'olmo2']) {
    it(`${name}: greedy tokens are the argmax of the full forward, step by step; cached logits equal a full recompute`, async () => {
      const { model } = tinyModel(name, 21);
      const engine = await RolloutEngine.create(model, backend());
      const maxNewTokens = 6;
      const { completions } = await engine.generate(PROMPTS, { maxNewTokens, greedy: true, eosTokenIds: [] });
      await engine.dispose();
      expect(completions.map((c) => c.tokenIds.length)).toEqual([6, 6, 6]);
      // Recompute every step with the same left padding (Mistral's window counts padded slots, as in transformers).
      // Every row has maxNewTokens new tokens, so left-padding prompt+completion reproduces the prompts' padding.
      const rows = PROMPTS.map((p, i) => [...p, ...completions[i]!.tokenIds]);
      const { logits, len } = await fullLogits(model, rows, 0);
      const V = model.config.vocabSize;
      completions.forEach((c, b) => {
        c.tokenIds.forEach((tok, k) => {
          const pos = len - maxNewTokens - 1 + k; // the slot whose logits predicted generated token k
          const row = logits.slice((b * len + pos) * V, (b * len + pos + 1) * V);
          expect(tok).toBe(row.indexOf(Math.max(...row)));
          expect(Math.abs(c.logprobs[k]! - logSoftmaxAt(row, tok))).toBeLessThan(1e-4);
        });
        expect(c.truncated).toBe(true);
        expect(c.finishReason).toBe('length');
      });
    });
  }

  it('seeded sampling is reproducible, differs across seeds, and a row does not depend on its batch', async () => {
    const { model } = tinyModel('qwen2', 4);
    const engine = await RolloutEngine.create(model, backend());
    const opts = { maxNewTokens: 8, temperature: 1.3, topK: 20, topP: 0.95, seed: 42, numReturnSequences: 3, eosTokenIds: [] };
    const a = await engine.generate(PROMPTS, opts);
    const b = await engine.generate(PROMPTS, opts);
    const c = await engine.generate(PROMPTS, { ...opts, seed: 43 });
    const alone = await engine.generate([PROMPTS[0]!], opts);
    const reordered = await engine.generate([PROMPTS[0]!, PROMPTS[2]!], opts);
    await engine.dispose();
    const ids = (r: typeof a) => r.completions.map((x) => x.tokenIds.join(','));
    expect(ids(b)).toEqual(ids(a));
    expect(ids(c)).not.toEqual(ids(a));
    expect(a.completions.map((x) => x.promptIndex)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(new Set(ids(a).slice(0, 3)).size).toBeGreaterThan(1); // samples of one prompt differ
    // streams are keyed by (prompt index, sample), so prompt 0 draws the same alone or padded in a batch
    expect(ids(alone)).toEqual(ids(a).slice(0, 3));
    expect(ids(reordered).slice(0, 3)).toEqual(ids(a).slice(0, 3));
  });

  it('stops at EOS (kept in the ids) and reports untruncated; other rows continue', async () => {
    const { model } = tinyModel('gpt2', 21);
    const engine = await RolloutEngine.create(model, backend());
    const greedy = await engine.generate(PROMPTS, { maxNewTokens: 6, greedy: true, eosTokenIds: [] });
    const eos = greedy.completions[0]!.tokenIds[2]!;
    const stopped = await engine.generate(PROMPTS, { maxNewTokens: 6, greedy: true, eosTokenIds: [eos] });
    await engine.dispose();
    const first = stopped.completions[0]!;
    expect(first.tokenIds).toEqual(greedy.completions[0]!.tokenIds.slice(0, greedy.completions[0]!.tokenIds.indexOf(eos) + 1));
    expect(first.finishReason).toBe('eos');
    expect(first.truncated).toBe(false);
    stopped.completions.forEach((c, i) => {
      const g = greedy.completions[i]!.tokenIds;
      expect(c.tokenIds).toEqual(g.includes(eos) ? g.slice(0, g.indexOf(eos) + 1) : g);
    });
  });

  it("stops at every id of generation_config.json's eos_token_id list (Llama 3 Instruct's <|eot_id|>, <|eom_id|>, <|end_of_text|>)", async () => {
    const { model } = tinyModel('llama3', 21);
    const { tokens, stop, unused } = await greedyWithoutEos(model);
    const withList = new DecoderModel({ config: model.config, architecture: model.architecture, weights: model.weights, generationConfig: parseGenerationConfig({ eos_token_id: [unused, stop] }) });
    const first = await firstGreedyCompletion(withList);
    expect(first.tokenIds).toEqual(tokens.slice(0, tokens.indexOf(stop) + 1));
    expect(first.finishReason).toBe('eos');
  });

  it("with Gemma's tokenizer and no generation_config.json, stops at every id of config.json's eos_token_id list (<eos>, <end_of_turn>)", async () => {
    const tokenizer = gemmaTokenizer(); // eos_token <eos> = 1, as Gemma's
    const { tokens } = await greedyWithoutEos(tinyModel('gemma3', 21).model);
    const endOfTurn = tokens.find((t, i) => i >= 2 && t !== tokenizer.eosTokenId)!;
    const { model } = tinyModel('gemma3', 21, { eos_token_id: [tokenizer.eosTokenId, endOfTurn] });
    expect(model.generationConfig).toBeFalsy();
    const first = await firstGreedyCompletion(model, tokenizer);
    expect(first.tokenIds).toEqual(tokens.slice(0, tokens.findIndex((t) => t === endOfTurn || t === tokenizer.eosTokenId) + 1));
    expect(first.finishReason).toBe('eos');
  });

  it('generates with live resident weights: the same tokens as the model\'s own, and an update is seen without a recompile', async () => {
    const { model } = tinyModel('gpt2', 21);
    const other = tinyModel('gpt2', 22).model;
    const capi = new CapiBackend();
    try {
      const engine = await RolloutEngine.create(model, capi);
      const opts = { maxNewTokens: 5, greedy: true, eosTokenIds: [] };
      const own = await engine.generate(PROMPTS, opts);
      const live = Object.fromEntries(Object.entries(model.namedWeights('')).map(([name, t]) => [name, capi.resident.create(t)]));
      const sessions = capi.stats.sessionsCreated;
      expect((await engine.generate(PROMPTS, { ...opts, weights: live })).completions).toEqual(own.completions);
      // new weights written into the same resident tensors (a policy update): the next rollout uses them
      for (const [name, t] of Object.entries(other.namedWeights(''))) live[name]!.write(t);
      const updated = await engine.generate(PROMPTS, { ...opts, weights: live });
      const fresh = await RolloutEngine.create(other, backend());
      const expected = await fresh.generate(PROMPTS, opts);
      await fresh.dispose();
      expect(updated.completions).toEqual(expected.completions);
      expect(updated.completions).not.toEqual(own.completions);
      expect(capi.stats.sessionsCreated).toBe(sessions);
      await engine.dispose();
    } finally {
      await capi.dispose();
    }
  });
});

/** The first prompt's greedy tokens when nothing stops them, the third of them (a stop to set) and a token no prompt's run emits. */
async function greedyWithoutEos(model: DecoderModel): Promise<{ tokens: number[]; stop: number; unused: number }> {
  const engine = await RolloutEngine.create(model, backend());
  const greedy = await engine.generate(PROMPTS, { maxNewTokens: 6, greedy: true, eosTokenIds: [] });
  await engine.dispose();
  const tokens = [...greedy.completions[0]!.tokenIds];
  const unused = [...Array(model.config.vocabSize).keys()].find((t) => !greedy.completions.some((c) => c.tokenIds.includes(t)))!;
  return { tokens, stop: tokens[2]!, unused };
}

async function firstGreedyCompletion(model: DecoderModel, tokenizer?: Tokenizer): Promise<{ tokenIds: readonly number[]; finishReason: string }> {
  const engine = await RolloutEngine.create(model, backend(), tokenizer ? { tokenizer } : {});
  const out = await engine.generate(PROMPTS, { maxNewTokens: 6, greedy: true });
  await engine.dispose();
  return out.completions[0]!;
}
