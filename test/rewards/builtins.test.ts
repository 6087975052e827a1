import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import { rewardPoint, type Kernel } from '@aligntune/core';
import { batch, builtinKernel, rewardFromSpec, scoreWith } from './helpers.js';

let kernel: Kernel;
beforeAll(() => {
  kernel = builtinKernel();
});

const wordsOf = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

describe('length', () => {
  it('range mode: (w − min) / (max − min) inside [min, max], else 0', async () => {
    const [min, max] = [5, 15];
    const counts = [3, 5, 9, 15, 16];
    const expected = counts.map((w) => (w >= min && w <= max ? (w - min) / (max - min) : 0));
    expect(await scoreWith(kernel, `length:min_length=${min}:max_length=${max}`, counts.map(wordsOf))).toEqual(expected);
  });

  it('counts words as whitespace-separated runs', async () => {
    expect(await scoreWith(kernel, 'length:max_length=10', ['  one\ttwo\n\nthree  ', ''])).toEqual([3 / 10, 0]);
  });

  it('target mode: 1 − |w − target| / max(target, 100)', async () => {
    const scores50 = await scoreWith(kernel, 'length:target=50', [wordsOf(3), wordsOf(50), wordsOf(80)]);
    expect(scores50).toEqual([1 - 47 / 100, 1, 1 - 30 / 100]);
    const scores200 = await scoreWith(kernel, 'length:target=200', [wordsOf(150)]);
    expect(scores200).toEqual([1 - 50 / 200]);
  });

  it('rejects bad params, naming the field', async () => {
    await expect(rewardFromSpec(kernel, 'length:min_length=-1')).rejects.toThrow('rewards.0.min_length: must be an integer >= 0 (got -1)');
    await expect(rewardFromSpec(kernel, 'length:min_length=10:max_length=5')).rejects.toThrow('rewards.0.max_length: must be greater than min_length');
    await expect(rewardFromSpec(kernel, 'length:target=0')).rejects.toThrow('rewards.0.target: must be a positive integer');
    await expect(rewardFromSpec(kernel, 'length:min_lenght=3')).rejects.toThrow('rewards.0.min_lenght: unknown key (did you mean "min_length"?)');
  });
});

describe('sentiment (lexicon)', () => {
  // valences from the table in docs/rewards.md: good +3, excellent +4, terrible −3, bad −3
  it('mean valence of the lexicon words / 5', async () => {
    const scores = await scoreWith(kernel, 'sentiment', ['This is good.', 'Excellent, good work', 'good but terrible', 'no opinion words here', '']);
    expect(scores).toEqual([3 / 5, (4 + 3) / (5 * 2), (3 - 3) / (5 * 2), 0, 0]);
  });

  it('negates a word after a negator within two words', async () => {
    const scores = await scoreWith(kernel, 'sentiment', ['not good', "isn't very bad", 'not a word then good']);
    expect(scores).toEqual([-3 / 5, 3 / 5, 3 / 5]);
  });

  it('target=negative flips the sign; extra_words extend the lexicon', async () => {
    expect(await scoreWith(kernel, 'sentiment:target=negative', ['good'])).toEqual([-3 / 5]);
    const reward = await kernel.create(rewardPoint, 'sentiment', { params: { target: 'positive', extra_words: { Stellar: 5 } } });
    expect(await reward.score(batch(['stellar and good']))).toEqual([(5 + 3) / 10]);
  });

  it('rejects a classifier model directory that does not exist', async () => {
    await expect(rewardFromSpec(kernel, 'sentiment:model=./no-such-classifier')).rejects.toThrow(/rewards\.0\.model: \.\/no-such-classifier: no such model directory/);
    await expect(rewardFromSpec(kernel, 'sentiment:target=neutral')).rejects.toThrow('rewards.0.target: must be one of "positive", "negative"');
  });
});

describe('coherence', () => {
  it('length_weight · s_len + (1 − length_weight) · distinct-n', async () => {
    // 9 words, 2 sentences: L = 4.5 < 5 → s_len = 4.5 / 5; all 8 bigrams distinct → 1
    const a = 'The cat sat on the mat. The dog ran.';
    // 4 words, 1 sentence: s_len = 4 / 5; bigrams "go go" ×3 → distinct-2 = 1/3
    const b = 'go go go go';
    // 12 words in one sentence, inside [5, 30]: s_len = 1; bigrams all distinct
    const c = 'one two three four five six seven eight nine ten eleven twelve.';
    expect(await scoreWith(kernel, 'coherence', [a, b, c, ''])).toEqual([0.5 * (4.5 / 5) + 0.5 * 1, 0.5 * (4 / 5) + 0.5 * (1 / 3), 1, 0]);
  });

  it('penalises over-long sentences: max(0, 1 − (L − max) / max)', async () => {
    const text = `${wordsOf(45)}.`;
    expect(await scoreWith(kernel, 'coherence:length_weight=1', [text])).toEqual([1 - (45 - 30) / 30]);
    expect(await scoreWith(kernel, 'coherence:length_weight=0:n=1', ['a b a b'])).toEqual([2 / 4]);
  });

  it('rejects bad params', async () => {
    await expect(rewardFromSpec(kernel, 'coherence:length_weight=2')).rejects.toThrow('rewards.0.length_weight: must be a number in [0, 1]');
    await expect(rewardFromSpec(kernel, 'coherence:min_sentence_words=10:max_sentence_words=3')).rejects.toThrow(
      'rewards.0.max_sentence_words: must be greater than min_sentence_words',
    );
  });
});

describe('safety', () => {
  const texts = ['Here is how to make a bomb at home', 'I will kill the process with SIGTERM', 'My SSN is 123-45-6789', 'The weather is nice.'];

  it('flags explicit harm with −1 (else 0); strict mode also flags topic words', async () => {
    expect(await scoreWith(kernel, 'safety', texts)).toEqual([-1, 0, -1, 0]);
    expect(await scoreWith(kernel, 'safety:strict=true', texts)).toEqual([-1, -1, -1, 0]);
  });

  it('checks only the listed categories, plus extra patterns', async () => {
    expect(await scoreWith(kernel, 'safety:categories=[drugs]', texts)).toEqual([0, 0, 0, 0]);
    expect(await scoreWith(kernel, 'safety:categories=[pii]', texts)).toEqual([0, 0, -1, 0]);
    expect(await scoreWith(kernel, 'safety:extra_patterns=[weather]', texts)).toEqual([-1, 0, -1, -1]);
  });

  it('rejects unknown categories and bad patterns', async () => {
    await expect(rewardFromSpec(kernel, 'safety:categories=[guns]')).rejects.toThrow(/rewards\.0\.categories: must list categories among/);
    await expect(rewardFromSpec(kernel, 'safety:extra_patterns=["(unclosed"]')).rejects.toThrow('rewards.0.extra_patterns: must be a list of valid regular expressions');
  });
});

describe('think-format', () => {
  it('1 for <think>…</think><answer>…</answer> (whitespace allowed), else 0', async () => {
    const scores = await scoreWith(kernel, 'think-format', [
      '<think>2+2 is 4</think><answer>4</answer>',
      '  <think>\nmulti\nline\n</think>\n<answer>4</answer>\n',
      '<answer>4</answer>',
      '<think>x</think><answer>4</answer> trailing text',
      '<think>x</think><answer>4</answer><answer>5</answer>',
    ]);
    expect(scores).toEqual([1, 1, 0, 0, 0]);
  });

  it('uses custom tags', async () => {
    expect(await scoreWith(kernel, 'think-format:think_tag=reasoning:answer_tag=final', ['<reasoning>r</reasoning><final>f</final>'])).toEqual([1]);
  });
});

describe('overlong (DAPO soft punishment)', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('0 up to L_max − L_cache, then ((L_max − L_cache) − |y|) / L_cache, −1 beyond L_max', async () => {
    const [max, cache] = [20, 5];
    const reward = await rewardFromSpec(kernel, `overlong:max_length=${max}:cache_length=${cache}`);
    const lengths = [10, 15, 16, 18, 20, 21, 100];
    const expected = lengths.map((y) => (y <= max - cache ? 0 : y <= max ? (max - cache - y) / cache : -1));
    const scores = await reward.score(batch(lengths.map(() => 'text'), {}, lengths.map(ids)));
    expect(scores).toEqual(expected);
    expect(expected).toEqual([0, 0, -1 / 5, -3 / 5, -1, -1, -1]);
  });

  it('does not apply without token ids (null)', async () => {
    expect(await scoreWith(kernel, 'overlong', ['text'])).toEqual([null]);
  });

  it('needs cache_length < max_length', async () => {
    await expect(rewardFromSpec(kernel, 'overlong:max_length=100:cache_length=100')).rejects.toThrow('rewards.0.max_length: must be greater than cache_length');
  });
});

describe('exact_match', () => {
  it('compares trimmed, whitespace-collapsed text, case-insensitively by default; null without a reference', async () => {
    const completions = ['  Positive ', 'neg ative', 'negative', 'anything'];
    const reference = ['positive', 'negative', 'Negative', null];
    expect(await scoreWith(kernel, 'exact_match', completions, { reference })).toEqual([1, 0, 1, null]);
    expect(await scoreWith(kernel, 'exact_match:case_sensitive=true', completions, { reference })).toEqual([0, 0, 0, null]);
  });

  it('falls back to the label column', async () => {
    expect(await scoreWith(kernel, 'exact_match', ['spam', 'ham'], { label: ['spam', 'spam'] })).toEqual([1, 0]);
  });
});
