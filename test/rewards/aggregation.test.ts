import 'reflect-metadata';
import { IsInt, Min } from 'class-validator';
import { describe, expect, it } from 'vitest';
import {
  ConfigValidationError,
  defaultKernel,
  RewardAggregator,
  RewardRegistry,
  RunningStats,
  defineReward,
  getContributionMetadata,
  resolveRewardSpecs,
  rewardMetrics,
  rewardPoint,
  validateConfig,
  type Kernel,
  type RewardBatch,
} from '@aligntune/core';
import { startTestKernel } from '@aligntune/core/testing';
import { batch, builtinKernel } from './helpers.js';

/** Rewards that return a column as their values, so each test states its raw values directly. */
const columnReward = (id: string, column: string) => defineReward(id, (b: RewardBatch) => b.columns[column] as (number | null)[]);

function kernelWith(...classes: ReturnType<typeof columnReward>[]): Kernel {
  return startTestKernel({ plugins: classes }).kernel;
}

const A = columnReward('col-a', 'a');
const B = columnReward('col-b', 'b');
const S = columnReward('col-s', 's');

describe('RewardAggregator', () => {
  it('sums weighted rewards, as TRL reward_weights: total = Σ w_k r_k', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A, B), [
      { type: 'col-a', weight: 2 },
      { type: 'col-b', weight: 0.5 },
    ]);
    const a = [1, 0.25, -1];
    const b = [4, 2, 3];
    const scores = await aggregator.score(batch(['x', 'y', 'z'], { a, b }));
    expect(scores.total).toEqual(a.map((v, i) => 2 * v + 0.5 * b[i]!));
    expect(scores.raw).toEqual({ 'col-a': a, 'col-b': b });
    expect(aggregator.names).toEqual(['col-a', 'col-b']);
  });

  it('skips nulls, and a sample no reward applies to has a null total', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A, B), [{ type: 'col-a', weight: 2 }, { type: 'col-b' }]);
    const scores = await aggregator.score(batch(['x', 'y', 'z'], { a: [null, 1, null], b: [3, null, null] }));
    expect(scores.total).toEqual([3, 2, null]);
  });

  it('names a reward used twice with a suffix and keeps both raw series', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A), [{ type: 'col-a' }, { type: 'col-a', weight: 3 }]);
    const scores = await aggregator.score(batch(['x'], { a: [2] }));
    expect(aggregator.names).toEqual(['col-a', 'col-a_2']);
    expect(scores.total).toEqual([2 + 3 * 2]);
  });

  it('clips each reward to [-clip, clip] before weighting', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A), [{ type: 'col-a', weight: 2, clip: 1 }]);
    const scores = await aggregator.score(batch(['x', 'y', 'z', 'w'], { a: [3, -2, 0.5, null] }));
    expect(scores.shaped['col-a']).toEqual([1, -1, 0.5, null]);
    expect(scores.raw['col-a']).toEqual([3, -2, 0.5, null]);
    expect(scores.total).toEqual([2, -2, 1, null]);
  });

  it('normalises with running mean/std over every value seen so far (Welford), nulls excluded', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A), [{ type: 'col-a', normalize: true }]);
    const seen: number[] = [];
    const expected = (values: (number | null)[]) => {
      seen.push(...values.filter((v): v is number => v !== null));
      const mean = seen.reduce((s, v) => s + v, 0) / seen.length;
      const std = Math.sqrt(seen.reduce((s, v) => s + (v - mean) ** 2, 0) / seen.length);
      return values.map((v) => (v === null ? null : (v - mean) / (std + 1e-8)));
    };
    for (const a of [[1, 2, 3], [4, null], [10, -3, 0.5]]) {
      const want = expected(a);
      const scores = await aggregator.score(batch(a.map(() => 'c'), { a }));
      scores.total.forEach((value, i) => (want[i] === null ? expect(value).toBeNull() : expect(value).toBeCloseTo(want[i]!, 10)));
    }
  });

  it('clips before normalising', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A), [{ type: 'col-a', clip: 1, normalize: true }]);
    const scores = await aggregator.score(batch(['x', 'y'], { a: [5, -1] }));
    // clipped to [1, -1]: mean 0, std 1
    expect(scores.total[0]).toBeCloseTo(1, 6);
    expect(scores.total[1]).toBeCloseTo(-1, 6);
  });

  it('shield: a negative raw value of a shield reward sets the total to the floor whatever the others say', async () => {
    const entries = [{ type: 'col-a', weight: 10 }, { type: 'col-s', weight: 0.1, shield: true }];
    const aggregator = await RewardAggregator.create(kernelWith(A, S), entries);
    const scores = await aggregator.score(batch(['x', 'y', 'z'], { a: [5, 5, 5], s: [-1, 0, null] }));
    expect(scores.total).toEqual([-1, 50, 50]);
    expect(scores.shielded).toEqual([true, false, false]);
    const custom = await RewardAggregator.create(kernelWith(A, S), entries, { shieldFloor: -5 });
    expect((await custom.score(batch(['x'], { a: [5], s: [-0.2] }))).total).toEqual([-5]);
  });

  it('without shield a negative reward is just summed', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A, S), [{ type: 'col-a' }, { type: 'col-s' }]);
    expect((await aggregator.score(batch(['x'], { a: [5], s: [-1] }))).total).toEqual([4]);
  });

  it('runs the rewards of a batch concurrently', async () => {
    let started = 0;
    let release: () => void = () => {};
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    const waiting = (id: string, value: number) =>
      defineReward(id, async (b: RewardBatch) => {
        if (++started === 2) release();
        // Sequential scoring would wait here forever (the test would time out).
        await bothStarted;
        return b.completions.map(() => value);
      });
    const aggregator = await RewardAggregator.create(kernelWith(waiting('slow-1', 1), waiting('slow-2', 2)), [{ type: 'slow-1' }, { type: 'slow-2' }]);
    expect((await aggregator.score(batch(['x']))).total).toEqual([3]);
  });

  it('rejects a wrong number of values or a non-finite value, naming the reward', async () => {
    const short = defineReward('short', () => [1]);
    const nan = defineReward('nan', (b: RewardBatch) => b.completions.map(() => Number.NaN));
    const kernel = kernelWith(short, nan);
    await expect((await RewardAggregator.create(kernel, [{ type: 'short' }])).score(batch(['x', 'y']))).rejects.toThrow(
      'reward "short" returned 1 values for a batch of 2',
    );
    await expect((await RewardAggregator.create(kernel, [{ type: 'nan' }])).score(batch(['x']))).rejects.toThrow(/reward "nan" returned NaN for sample 0/);
  });

  it('wraps a reward that throws with its name', async () => {
    const broken = defineReward('broken', () => {
      throw new Error('boom');
    });
    const aggregator = await RewardAggregator.create(kernelWith(broken), [{ type: 'broken' }]);
    await expect(aggregator.score(batch(['x']))).rejects.toThrow('reward "broken" failed: boom');
  });

  it('reports metrics: mean raw value per reward, mean total, shielded fraction', async () => {
    const aggregator = await RewardAggregator.create(kernelWith(A, S), [{ type: 'col-a' }, { type: 'col-s', shield: true }]);
    const scores = await aggregator.score(batch(['x', 'y', 'z', 'w'], { a: [1, 2, 3, null], s: [0, -1, 0, null] }));
    expect(rewardMetrics(scores)).toEqual({
      'rewards/col-a/mean': (1 + 2 + 3) / 3,
      'rewards/col-s/mean': -1 / 3,
      'rewards/total/mean': (1 + -1 + 3) / 3,
      'rewards/shielded_frac': 1 / 4,
    });
  });
});

describe('RunningStats', () => {
  it('matches the two-pass mean and population variance', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6];
    const stats = new RunningStats();
    values.forEach((v) => stats.push(v));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(stats.mean).toBeCloseTo(mean, 12);
    expect(stats.variance).toBeCloseTo(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length, 12);
    expect(stats.count).toBe(values.length);
  });
});

describe('defineReward', () => {
  class BonusParams {
    @IsInt({ message: 'must be an integer' })
    @Min(0, { message: 'must be >= 0' })
    bonus = 1;
  }
  const Bonus = defineReward('bonus', (b: RewardBatch, p: BonusParams) => b.completions.map((c) => c.length + p.bonus), BonusParams);

  it('makes a decorated reward class with a readable name and its params class', () => {
    expect(Bonus.name).toBe('BonusReward');
    expect(getContributionMetadata(Bonus)).toMatchObject({ kind: 'reward', ids: ['bonus'], params: BonusParams });
  });

  it('receives validated params; invalid params are reported with the field', async () => {
    const kernel = kernelWith(Bonus);
    const [entry] = await resolveRewardSpecs(kernel, ['bonus:bonus=10']);
    const reward = await kernel.create(rewardPoint, 'bonus', { params: entry!.params });
    expect(await reward.score(batch(['abc']))).toEqual([13]);
    await expect(resolveRewardSpecs(kernel, ['bonus:bonus=-2'])).rejects.toThrow('rewards.0.bonus: must be >= 0 (got -2)');
    await expect(resolveRewardSpecs(kernel, ['bonus:bonsu=1'])).rejects.toThrow('rewards.0.bonsu: unknown key (did you mean "bonus"?)');
  });

  it('registers with RewardRegistry (the default kernel) without a package', async () => {
    RewardRegistry.register('bonus-script', Bonus);
    expect(RewardRegistry.list()).toEqual(['bonus-script']);
    const reward = await defaultKernel().create(rewardPoint, 'bonus-script', { params: { bonus: 0 } });
    expect(await reward.score(batch(['ab']))).toEqual([2]);
  });
});

describe('rewards from a validated config', () => {
  const base = { algo: 'dpo', model: { name_or_path: './m' }, datasets: [{ name: './d.jsonl' }], train: { max_steps: 1 } };

  it('validates reward params against the plugin class before anything runs, naming the field', () => {
    const kernel = builtinKernel();
    const bad = { ...base, rewards: [{ type: 'length', min_length: -1 }, 'math:tolerance=abc'] };
    let error: unknown;
    try {
      validateConfig(bad, kernel);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const paths = (error as ConfigValidationError).issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['rewards.0.min_length', 'rewards.1.tolerance']));
  });

  it('builds the aggregator from config.rewards (spec strings and mappings)', async () => {
    const kernel = builtinKernel();
    kernel.registerClass((await import('@aligntune/plugin-distributed-single')).SingleProcessGroup);
    const config = validateConfig({ ...base, rewards: ['length:weight=0.5:min_length=0:max_length=4', { type: 'math', weight: 2 }] }, kernel);
    const aggregator = await RewardAggregator.create(kernel, config.rewards, { config });
    const scores = await aggregator.score(batch(['so the answer is 4', 'maybe 5'], { reference: ['4', '4'] }));
    // length: w/4 within [0, 4] (5 words is outside: 0); math: 1 if correct
    expect(scores.total).toEqual([0.5 * 0 + 2 * 1, 0.5 * (2 / 4) + 2 * 0]);
  });
});
