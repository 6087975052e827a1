import type { UnifiedConfig } from '../../config/unified-config.js';
import type { PlannedTask } from '../../data/task-catalog.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Tokenizer } from '../../models/tokenizer.js';
import { RewardAggregator, type RewardEntry } from '../rewards/reward-aggregator.js';
import type { RewardBatch, RewardValues } from '../rewards/reward-function.js';
import { parseRewardSpec } from '../../config/reward-spec.js';
import { resolveRewardSpecs } from '../rewards/resolve-reward-specs.js';
import { GREEDY, referenceText, rewardBatch, type GeneratedSamples, type SamplingPlan } from './generated-samples.js';
import { passAtK } from './pass-at-k.js';
import { rougeScores, type RougeScores } from './rouge.js';

/** pass@k sampling for code tasks (Chen et al. 2021 sample at 0.8 with top-p 0.95). */
export interface CodeEvalOptions {
  /** n, completions per problem. Default 5. */
  readonly samples?: number;
  /** Default 0.8; 0 = greedy (then samples must be 1). */
  readonly temperature?: number;
  /** Default 0.95. */
  readonly topP?: number;
  /** k values reported besides the task's own pass_at_k names. */
  readonly k?: readonly number[];
}

/** One source of metrics computed from a task's generated samples. */
type MetricSource = (samples: GeneratedSamples, batch: RewardBatch) => Promise<Record<string, number>>;

const PASS_AT = /^pass_at_(\d+)$/;

/**
 * The generation metrics of one task, by the names its definition lists (`TaskDefinition.metrics`):
 * reward_mean, response_length, macro_f1, rouge1/rouge2/rougeL, and accuracy, pass_at_k and syntax_valid_rate
 * from the rewards the task names for them (`TaskDefinition.metricRewards`). A task with a pass_at_k reward is
 * sampled n times per prompt; others greedily. Names it does not know are left out; `kl` is the evaluator's
 * (it needs the reference). Rewards are created up front, so a missing reward plugin fails before anything runs.
 */
export class TaskMetrics {
  private constructor(
    readonly task: PlannedTask,
    readonly sampling: SamplingPlan,
    private readonly sources: MetricSource[],
  ) {}

  static async create(kernel: Kernel, config: UnifiedConfig, task: PlannedTask, options: { tokenizer: Tokenizer; code?: CodeEvalOptions }): Promise<TaskMetrics> {
    const names = new Set(task.definition.metrics);
    const judges = task.definition.metricRewards ?? {};
    const sources = await greedySources(kernel, config, task, names, options.tokenizer);
    if (judges.syntax_valid_rate !== undefined && names.has('syntax_valid_rate')) sources.push(syntaxValidRate(await metricReward(kernel, config, judges.syntax_valid_rate)));
    if (judges.pass_at_k === undefined) return new TaskMetrics(task, GREEDY, sources);
    const sampling = codeSampling(options.code);
    const ks = passKs(names, options.code?.k, sampling.samples);
    if (ks.length > 0) sources.push(passAtKs(await metricReward(kernel, config, judges.pass_at_k), ks));
    return new TaskMetrics(task, sampling, sources);
  }

  async compute(samples: GeneratedSamples): Promise<Record<string, number>> {
    const batch = rewardBatch(samples);
    const parts = await Promise.all(this.sources.map((source) => source(samples, batch)));
    return Object.assign({}, ...parts) as Record<string, number>;
  }
}

/** The metrics of greedy completions the task names. */
async function greedySources(kernel: Kernel, config: UnifiedConfig, task: PlannedTask, names: ReadonlySet<string>, tokenizer: Tokenizer): Promise<MetricSource[]> {
  const sources: MetricSource[] = [];
  if (names.has('reward_mean')) sources.push(rewardMean(await RewardAggregator.create(kernel, await runRewards(kernel, config, task), { config })));
  if (names.has('response_length')) sources.push(responseLength);
  const accuracyReward = task.definition.metricRewards?.accuracy;
  if (names.has('accuracy') && accuracyReward !== undefined) sources.push(accuracy(await metricReward(kernel, config, accuracyReward)));
  if (names.has('macro_f1')) sources.push(macroF1);
  const rouge = [...names].filter((n): n is keyof RougeScores => n === 'rouge1' || n === 'rouge2' || n === 'rougeL');
  if (rouge.length > 0) sources.push(rougeMeans(rouge, tokenizer));
  return sources;
}

/**
 * The raw values of the reward a task names for a metric (its weight, clip, shield and normalisation do not
 * apply), with the run's params for that reward (a code reward's language, timeout, sandbox) under the ones the
 * task's spec sets; the reward's defaults when the run does not list it.
 */
async function metricReward(kernel: Kernel, config: UnifiedConfig, spec: string): Promise<RewardAggregator> {
  const [declared] = await resolveRewardSpecs(kernel, [spec]);
  const set = Object.keys(parseRewardSpec(spec).params ?? {});
  const run = config.rewards.find((entry) => entry.type === declared!.type);
  const params = run ? { ...run.params, ...Object.fromEntries(set.map((key) => [key, declared!.params?.[key]])) } : declared!.params;
  return RewardAggregator.create(kernel, [{ type: declared!.type, params }], { config });
}

/** The run's rewards, else the task's defaults; without running normalisation, which would centre every eval mean at 0. */
async function runRewards(kernel: Kernel, config: UnifiedConfig, task: PlannedTask): Promise<RewardEntry[]> {
  const entries: RewardEntry[] = config.rewards.length > 0 ? config.rewards : await resolveRewardSpecs(kernel, task.definition.defaultRewards);
  return entries.map((entry) => ({ ...entry, normalize: false }));
}

function codeSampling(options: CodeEvalOptions = {}): SamplingPlan {
  const plan = { samples: options.samples ?? 5, temperature: options.temperature ?? 0.8, topP: options.topP ?? 0.95 };
  if (!(Number.isInteger(plan.samples) && plan.samples >= 1)) throw new Error(`code samples must be a positive integer (got ${plan.samples})`);
  if (plan.temperature === 0 && plan.samples > 1) throw new Error('greedy code evaluation (temperature 0) gives identical samples: use samples = 1');
  return plan;
}

/** The task's pass_at_k names plus the requested ks, those that n samples can estimate. */
function passKs(names: ReadonlySet<string>, extra: readonly number[] = [], n: number): number[] {
  const named = [...names].flatMap((name) => PASS_AT.exec(name)?.slice(1, 2).map(Number) ?? []);
  return [...new Set([...named, ...extra])].filter((k) => k >= 1 && k <= n).sort((a, b) => a - b);
}

function mean(values: readonly number[]): number | undefined {
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

function present(values: RewardValues): number[] {
  return values.filter((v): v is number => v !== null);
}

/** `{ name: value }`, or nothing when no sample gave a value. */
function metric(name: string, value: number | undefined): Record<string, number> {
  return value === undefined ? {} : { [name]: value };
}

function rawValues(scores: { raw: Record<string, RewardValues> }): RewardValues {
  return Object.values(scores.raw)[0]!;
}

function rewardMean(aggregator: RewardAggregator): MetricSource {
  return async (_samples, batch) => metric('reward_mean', mean(present((await aggregator.score(batch)).total)));
}

/** Completion tokens, EOS included (the completion ids rewards and losses see). */
const responseLength: MetricSource = async (samples) => metric('response_length', mean(samples.completions.map((c) => c.tokenIds.length)));

function accuracy(aggregator: RewardAggregator): MetricSource {
  return async (_samples, batch) => metric('accuracy', mean(present(rawValues(await aggregator.score(batch))).map((v) => (v === 1 ? 1 : 0))));
}

function syntaxValidRate(aggregator: RewardAggregator): MetricSource {
  return async (_samples, batch) => metric('syntax_valid_rate', mean(present(rawValues(await aggregator.score(batch)))));
}

/** Mean over problems of the unbiased pass@k; a sample passes when the code reward is 1 (every test passed). Problems with an unscorable sample are left out. */
function passAtKs(aggregator: RewardAggregator, ks: readonly number[]): MetricSource {
  return async (samples, batch) => {
    const values = rawValues(await aggregator.score(batch));
    const n = samples.samplesPerPrompt;
    const passed: number[] = [];
    for (let at = 0; at < values.length; at += n) {
      const group = values.slice(at, at + n);
      if (group.every((v) => v !== null)) passed.push(group.filter((v) => v === 1).length);
    }
    return Object.assign({}, ...ks.map((k) => metric(`pass_at_${k}`, mean(passed.map((c) => passAtK(n, c, k))))));
  };
}

function rougeMeans(names: readonly (keyof RougeScores)[], tokenizer: Tokenizer): MetricSource {
  return async (samples) => {
    const scores: RougeScores[] = [];
    samples.completions.forEach((c, i) => {
      const reference = referenceText(samples.data, samples.rows[i]!, tokenizer);
      if (reference !== null) scores.push(rougeScores(c.text, reference));
    });
    return Object.assign({}, ...names.map((name) => metric(name, mean(scores.map((s) => s[name])))));
  };
}

/** exact_match's normalisation (docs/rewards.md): trimmed, whitespace runs collapsed, lower-cased. */
function normalizeLabel(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Macro-averaged F1 over the labels seen in references or predictions (scikit-learn's default label set). */
const macroF1: MetricSource = async (samples, batch) => {
  const labels = batch.columns.reference?.map((r, i) => r ?? batch.columns.label?.[i] ?? batch.columns.answer?.[i] ?? null) ?? [];
  const pairs = samples.completions.flatMap((c, i) => (labels[i] == null ? [] : [{ truth: normalizeLabel(String(labels[i])), predicted: normalizeLabel(c.text) }]));
  return metric('macro_f1', macroF1Score(pairs));
};

export function macroF1Score(pairs: readonly { truth: string; predicted: string }[]): number | undefined {
  const classes = new Set(pairs.flatMap((p) => [p.truth, p.predicted]));
  const f1s = [...classes].map((label) => {
    const tp = pairs.filter((p) => p.truth === label && p.predicted === label).length;
    const fp = pairs.filter((p) => p.truth !== label && p.predicted === label).length;
    const fn = pairs.filter((p) => p.truth === label && p.predicted !== label).length;
    return (2 * tp) / (2 * tp + fp + fn);
  });
  return mean(f1s);
}
