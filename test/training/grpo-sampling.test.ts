import { describe, expect, it } from 'vitest';
import { cutAfterEos, OnlineRollouts, packRagged, TokenizedDataset, type RewardAggregator, type RolloutEngine } from '@aligntune/core';
import { collateGroup, groupAdvantages, sampleGroups, type SampledGroups } from '@aligntune/plugin-algo-grpo';

const EOS = 9;
const G = 2;

/** 6 prompts; prompt r's completions score [r % 2, 0]: even prompts' groups tie (no signal), odd ones do not. */
function sampler(maxResample: number): { rollouts: { sample(prompts: number): Promise<SampledGroups> }; calls: number[][] } {
  const calls: number[][] = [];
  const data = new TokenizedDataset({ prompt: packRagged(Array.from({ length: 6 }, (_, r) => [r + 1])) }, Array.from({ length: 6 }, (_, r) => ({ kind: 'prompt' as const, prompt: `p${r}`, extra: {} })));
  const engine = {
    async generate(prompts: number[][], o: { numReturnSequences: number }) {
      calls.push(prompts.map((p) => p[0]! - 1));
      const completions = prompts.flatMap((p, promptIndex) => Array.from({ length: o.numReturnSequences }, (_, k) => ({ promptIndex, tokenIds: k === 0 ? [p[0]!, EOS, 4] : [5, 5], text: `${p[0]! - 1}/${k}` })));
      return { completions };
    },
  } as unknown as RolloutEngine;
  const aggregator = {
    async score(batch: { completions: string[] }) {
      const total = batch.completions.map((c) => (c.endsWith('/0') ? Number(c.split('/')[0]) % 2 : 0));
      return { total, raw: { fake: total }, shaped: { fake: total }, shielded: total.map(() => false) };
    },
  } as unknown as RewardAggregator;
  const online = new OnlineRollouts(engine, aggregator, data, { samplesPerPrompt: G, maxNewTokens: 3, temperature: 1, topK: 0, topP: 1, shuffle: false, seed: 1, eosTokenId: EOS });
  return { rollouts: { sample: (prompts) => sampleGroups((n) => online.sample(n), prompts, G, maxResample) }, calls };
}

describe('GRPO sampling', () => {
  it('keeps every group without dynamic sampling', async () => {
    const { rollouts } = sampler(0);
    const batch = await rollouts.sample(2);
    expect(batch.rollouts.map((r) => r.row)).toEqual([0, 0, 1, 1]);
    expect(batch.tiedFraction).toBe(0.5);
  });

  it('dynamic sampling replaces tied groups with fresh prompts, within max_resample rounds', async () => {
    const { rollouts, calls } = sampler(8);
    const batch = await rollouts.sample(2);
    // round 1: prompts 0 (tied), 1; round 2: prompt 2 (tied); round 3: prompt 3
    expect(calls).toEqual([[0, 1], [2], [3]]);
    expect(batch.rollouts.map((r) => r.row)).toEqual([1, 1, 3, 3]);
    expect(batch.rounds).toBe(3);
    expect(batch.tiedFraction).toBe(0.5);
  });

  it('fills up with tied groups when out of rounds', async () => {
    const { rollouts } = sampler(1);
    const batch = await rollouts.sample(2);
    expect(batch.rollouts.map((r) => r.row)).toEqual([1, 1, 0, 0]);
    expect(groupAdvantages(batch.rollouts.map((r) => r.total), G, 'group').slice(2)).toEqual([0, 0]);
  });

  it('cuts completions after the first EOS and flags those without one', async () => {
    expect(cutAfterEos([3, EOS, 4], EOS)).toEqual({ ids: Int32Array.from([3, EOS]), containsEos: true });
    expect(cutAfterEos([5, 5], EOS)).toEqual({ ids: Int32Array.from([5, 5]), containsEos: false });
    const { rollouts } = sampler(0);
    const [first, second] = (await rollouts.sample(1)).rollouts;
    expect([...first!.completionIds]).toEqual([1, EOS]);
    expect(second!.containsEos).toBe(false);
  });

  it('mask_truncated_completions masks a completion without EOS entirely', async () => {
    const { rollouts } = sampler(0);
    const batch = (await rollouts.sample(1)).rollouts; // [1, EOS] terminated, [5, 5] truncated; prompt [1]
    const kept = collateGroup(batch, 0, false);
    expect([...kept.mask]).toEqual([0, 1, 1, 0, 1, 1]);
    const masked = collateGroup(batch, 0, true);
    expect([...masked.mask]).toEqual([0, 1, 1, 0, 0, 0]);
    expect(masked.activeTokens).toBe(2);
  });
});
