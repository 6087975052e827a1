import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '@aligntune/core';
import { extractFinalAnswer, normalizeAnswer } from '@aligntune/plugin-rewards-builtin';
import { builtinKernel, rewardFromSpec, scoreWith } from './helpers.js';

let kernel: Kernel;
beforeAll(() => {
  kernel = builtinKernel();
});

describe('final answer extraction', () => {
  it.each([
    ['So the total is \\boxed{42}.', '42', 'boxed'],
    ['\\boxed{1} then finally \\boxed{\\frac{3}{4}}', '\\frac{3}{4}', 'boxed'],
    ['nested \\boxed{\\text{\\{a\\}} and {b}}', '\\text{\\{a\\}} and {b}', 'boxed'],
    ['Natalia sold 48 clips.\n#### 72', '72', 'hash'],
    ['#### 1,234 \n', '1,234', 'hash'],
    ['After adding, the answer is 3.5. Done.', '3.5', 'phrase'],
    ['The final answer is $18.00', '$18.00', 'phrase'],
    ['Answer: 7 apples', '7 apples', 'phrase'],
    ['First 12, then 7, so 19 remain', '19', 'number'],
    ['It costs 1,500 dollars, ok', '1,500', 'number'],
    ['half is 1/2', '1/2', 'number'],
    ['about 40% of them', '40%', 'number'],
  ])('%j → %j (%s)', (text, answer, source) => {
    expect(extractFinalAnswer(text)).toEqual({ text: answer, source });
  });

  it('finds nothing in text without numbers or markers', () => {
    expect(extractFinalAnswer('no idea')).toBeNull();
    expect(extractFinalAnswer('unclosed \\boxed{12')).toEqual({ text: '12', source: 'number' });
  });
});

describe('answer normalisation', () => {
  it.each([
    ['42', [42]],
    ['-7', [-7]],
    ['1,234', [1234]],
    ['1,234,567.5', [1234567.5]],
    ['3/4', [3 / 4]],
    ['\\frac{3}{4}', [3 / 4]],
    ['\\dfrac{1}{2}', [1 / 2]],
    ['-\\frac{2}{3}', [-2 / 3]],
    ['50%', [50, 0.5]],
    ['50\\%', [50, 0.5]],
    ['$18.00', [18]],
    ['\\$18', [18]],
    ['18 dollars', [18]],
    ['5 cm', [5]],
    ['\\text{18 dollars}', [18]],
    ['x = 5', [5]],
    ['90^\\circ', [90]],
    ['1e3', [1000]],
    ['12.', [12]],
    ['B', []],
  ])('%j → %j', (text, numbers) => {
    expect(normalizeAnswer(text).numbers).toEqual(numbers);
  });
});

describe('math reward', () => {
  const cases: Array<[string, string, number]> = [
    ['so \\boxed{\\frac{3}{4}}', '0.75', 1],
    ['#### 1,234', '1234', 1],
    ['The answer is 42.', '42', 1],
    ['maybe 5 apples, no, 7', '7', 1],
    ['The answer is 50%', '50', 1],
    ['The answer is 50%', '0.5', 1],
    ['The answer is $18.00', '18', 1],
    ['\\boxed{18 \\text{ dollars}}', '18', 1],
    ['x = \\boxed{\\dfrac{1}{2}}', '1/2', 1],
    ['\\boxed{\\text{B}}', 'B', 1],
    ['The answer is 41.', '42', 0],
    ['no numbers at all', '42', 0],
  ];

  it('1 when the final answer equals the reference, else 0', async () => {
    const completions = cases.map(([text]) => text);
    const references = cases.map(([, reference]) => reference);
    expect(await scoreWith(kernel, 'math', completions, { reference: references })).toEqual(cases.map(([, , want]) => want));
  });

  it('reads GSM8K-style solutions from the `answer` column; null without a reference', async () => {
    const answer = ['Natalia sold 48/2 = 24 clips in May.\n#### 72', 72, undefined, ''];
    expect(await scoreWith(kernel, 'math', ['72', 'it is 72', '72', '72'], { answer })).toEqual([1, 1, null, null]);
    expect(await scoreWith(kernel, 'math', ['72'])).toEqual([null]);
  });

  it('compares within tolerance (absolute)', async () => {
    const completions = ['\\boxed{3.3333}', '\\boxed{3.3333}'];
    expect(await scoreWith(kernel, 'math:tolerance=1e-3', completions, { reference: ['10/3', '3.3343'] })).toEqual([
      Math.abs(3.3333 - 10 / 3) <= 1e-3 ? 1 : 0,
      Math.abs(3.3333 - 3.3343) <= 1e-3 ? 1 : 0,
    ]);
    expect(await scoreWith(kernel, 'math', completions, { reference: ['10/3', '3.3343'] })).toEqual([0, 0]);
  });

  it('gives format credit to an explicitly marked wrong answer, not to a bare number', async () => {
    const completions = ['\\boxed{5}', '#### 5', 'The answer is 5', 'I get 5', '\\boxed{6}'];
    const reference = completions.map(() => '6');
    expect(await scoreWith(kernel, 'math:format_reward=0.2', completions, { reference })).toEqual([0.2, 0.2, 0.2, 0, 1]);
  });

  it('rejects bad params, naming the field', async () => {
    await expect(rewardFromSpec(kernel, 'math:tolerance=-1')).rejects.toThrow('rewards.0.tolerance: must be a number >= 0 (got -1)');
    await expect(rewardFromSpec(kernel, 'math:format_reward=2')).rejects.toThrow('rewards.0.format_reward: must be a number in [0, 1] (got 2)');
  });
});
