import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliResult } from '../helpers/run-cli.js';
import { REPO_ROOT, tempDir } from '../helpers/temp-project.js';

/**
 * The config layer's promises, through the CLI (in-process, as test/cli/cli.test.ts, and the installed bin
 * as a process where the exit code and file name matter most): every key a config sets acts
 * or is refused naming it, defaults follow what the user set, and `validate` reports every problem at once,
 * the model and data files included.
 */

type BinResult = CliResult;

/** Clean Hub settings: a fresh HF_HOME, no cache override, online unless a test says otherwise. */
function hubEnv(env: Record<string, string>): Record<string, string> {
  return { HF_HOME: hfHome, HF_HUB_CACHE: '', HUGGINGFACE_HUB_CACHE: '', HF_HUB_OFFLINE: '', ...env };
}

/** The CLI in-process (as test/cli/cli.test.ts runs it), under `env`. */
async function aligntune(args: string[], env: Record<string, string> = {}): Promise<BinResult> {
  const vars = hubEnv(env);
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined || value === '') delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await cli(...args);
  } finally {
    apply(saved);
  }
}

/** The built bin as a process, run from the repository (its plugins are discovered there). */
function bin(args: string[]): BinResult {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'core/bin/aligntune.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...hubEnv({}) } });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let hfHome: string;
let model: string;
const PREFERENCES = join(REPO_ROOT, 'examples/data/preferences.jsonl');
const SFT_DATA = join(REPO_ROOT, 'examples/data/sft.jsonl');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A config file: the algorithm, its `train:` lines and any more top-level YAML. */
function config(name: string, algo: string, train: string, more = '', data = algo === 'sft' ? SFT_DATA : PREFERENCES): string {
  const yaml = `algo: ${algo}\nmodel:\n  name_or_path: ${model}\ndatasets:\n  - name: ${data}\ntrain:\n  max_steps: 3\n${train.replace(/^/gm, '  ')}\n${more}`;
  return file(name, yaml);
}

function validate(path: string, ...extra: string[]): Promise<BinResult> {
  return aligntune(['validate', '--config', path, ...extra]);
}

function printedTrain(result: BinResult): Record<string, unknown> {
  expect(result.code, result.stderr).toBe(0);
  return (parseYaml(result.stdout) as { train: Record<string, unknown> }).train;
}

beforeAll(() => {
  dir = tempDir('aligntune-config-checks-');
  hfHome = join(dir, 'hf-home');
  model = join(dir, 'model');
  mkdirSync(model);
  writeFileSync(join(model, 'config.json'), '{}'); // validation looks for the directory and its config.json only
});

describe("the seed's unified training keys act or are refused", () => {
  it('GRPO family: β ← kl_coef, ε ← cliprange; --print shows beta/epsilon and none of the unified names', async () => {
    const grpo = config('grpo-map.yaml', 'grpo', 'per_device_batch_size: 8\nkl_coef: 0.3\ncliprange: 0.1', 'rewards:\n  - math\n');
    const train = printedTrain(await validate(grpo, '--print'));
    expect(train).toMatchObject({ beta: 0.3, epsilon: 0.1 });
    for (const key of ['kl_coef', 'cliprange', 'num_ppo_epochs', 'rollout_batch_size']) expect(train).not.toHaveProperty(key);
    const dapo = config('dapo-map.yaml', 'dapo', 'per_device_batch_size: 8\nkl_coef: 0.05', 'rewards:\n  - math\n');
    expect(printedTrain(await validate(dapo, '--print'))).toMatchObject({ beta: 0.05 });
  });

  it('an explicit beta that disagrees with kl_coef is a conflict naming both keys', async () => {
    const result = await validate(config('grpo-conflict.yaml', 'grpo', 'per_device_batch_size: 8\nkl_coef: 0.3\nbeta: 0.1', 'rewards:\n  - math\n'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('grpo-conflict.yaml');
    expect(result.stderr).toMatch(/train\.beta: conflicts with train\.kl_coef .*beta = 0\.1, kl_coef = 0\.3/);
  });

  it('GRPO refuses num_ppo_epochs and rollout_batch_size, pointing at its own options', async () => {
    const result = await validate(config('grpo-refuse.yaml', 'grpo', 'per_device_batch_size: 8\nnum_ppo_epochs: 2\nrollout_batch_size: 16', 'rewards:\n  - math\n'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/train\.num_ppo_epochs: not used by algorithm "grpo"; use train\.num_iterations/);
    expect(result.stderr).toMatch(/train\.rollout_batch_size: not used by algorithm "grpo".*steps_per_generation/);
    const replay = await validate(config('grpo-replay.yaml', 'grpo', `per_device_batch_size: 8\nrollouts_from: ${join(dir, 'no-rollouts.jsonl')}`));
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain(`train.rollouts_from: ${join(dir, 'no-rollouts.jsonl')}: no such file`);
  });

  it('SFT, DPO and reward refuse all four, each named with what to use instead, in one report', async () => {
    const sft = await validate(config('sft-refuse.yaml', 'sft', `kl_coef: 0.1\ncliprange: 0.2\nnum_ppo_epochs: 2\nrollout_batch_size: 8\nrollouts_from: ${SFT_DATA}`));
    expect(sft.code).toBe(2);
    expect(sft.stderr).toContain('sft-refuse.yaml (5 problems)');
    expect(sft.stderr).toMatch(/train\.rollouts_from: not used by algorithm "sft"; .*give the file as a dataset/);
    expect(sft.stderr).toMatch(/train\.kl_coef: not used by algorithm "sft"; SFT has no KL penalty/);
    expect(sft.stderr).toMatch(/train\.num_ppo_epochs: not used by algorithm "sft"; .*train\.epochs/);
    const dpo = await validate(config('dpo-refuse.yaml', 'dpo', 'kl_coef: 0.1'));
    expect(dpo.code).toBe(2);
    expect(dpo.stderr).toMatch(/train\.kl_coef: not used by algorithm "dpo"; .*train\.beta/);
    const reward = await validate(config('reward-refuse.yaml', 'reward', 'cliprange: 0.1'));
    expect(reward.code).toBe(2);
    expect(reward.stderr).toMatch(/train\.cliprange: not used by algorithm "reward"/);
  });

  it('--print shows the unified keys only where the algorithm reads them (PPO yes, SFT no)', async () => {
    const sft = printedTrain(await validate(config('sft-print.yaml', 'sft', ''), '--print'));
    for (const key of ['kl_coef', 'cliprange', 'num_ppo_epochs', 'rollout_batch_size']) expect(sft).not.toHaveProperty(key);
    const ppo = printedTrain(await validate(config('ppo-print.yaml', 'ppo', 'per_device_batch_size: 4', 'rewards:\n  - length\n'), '--print'));
    expect(ppo).toMatchObject({ kl_coef: 0.05, cliprange: 0.2, num_ppo_epochs: 4 });
  });
});

describe('rewards and tasks on algorithms that do not train on rewards', () => {
  it('rewards on DPO without tasks are refused, naming the key', async () => {
    const result = await validate(config('dpo-rewards.yaml', 'dpo', '', 'rewards:\n  - length\n'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ - rewards: algorithm "dpo" does not train on rewards; DPO learns from the chosen\/rejected pairs/);
  });

  it('with tasks they are accepted for evaluation, and validate says so', async () => {
    const result = await validate(config('sft-tasks.yaml', 'sft', '', 'tasks:\n  - name: conversation\nrewards:\n  - length\n'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('note: tasks: sft trains on no rewards; tasks are used for evaluation only');
    expect(result.stderr).toContain('note: rewards: sft does not train on rewards; they are used for evaluation only');
  });
});

describe('defaults follow what the user set', () => {
  it('PPO derives rollout_batch_size from num_mini_batches × gradient_accumulation_steps × per_device_batch_size (TRL)', async () => {
    const ppo = config('ppo-derive.yaml', 'ppo', 'num_mini_batches: 1\nper_device_batch_size: 4', 'rewards:\n  - length\n');
    expect(printedTrain(await validate(ppo, '--print'))).toMatchObject({ rollout_batch_size: 4, num_mini_batches: 1 });
    const twice = config('ppo-derive-2.yaml', 'ppo', 'num_mini_batches: 2\nper_device_batch_size: 2\ngradient_accumulation_steps: 3', 'rewards:\n  - length\n');
    expect(printedTrain(await validate(twice, '--print'))).toMatchObject({ rollout_batch_size: 12 });
  });

  it('an unset max_prompt_length follows a smaller max_length; an explicit larger one is still an error', async () => {
    expect(printedTrain(await validate(config('short.yaml', 'dpo', 'max_length: 256'), '--print'))).toMatchObject({ max_length: 256, max_prompt_length: 256 });
    const explicit = await validate(config('short-bad.yaml', 'dpo', 'max_length: 256\nmax_prompt_length: 512'));
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toContain('train.max_prompt_length: must not exceed train.max_length (512 > 256)');
  });
});

describe('validate reports every problem at once, with the file', () => {
  it("an unsupported quantization key and PPO's missing reward together (the algorithm's rules no longer wait for a second round)", async () => {
    const path = file('ppo-rounds.yaml', `algo: ppo\nmodel:\n  name_or_path: ${model}\n  quantization:\n    load_in_4bit: true\n    bnb_4bit_use_double_quant: true\ndatasets:\n  - name: ${PREFERENCES}\ntrain:\n  per_device_batch_size: 0\n  max_steps: 100\n`);
    const result = bin(['validate', '--config', path]); // the installed bin, as a process
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid configuration in ${path} (3 problems):`);
    expect(result.stderr).toContain('train.per_device_batch_size: must be a positive integer (got 0)');
    expect(result.stderr).toContain('model.quantization.bnb_4bit_use_double_quant: double quantization (8-bit absmax) is not supported yet');
    expect(result.stderr).toContain('rewards: ppo needs a reward model (model.reward_path), reward functions (rewards:), or both');
  });

  it('a model path that does not exist is "no such model directory", with or without ./', async () => {
    for (const name of ['output/models/tiny-gpt2', 'examples/no-model', './nope', join(dir, 'missing')]) {
      const path = file('missing-model.yaml', `algo: dpo\nmodel:\n  name_or_path: ${name}\ndatasets:\n  - name: ${PREFERENCES}\ntrain:\n  max_steps: 1\n`);
      const result = await validate(path);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Invalid configuration in ${path}`);
      expect(result.stderr).toContain(`model.name_or_path: ${name}: no such model directory`);
    }
  });

  it('a Hub id must be in the local cache when HF_HUB_OFFLINE is set; online it is left to the download', async () => {
    const path = file('hub-model.yaml', `algo: dpo\nmodel:\n  name_or_path: acme/tiny-model\ndatasets:\n  - name: ${PREFERENCES}\ntrain:\n  max_steps: 1\n`);
    const offline = await validate(path, '--quiet');
    expect(offline.code).toBe(0);
    const refused = await aligntune(['validate', '--config', path], { HF_HUB_OFFLINE: '1' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/model\.name_or_path: "acme\/tiny-model" is no local directory and not in the Hugging Face cache .*HF_HUB_OFFLINE is set/);
    mkdirSync(join(hfHome, 'hub/models--acme--tiny-model/refs'), { recursive: true });
    writeFileSync(join(hfHome, 'hub/models--acme--tiny-model/refs/main'), 'abc123');
    expect((await aligntune(['validate', '--config', path], { HF_HUB_OFFLINE: '1' })).code).toBe(0);
  });

  it('data files must exist, and their first rows parse and fit an adapter', async () => {
    const noAdapter = file('odd.jsonl', '{"question": "q", "label": 1}\n');
    const badJson = file('bad.jsonl', '{"prompt": "p", "completion": "c"}\n{"prompt": oops\n');
    const path = file('bad-data.yaml', [
      `algo: sft\nmodel:\n  name_or_path: ${join(dir, 'no-model')}\ndatasets:`,
      `  - name: ${join(dir, 'absent.jsonl')}`,
      `  - name: ${noAdapter}`,
      `  - name: ${badJson}`,
      '  - name: examples/data/no-such-data', // no ./ and no extension, but examples/ is a local folder: not a Hub id
      'train:\n  max_steps: 1\n  learning_rate: fast\n',
    ].join('\n'));
    const result = await validate(path);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid configuration in ${path} (6 problems):`);
    expect(result.stderr).toContain('model.name_or_path:');
    expect(result.stderr).toMatch(/datasets\.0: .*absent\.jsonl: no such file or directory/);
    expect(result.stderr).toMatch(/datasets\.1: .*odd\.jsonl: no schema adapter fits the columns/);
    expect(result.stderr).toMatch(/datasets\.2: .*bad\.jsonl:2: invalid JSON/);
    expect(result.stderr).toMatch(/datasets\.3: examples\/data\/no-such-data: no such file or directory/);
    expect(result.stderr).toContain('train.learning_rate: must be a positive number');
    expect((await validate(path, '--config-only')).stderr).toContain('(1 problem)');
  });

  it('train checks the same before anything runs', async () => {
    const path = file('train-missing.yaml', `algo: dpo\nmodel:\n  name_or_path: output/models/nothing-here\ndatasets:\n  - name: ${PREFERENCES}\ntrain:\n  max_steps: 1\nlogging:\n  output_dir: ${join(dir, 'out')}\n`);
    const result = bin(['train', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid configuration in ${path}`);
    expect(result.stderr).toContain('model.name_or_path: output/models/nothing-here: no such model directory');
  });
});

describe('names people bring from Hugging Face and TRL', () => {
  it('did-you-mean points at the equivalent, in its section', async () => {
    const path = file('hf-names.yaml', [
      `algo: dpo\nmodel_name_or_path: gpt2\nmodel:\n  name_or_path: ${model}\ndatasets:\n  - name: ${PREFERENCES}\nlearning_rate: 1.0e-5`,
      'train:\n  max_steps: 3\n  save_steps: 100\n  eval_steps: 50\n  num_train_epochs: 1\n  per_device_train_batch_size: 4\n  logging_dir: ./logs\n  lr: 1.0e-5',
      'logging:\n  report_to: [tensorboard]\n',
    ].join('\n'));
    const result = await validate(path);
    expect(result.code).toBe(2);
    const expected: Array<[string, string]> = [
      ['train.save_steps', 'train.save_interval'],
      ['train.eval_steps', 'train.eval_interval'],
      ['train.num_train_epochs', 'train.epochs'],
      ['train.per_device_train_batch_size', 'train.per_device_batch_size'],
      ['train.logging_dir', 'logging.output_dir'],
      ['train.lr', 'train.learning_rate'],
      ['logging.report_to', 'logging.loggers'],
      ['model_name_or_path', 'model.name_or_path'],
      ['learning_rate', 'train.learning_rate'],
    ];
    for (const [key, target] of expected) expect(result.stderr).toContain(`  - ${key}: unknown key (did you mean "${target}"?`);
    expect(result.stderr).not.toContain('not an option of algorithm'); // the equivalent says it all
    const set = await aligntune(['validate', '--config', config('set-alias.yaml', 'dpo', ''), '--set', 'train.gradient_accumulation=2', '--set', 'train.eval_steps=5']);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/train\.eval_steps: unknown key "eval_steps" in train \(did you mean "train\.eval_interval"/);
    expect(set.stderr).toMatch(/did you mean "gradient_accumulation_steps"/);
  });

  it('--set and spec strings take booleans as YAML spells them', async () => {
    const set = await validate(config('bools.yaml', 'dpo', ''), '--set', 'train.shuffle=False', '--set', 'train.precompute_ref_log_probs=True', '--print');
    expect(printedTrain(set)).toMatchObject({ shuffle: false, precompute_ref_log_probs: true });
    const rows = file('rows.jsonl', '{"completion": "abc", "reference": "ABC"}\n');
    const score = (spec: string) => aligntune(['reward', 'score', '--reward', spec, '--input', rows]);
    const sensitive = await score('exact_match:case_sensitive=True');
    expect(sensitive.code, sensitive.stderr).toBe(0);
    const insensitive = await score('exact_match:case_sensitive=FALSE');
    expect(insensitive.code, insensitive.stderr).toBe(0);
    expect(JSON.parse(sensitive.stdout.trim().split('\n')[0]!)).toMatchObject({ total: 0 });
    expect(JSON.parse(insensitive.stdout.trim().split('\n')[0]!)).toMatchObject({ total: 1 });
  });

  it('the length reward accepts target_length (the seed\'s name) as well as target; both must agree', async () => {
    const rows = file('words.jsonl', '{"completion": "one two three"}\n');
    const score = (spec: string) => aligntune(['reward', 'score', '--reward', spec, '--input', rows]);
    const seed = await score('length:target_length=53');
    const ours = await score('length:target=53');
    expect(seed.code, seed.stderr).toBe(0);
    expect(JSON.parse(seed.stdout.trim())).toEqual(JSON.parse(ours.stdout.trim()));
    expect(JSON.parse(seed.stdout.trim()).total).toBeCloseTo(0.5, 12); // 1 − |3 − 53| / 100
    const both = await score('length:target=53:target_length=10');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('target_length');
  });
});
