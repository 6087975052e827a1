import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  detectSandboxIsolation,
  findPython,
  formatTable,
  lcsLength,
  loadModel,
  macroF1Score,
  NonNegativeNumber,
  Reward,
  Task,
  passAtK,
  rougeScores,
  rougeTokens,
  UnifiedEvaluator,
  type CanonicalRecord,
  type EvalTable,
  type Prompt,
  type RewardBatch,
  type TaskDefinition,
  type EvaluationResult,
  type Kernel,
  type UnifiedConfig,
} from '@aligntune/core';
import { cli } from '../helpers/run-cli.js';
import { lastTokenScores, referenceForward, refWeights } from '../models/reference/reference-forward.js';
import {
  completionTokenLogps,
  constantGpt2,
  evalConfig,
  evaluatorKernel,
  ParityCodeReward,
  randomGpt2,
  rewardGpt2,
  sum,
  writeSplits,
  type TinyModel,
} from './evaluator-helpers.js';

/** The tiny tokenizer's "7": the constant model's every token, so its completions decode to "777". */
const SEVEN = 61;
const BETA = 0.2;

const PREFS = [
  { prompt: 'What is the capital of France?', chosen: 'Paris.', rejected: 'The sea is calm today.' },
  { prompt: 'Say hello.', chosen: 'Hello there!', rejected: 'Good night.' },
  { prompt: 'How are you today?', chosen: 'I like to read books.', rejected: 'No.' },
];
const SFT = [
  { prompt: 'Hello world.', completion: 'How are you today?' },
  { prompt: 'The quick brown fox', completion: 'jumps over the lazy dog.' },
  { prompt: 'Thank you very much!', completion: 'You are welcome.' },
];

const [isolation, python] = await Promise.all([detectSandboxIsolation(), findPython()]);
const canExecute = isolation === 'namespaces' && python !== null;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'aligntune-evaluator-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A dataset's metrics by its directory name (results name datasets `<path>:<eval split>`). */
function metricsOf(result: EvaluationResult, name: string): Record<string, number> {
  const found = result.datasets.find((d) => d.name.endsWith(`/${name}:test`));
  if (!found) throw new Error(`no dataset ${name} in ${result.datasets.map((d) => d.name).join(', ')}`);
  return found.metrics;
}

function tableOf(evaluator: UnifiedEvaluator, name: string): EvalTable {
  return evaluator.tables.find((t) => t.name.endsWith(`/${name}:test`))!;
}

/** 1 − C(n−c, k) / C(n, k) with exact binomials. */
function binomialPassAtK(n: number, c: number, k: number): number {
  const choose = (a: number, b: number): number => (b < 0 || b > a ? 0 : Array.from({ length: b }, (_, i) => (a - i) / (i + 1)).reduce((x, y) => x * y, 1));
  return 1 - choose(n - c, k) / choose(n, k);
}

describe('pass@k', () => {
  it('is the unbiased estimator 1 − C(n−c,k)/C(n,k)', () => {
    expect(passAtK(5, 2, 1)).toBeCloseTo(0.4, 12);
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12); // 1 − C(3,2)/C(5,2) = 1 − 3/10
    expect(passAtK(10, 0, 3)).toBe(0);
    expect(passAtK(4, 2, 3)).toBe(1); // n − c < k: every k-subset holds a pass
    for (let n = 1; n <= 12; n++) for (let c = 0; c <= n; c++) for (let k = 1; k <= n; k++) expect(passAtK(n, c, k)).toBeCloseTo(binomialPassAtK(n, c, k), 10);
    expect(() => passAtK(3, 4, 1)).toThrow(/0 <= c <= n/);
  });
});

describe('ROUGE (rouge-score without stemming)', () => {
  it('tokenizes as rouge-score: lower-cased, non-alphanumerics separate, non-ASCII letters dropped', () => {
    expect(rougeTokens('Hello, World! déjà-vu 42')).toEqual(['hello', 'world', 'd', 'j', 'vu', '42']);
  });

  it('matches hand-computed F-measures', () => {
    // LCS the cat on the mat = 5 of 6 and 6; bigrams shared: the cat, on the, the mat = 3 of 5 and 5
    expect(rougeScores('the cat sat on the mat', 'the cat is on the mat')).toEqual({ rouge1: 5 / 6, rouge2: 3 / 5, rougeL: expect.closeTo(5 / 6, 12) });
    // P = 2/3, R = 1 → F = 0.8; bigrams: "hello world" matches 1 of 2 (P 1/2, R 1) → 2/3
    const repeated = rougeScores('Hello, world! Hello', 'hello world');
    expect(repeated.rouge1).toBeCloseTo(0.8, 12);
    expect(repeated.rouge2).toBeCloseTo(2 / 3, 12);
    expect(repeated.rougeL).toBeCloseTo(0.8, 12);
    expect(rougeScores('a x b y c', 'a b c').rougeL).toBeCloseTo(0.75, 12); // LCS 3: P 3/5, R 1
    expect(rougeScores('b a', 'a b').rougeL).toBeCloseTo(0.5, 12); // LCS 1, not a bag of words
    expect(rougeScores('', 'a b')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
    expect(lcsLength(['a', 'b', 'c', 'b', 'd', 'a', 'b'], ['b', 'd', 'c', 'a', 'b', 'a'])).toBe(4); // CLRS: b c b a
  });
});

describe('macro F1', () => {
  it('averages per-label F1 over the labels in references or predictions', () => {
    const pairs = [
      { truth: 'a', predicted: 'a' },
      { truth: 'a', predicted: 'b' },
      { truth: 'b', predicted: 'b' },
      { truth: 'c', predicted: 'a' },
    ];
    expect(macroF1Score(pairs)).toBeCloseTo((1 / 2 + 2 / 3 + 0) / 3, 12);
  });
});

describe('UnifiedEvaluator: log-prob metrics against a float64 forward', () => {
  let kernel: Kernel;
  let policy: TinyModel;
  let reference: TinyModel;
  let config: UnifiedConfig;
  let evaluator: UnifiedEvaluator;
  let result: EvaluationResult;

  beforeAll(async () => {
    kernel = evaluatorKernel();
    policy = await randomGpt2(join(root, 'policy'), 5); // a seed whose pairs are partly ranked right (accuracy 1/3)
    reference = await randomGpt2(join(root, 'reference'), 2);
    const datasets = [{ name: writeSplits(root, 'prefs', PREFS) }, { name: writeSplits(root, 'sft', SFT) }];
    config = await evalConfig(kernel, reference.dir, datasets, { train: { beta: BETA } });
    evaluator = await UnifiedEvaluator.create(kernel, config, { modelDir: policy.dir, referenceDir: reference.dir });
    result = await evaluator.evaluate();
  });
  afterAll(() => evaluator?.dispose());

  /** Σ completion log-probs of each pair's chosen and rejected under `model`, token ids as the evaluator tokenized them. */
  function pairLogps(model: TinyModel): Array<{ chosen: number; rejected: number }> {
    const { data, rows } = tableOf(evaluator, 'prefs');
    return rows.map((r) => ({
      chosen: sum(completionTokenLogps(model, data.tokens('prompt', r), data.tokens('chosen', r))),
      rejected: sum(completionTokenLogps(model, data.tokens('prompt', r), data.tokens('rejected', r))),
    }));
  }

  function perplexityOf(model: TinyModel): number {
    const { data, rows } = tableOf(evaluator, 'sft');
    const logps = rows.flatMap((r) => completionTokenLogps(model, data.tokens('prompt', r), data.tokens('completion', r)));
    return Math.exp(-sum(logps) / logps.length);
  }

  it('preference accuracy and margin: DPO implicit rewards β·(log π − log π_ref) with the run\'s β', () => {
    const pol = pairLogps(policy);
    const ref = pairLogps(reference);
    const margins = pol.map((p, i) => BETA * (p.chosen - ref[i]!.chosen) - BETA * (p.rejected - ref[i]!.rejected));
    const metrics = metricsOf(result, 'prefs');
    expect(metrics.preference_margin).toBeCloseTo(sum(margins) / margins.length, 4);
    expect(metrics.preference_accuracy).toBe(margins.filter((m) => m > 0).length / margins.length);
    expect(result.datasets.map((d) => ({ task: d.task, rows: d.rows }))).toEqual([
      { task: null, rows: 3 },
      { task: null, rows: 3 },
    ]);
  });

  it('perplexity: exp of the mean NLL of the completion tokens (EOS included)', () => {
    const metrics = metricsOf(result, 'sft');
    expect(Object.keys(metrics)).toEqual(['perplexity']);
    expect(metrics.perplexity! / perplexityOf(policy)).toBeCloseTo(1, 4);
  });

  it('evaluates other weights through params (a trainer\'s current ones), leaving the loaded model alone; maxSamples cuts rows', async () => {
    const refWeightsByName = Object.fromEntries((await loadModel(reference.dir, { kernel })).weights);
    const swapped = await evaluator.evaluate({ params: refWeightsByName, maxSamples: 2 });
    expect(swapped.datasets.map((d) => d.rows)).toEqual([2, 2]);
    expect(metricsOf(swapped, 'prefs')).toEqual({ preference_accuracy: 0, preference_margin: 0 });
    expect(metricsOf(swapped, 'sft').perplexity).not.toBeCloseTo(metricsOf(result, 'sft').perplexity!, 2);
    const original = Object.fromEntries((await loadModel(policy.dir, { kernel })).weights);
    const back = await evaluator.evaluate({ params: original });
    expect(metricsOf(back, 'sft').perplexity).toBeCloseTo(metricsOf(result, 'sft').perplexity!, 6);
  });

  it('a reward model: accuracy and margin of its scores, chosen vs rejected; nothing generated', async () => {
    const rm = await rewardGpt2(join(root, 'rm'), 5);
    const rmEvaluator = await UnifiedEvaluator.create(kernel, config, { modelDir: rm.dir, referenceDir: reference.dir });
    try {
      const rmResult = await rmEvaluator.evaluate();
      const { data, rows } = tableOf(rmEvaluator, 'prefs');
      const score = (ids: number[]) => lastTokenScores(referenceForward(rm.config, refWeights(rm.tensors), { inputIds: [ids] }), [ids.map(() => 1)])[0]![0]!;
      const margins = rows.map((r) => {
        const prompt = [...data.tokens('prompt', r)];
        return score([...prompt, ...data.tokens('chosen', r)]) - score([...prompt, ...data.tokens('rejected', r)]);
      });
      const metrics = metricsOf(rmResult, 'prefs');
      expect(metrics.preference_margin).toBeCloseTo(sum(margins) / margins.length, 4);
      expect(metrics.preference_accuracy).toBe(margins.filter((m) => m > 0).length / margins.length);
      expect(metricsOf(rmResult, 'sft')).toEqual({});
    } finally {
      await rmEvaluator.dispose();
    }
  });

  it("scores pairs with the implicit reward the run's algorithm declares (its options' implicitRewardScale), not a DPO special case", async () => {
    class ScaledOptions {
      @NonNegativeNumber()
      scale = 1;
      static implicitRewardScale(train: Readonly<Record<string, unknown>>): number {
        return train.scale as number;
      }
    }
    class ScaledTrainer {}
    kernel.register('algorithm', 'fixture-scaled', ScaledTrainer, { options: ScaledOptions });
    const scaled = await evalConfig(kernel, reference.dir, [{ name: writeSplits(root, 'prefs', PREFS) }], { algo: 'fixture-scaled', train: { scale: 3 } });
    const scaledEvaluator = await UnifiedEvaluator.create(kernel, scaled, { modelDir: policy.dir, referenceDir: reference.dir });
    try {
      const margin = metricsOf(await scaledEvaluator.evaluate(), 'prefs').preference_margin!;
      expect(margin / metricsOf(result, 'prefs').preference_margin!).toBeCloseTo(3 / BETA, 4);
    } finally {
      await scaledEvaluator.dispose();
      kernel.unregister('algorithm', 'fixture-scaled');
    }
  });

  it('formats an aligned table, one line per dataset and metric', () => {
    const lines = formatTable(result).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^dataset\s+task\s+rows\s+metric\s+value$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[3])).toEqual(['preference_accuracy', 'preference_margin', 'perplexity']);
    for (const line of lines.slice(1)) expect(line.length).toBe(lines[0]!.length);
  });
});

describe('UnifiedEvaluator: generation metrics of a model that always says "7"', () => {
  let kernel: Kernel;
  let constant: TinyModel;
  let reference: TinyModel;
  let evaluator: UnifiedEvaluator;
  let result: EvaluationResult;

  beforeAll(async () => {
    kernel = evaluatorKernel();
    constant = await constantGpt2(join(root, 'constant'), SEVEN);
    reference = await randomGpt2(join(root, 'reference-2'), 2);
    const datasets = [
      { name: writeSplits(root, 'math', [
        { question: 'What is 7 times 111?', answer: 'Seven hundreds, seven tens and seven. #### 777' },
        { question: 'What is two plus two?', answer: '#### 4' },
        { question: 'Write seven hundred seventy seven.', answer: '777' },
      ]), task_type: 'math' },
      { name: writeSplits(root, 'summaries', [
        { prompt: 'The answer to the question is 777.', completion: '777 is the answer' },
        { prompt: 'Seven, then 777, then seven.', completion: 'ignored', reference: 'seven 777 seven' },
      ]), task_type: 'summarization' },
      { name: writeSplits(root, 'chat', [{ prompt: 'Hello there, how are you?' }, { prompt: 'Good morning.' }]), task_type: 'conversation' },
      { name: writeSplits(root, 'labels', [{ prompt: 'Which number?', reference: ' 777 ' }, { prompt: 'Yes or no?', reference: 'No' }]), task_type: 'classification' },
    ];
    const config = await evalConfig(kernel, reference.dir, datasets, { rewards: ['length:min_length=0:max_length=10'], algo: 'sft' });
    evaluator = await UnifiedEvaluator.create(kernel, config, { modelDir: constant.dir, referenceDir: reference.dir, maxNewTokens: 3 });
    result = await evaluator.evaluate();
  });
  afterAll(() => evaluator?.dispose());

  it('math: accuracy of the greedy answers by the math reward\'s extraction ("777" is right for 2 of 3)', () => {
    expect(metricsOf(result, 'math')).toMatchObject({ accuracy: 2 / 3, response_length: 3 });
  });

  it('summarization: ROUGE of "777" against the reference, else the dataset completion', () => {
    // "777" vs "777 is the answer": P 1, R 1/4 → 0.4; vs "seven 777 seven": P 1, R 1/3 → 0.5; no bigrams in "777"
    const metrics = metricsOf(result, 'summaries');
    expect(metrics.rougeL).toBeCloseTo(0.45, 12);
    expect(metrics.rouge1).toBeCloseTo(0.45, 12);
    expect(metrics.rouge2).toBe(0);
    expect(metrics.response_length).toBe(3);
  });

  it('classification: exact-match accuracy and macro F1 over the labels seen ("777" right once, "no" never predicted)', () => {
    // label 777: tp 1, fp 1 → F1 2/3; label no: fn 1 → F1 0
    expect(metricsOf(result, 'labels')).toEqual({ accuracy: 0.5, macro_f1: expect.closeTo(1 / 3, 12), kl: expect.any(Number) });
  });

  it('conversation: mean of the configured rewards (length: 1 word of 10) and KL to the reference on the model\'s completions', () => {
    const metrics = metricsOf(result, 'chat');
    expect(metrics.reward_mean).toBeCloseTo(0.1, 12);
    const { data, rows } = tableOf(evaluator, 'chat');
    const completion = [SEVEN, SEVEN, SEVEN];
    const ratios = rows.flatMap((r) => {
      const pol = completionTokenLogps(constant, data.tokens('prompt', r), completion);
      const ref = completionTokenLogps(reference, data.tokens('prompt', r), completion);
      return pol.map((lp, t) => lp - ref[t]!);
    });
    expect(metrics.kl).toBeCloseTo(sum(ratios) / ratios.length, 3);
    expect(metrics.kl).toBeGreaterThan(1);
  });
});

describe('UnifiedEvaluator: code pass@k', () => {
  it('n samples per problem, the unbiased estimator over the code reward\'s passes (a recording stand-in)', async () => {
    const kernel = evaluatorKernel({ code: ParityCodeReward });
    const policy = await randomGpt2(join(root, 'sampler'), 4);
    const problems = [{ prompt: 'Write add.' }, { prompt: 'Write mul.' }, { prompt: 'Hello world.' }];
    const config = await evalConfig(kernel, policy.dir, [{ name: writeSplits(root, 'code', problems), task_type: 'code' }], { algo: 'sft' });
    const evaluator = await UnifiedEvaluator.create(kernel, config, { modelDir: policy.dir, maxNewTokens: 5, code: { samples: 4, temperature: 1, k: [2, 4] } });
    try {
      ParityCodeReward.scored.length = 0;
      const metrics = metricsOf(await evaluator.evaluate(), 'code');
      const passes = [0, 1, 2].map((p) => sum(ParityCodeReward.scored.slice(4 * p, 4 * p + 4)));
      expect(ParityCodeReward.scored).toHaveLength(12);
      for (const k of [1, 2, 4]) expect(metrics[`pass_at_${k}`]).toBeCloseTo(sum(passes.map((c) => binomialPassAtK(4, c, k))) / 3, 12);
      expect(metrics.syntax_valid_rate).toBeCloseTo(sum(ParityCodeReward.scored) / 12, 12);
    } finally {
      await evaluator.dispose();
    }
  });

  it.skipIf(!canExecute)('with the sandboxed code reward: "777" passes `assert True` and fails `assert False`', async () => {
    const kernel = evaluatorKernel();
    const constant = await constantGpt2(join(root, 'constant-code'), SEVEN);
    const problems = [{ prompt: 'Write 777.', test_list: ['assert True'] }, { prompt: 'Fail.', test_list: ['assert False'] }];
    const config = await evalConfig(kernel, constant.dir, [{ name: writeSplits(root, 'code-real', problems), task_type: 'code' }], { algo: 'sft' });
    const evaluator = await UnifiedEvaluator.create(kernel, config, { modelDir: constant.dir, maxNewTokens: 3, code: { samples: 1, temperature: 0 } });
    try {
      expect(metricsOf(await evaluator.evaluate(), 'code-real')).toEqual({ pass_at_1: 0.5, syntax_valid_rate: 1 });
    } finally {
      await evaluator.dispose();
    }
  });
});

describe('aligntune evaluate (CLI)', () => {
  let policy: TinyModel;
  let reference: TinyModel;
  let configFile: string;

  beforeAll(async () => {
    policy = await randomGpt2(join(root, 'cli-policy'), 1);
    reference = await randomGpt2(join(root, 'cli-reference'), 2);
    const config = {
      algo: 'dpo',
      model: { name_or_path: reference.dir },
      datasets: [{ name: writeSplits(root, 'cli-prefs', PREFS), eval_split: 'test' }, { name: writeSplits(root, 'cli-sft', SFT), eval_split: 'test' }],
      train: { max_steps: 1, max_length: 48, max_prompt_length: 24, per_device_batch_size: 2, beta: BETA },
      logging: { output_dir: join(root, 'cli-out') },
      caching: { enabled: false },
    };
    configFile = join(root, 'eval.yaml');
    writeFileSync(configFile, stringify(config));
  });

  it('--json: per-dataset metrics, the starting model as reference by default; the table form aligns', async () => {
    const run = await cli('evaluate', '--model', policy.dir, '--config', configFile, '--json', '--max-samples', '2');
    expect(run.code, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as EvaluationResult & { model: string; reference: string };
    expect(output.reference).toBe(reference.dir);
    expect(output.datasets.map((d) => [d.name.split('/').at(-1), d.rows, Object.keys(d.metrics)])).toEqual([
      ['cli-prefs:test', 2, ['preference_accuracy', 'preference_margin']],
      ['cli-sft:test', 2, ['perplexity']],
    ]);
    const table = await cli('evaluate', '--model', policy.dir, '--config', configFile, '--max-samples', '2');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^dataset +task +rows +metric +value\n/);
    expect(table.stdout).toContain(output.datasets[1]!.metrics.perplexity!.toFixed(4));
  });

  it('exits 2 naming the missing model directory or the bad config field', async () => {
    const missing = await cli('evaluate', '--model', join(root, 'nope'), '--config', configFile);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(join(root, 'nope'));
    const bad = join(root, 'bad.yaml');
    writeFileSync(bad, stringify({ algo: 'dpo', model: { name_or_path: reference.dir }, datasets: [{ name: 'x' }], train: { max_steps: 1, per_device_batch_size: 0 } }));
    const invalid = await cli('evaluate', '--model', policy.dir, '--config', bad);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('train.per_device_batch_size');
    const noEval = join(root, 'no-eval.yaml');
    writeFileSync(noEval, stringify({ algo: 'dpo', model: { name_or_path: reference.dir }, datasets: [{ name: writeSplits(root, 'no-eval', PREFS) }], train: { max_steps: 1 } }));
    const nothing = await cli('evaluate', '--model', policy.dir, '--config', noEval);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/datasets: nothing to evaluate/);
  });
});

describe('UnifiedEvaluator: a task plugin names the rewards that judge its metrics', () => {
  /** A task of a plugin outside the builtins: its accuracy is decided by its own reward, `fixture-three`. */
  @Task('fixture-counting', { description: 'test: answers are three characters long' })
  class CountingTask implements TaskDefinition {
    readonly defaultRewards = ['fixture-three'];
    readonly metrics = ['accuracy'];
    readonly metricRewards = { accuracy: 'fixture-three' };
    formatPrompt(record: CanonicalRecord): Prompt {
      return record.prompt;
    }
  }
  /** 1 for a three-character completion ("777"), else 0. */
  @Reward('fixture-three', { description: 'test: 1 for three characters' })
  class ThreeCharacters {
    score({ completions }: RewardBatch): number[] {
      return completions.map((text) => (text.length === 3 ? 1 : 0));
    }
  }

  it('reports accuracy through the reward the task declares, with no core change', async () => {
    const kernel = evaluatorKernel();
    kernel.registerClass(CountingTask, 'test');
    kernel.registerClass(ThreeCharacters, 'test');
    const constant = await constantGpt2(join(root, 'constant-counting'), SEVEN);
    const datasets = [{ name: writeSplits(root, 'counting', [{ prompt: 'Count to three.' }, { prompt: 'Say a number.' }]), task_type: 'fixture-counting' }];
    const config = await evalConfig(kernel, constant.dir, datasets, { algo: 'sft' });
    const evaluator = await UnifiedEvaluator.create(kernel, config, { modelDir: constant.dir, maxNewTokens: 3 });
    try {
      expect(metricsOf(await evaluator.evaluate(), 'counting')).toMatchObject({ accuracy: 1 });
    } finally {
      await evaluator.dispose();
    }
  });
});
