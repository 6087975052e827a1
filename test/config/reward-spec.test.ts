import { describe, expect, it } from 'vitest';
import { RewardConfig, parseRewardSpec } from '@aligntune/core';
import { issueLines } from './fake-catalog.js';

describe('parseRewardSpec', () => {
  it('parses the spec examples, coercing values', () => {
    expect(parseRewardSpec('length:weight=1.0:min_length=10:max_length=200')).toMatchObject({
      type: 'length',
      weight: 1,
      params: { min_length: 10, max_length: 200 },
    });
    expect(parseRewardSpec('math:weight=0.8:tolerance=1e-6')).toMatchObject({ type: 'math', weight: 0.8, params: { tolerance: 1e-6 } });
    expect(parseRewardSpec('safety:weight=0.5:strict=true')).toMatchObject({ type: 'safety', weight: 0.5, params: { strict: true } });
  });

  it('returns a RewardConfig with defaults', () => {
    const reward = parseRewardSpec('length');
    expect(reward).toBeInstanceOf(RewardConfig);
    expect(reward).toMatchObject({ type: 'length', weight: 1, shield: false, normalize: false, params: {} });
    expect(reward.clip).toBeUndefined();
  });

  it("accepts the spec's positional weight as the second segment", () => {
    expect(parseRewardSpec('math:0.8:tolerance=0.01')).toMatchObject({ weight: 0.8, params: { tolerance: 0.01 } });
  });

  it('types RewardConfig keys and coerces parameters', () => {
    const reward = parseRewardSpec('safety:shield=true:clip=2:normalize=false:level=high:n=-3:x=null:list=[1,2]:q="a:b"');
    expect(reward).toMatchObject({ shield: true, clip: 2, normalize: false });
    expect(reward.params).toEqual({ level: 'high', n: -3, x: null, list: [1, 2], q: 'a:b' });
  });
});

describe('parseRewardSpec errors say what is wrong and where', () => {
  const cases: Array<[string, string]> = [
    ['', 'missing reward type at the start'],
    [':weight=1', 'missing reward type at the start'],
    ['weight=1', 'must start with the reward type, not "weight=1"'],
    ['length::weight=1', "empty segment at character 7 (doubled ':'?)"],
    ['length:weight=heavy', 'weight at character 7 expects a number (got "heavy")'],
    ['length:heavy', 'weight at character 7 expects a number (got "heavy")'],
    ['length:weight=1:strict', '"strict" at character 16 is not key=value (only the second segment may be a bare weight)'],
    ['length:0.5:weight=1', '"weight" is given twice (at character 11)'],
    ['length:a=1:a=2', '"a" is given twice (at character 11)'],
    ['length:=3', "missing key before '=' at character 7"],
    ['length:shield=maybe', 'shield at character 7 expects true or false (got "maybe")'],
    ['regex:pattern="a:b', 'unterminated double quote'],
  ];
  it.each(cases)('%j', (spec, message) => {
    expect(issueLines(() => parseRewardSpec(spec))).toEqual([`reward spec "${spec}": ${message}`]);
  });

  it('reports range errors from the RewardConfig rules', () => {
    expect(issueLines(() => parseRewardSpec('length:weight=-1:clip=0'))).toEqual([
      'reward spec "length:weight=-1:clip=0": weight: must be a number >= 0 (got -1); clip: must be a positive number (got 0)',
    ]);
  });
});
