import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { makeProject, REPO_ROOT, tempDir } from '../helpers/temp-project.js';

/** A model directory as far as validation looks (config.json); nothing here loads it. */
const MODEL_DIR = join(tempDir('aligntune-cli-model-'), 'tiny');
mkdirSync(MODEL_DIR);
writeFileSync(join(MODEL_DIR, 'config.json'), '{}');
const PREFERENCES = join(REPO_ROOT, 'examples/data/preferences.jsonl');

const validYaml = `
algo: dpo
model:
  name_or_path: ${MODEL_DIR}
datasets:
  - name: ${PREFERENCES}
train:
  max_steps: 3
`;

let dir: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  dir = tempDir('aligntune-cli-');
});

describe('aligntune validate', () => {
  it('accepts a valid config and prints the resolved config (defaults applied) on stdout only with --print', async () => {
    const config = file('ok.yaml', validYaml);
    const quiet = await cli('validate', '--config', config);
    expect(quiet).toMatchObject({ code: 0, stdout: '' });
    expect(quiet.stderr).toContain('valid (dpo, 1 dataset(s))');
    const printed = await cli('validate', '--config', config, '--print');
    const resolved = parseYaml(printed.stdout) as { train: Record<string, unknown>; distributed: { backend: string } };
    expect(resolved.train.max_steps).toBe(3);
    expect(resolved.distributed.backend).toBe('single');
    expect(resolved.train.learning_rate).toEqual(expect.any(Number));
  });

  it('reports every problem at once with its path, exit code 2, and no stack trace', async () => {
    const config = file('bad.yaml', `algo: dpo\nmodel: {}\ndatasets: []\ntrain:\n  learning_rate: abc\n  max_step: 3\n`);
    const result = await cli('validate', '--config', config);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Invalid configuration in ${config}`);
    expect(result.stderr).toContain('model.name_or_path');
    expect(result.stderr).toContain('train.learning_rate');
    expect(result.stderr).toMatch(/train\.max_step.*did you mean "max_steps"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('shows the stack trace with --debug', async () => {
    const config = file('bad-debug.yaml', 'algo: dpo\n');
    const result = await cli('--debug', 'validate', '--config', config);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('names a missing config file', async () => {
    const result = await cli('validate', '--config', join(dir, 'nope.yaml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nope.yaml');
  });

  it('takes the spec flag form and --set overrides typed by the target field', async () => {
    const result = await cli(
      'validate', '--algo', 'grpo', '--model', 'gpt2', '--dataset', 'gsm8k:train#max=100', '--reward', 'math',
      '--max-steps', '5', '--set', 'train.learning_rate=2e-5', '--set', 'train.shuffle=false', '--print',
    );
    expect(result.stderr).toContain('valid');
    expect(result.code).toBe(0);
    const resolved = parseYaml(result.stdout) as Record<string, any>;
    expect(resolved.train).toMatchObject({ max_steps: 5, learning_rate: 2e-5, shuffle: false });
    expect(resolved.datasets[0]).toMatchObject({ name: 'gsm8k', split: 'train', max_samples: 100 });
  });

  it('checks reward specs against the installed reward plugins', async () => {
    const result = await cli('validate', '--algo', 'grpo', '--model', 'gpt2', '--dataset', 'gsm8k', '--reward', 'maths:weight=0.8', '--max-steps', '5');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/rewards\.0\.type: unknown reward "maths".*did you mean "math"/);
  });

  it('rejects a bad --set path and a bad flag value with exit code 2', async () => {
    const config = file('ok2.yaml', validYaml);
    const badPath = await cli('validate', '--config', config, '--set', 'train.learnig_rate=1');
    expect(badPath.code).toBe(2);
    expect(badPath.stderr).toContain('learning_rate');
    const badFlag = await cli('validate', '--algo', 'dpo', '--max-steps', 'abc');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('must be a positive integer (got "abc")');
  });

  it('runs the algorithm\'s own checks (GRPO batch divisibility) and names the field; --quiet keeps stderr empty', async () => {
    const grpo = validYaml.replace('algo: dpo', 'algo: grpo').replace('max_steps: 3', 'max_steps: 3\n  per_device_batch_size: 6\n  num_generations: 4');
    const bad = await cli('validate', '--config', file('grpo.yaml', `${grpo}rewards:\n  - type: math\n`));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('train.per_device_batch_size');
    const quiet = await cli('--quiet', 'validate', '--config', file('ok-quiet.yaml', validYaml));
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('needs a config or the flag form', async () => {
    const result = await cli('validate');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give a config file');
  });
});

describe('aligntune train', () => {
  it('says clearly when no installed plugin provides the algorithm', async () => {
    // a project with the data plugins and DPO only: every algorithm id is valid config, ppo is not installed
    const project = makeProject(['loader-local', 'adapters-builtin', 'distributed-single', 'algo-dpo'].map((name) => join(REPO_ROOT, 'plugins', name)));
    const yaml = validYaml.replace('algo: dpo', 'algo: ppo');
    const config = file('train.yaml', `${yaml}logging:\n  output_dir: ${join(dir, 'out')}\n`);
    const validated = await cli('--project', project, 'validate', '--config', config);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stderr).toContain('note: no installed plugin provides algorithm "ppo" yet');
    expect(validated.stderr).toContain('note: no installed plugin provides a compute backend, so `aligntune train` cannot run');
    const result = await cli('--project', project, 'train', '--config', config);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no installed plugin provides algorithm "ppo"');
    // The run log is JSON lines under <output_dir>/logs/run.log.
    const log = readFileSync(join(dir, 'out/logs/run.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(log[0]).toMatchObject({ level: 'info', message: expect.stringContaining('ppo') });
  });
});

describe('aligntune plugins, --version, usage', () => {
  it('lists the built-in plugins of this workspace', async () => {
    const result = await cli('plugins');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('@aligntune/plugin-distributed-single');
    expect(result.stdout).toMatch(/distributed-backend\s+single/);
    expect(result.stdout).toMatch(/algorithm\s+dpo\s+direct preference optimization/); // the decorator's description
    expect(result.stdout).toMatch(/compute-backend\s+cpu/);
    const json = JSON.parse((await cli('plugins', '--json')).stdout) as Array<{ name: string; status: string }>;
    expect(json.every((plugin) => plugin.status === 'loaded')).toBe(true);
  });

  it('prints the version', async () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'core/package.json'), 'utf8')) as { version: string }).version;
    expect((await cli('--version')).stdout.trim()).toBe(version);
  });

  it('exits 2 on an unknown command', async () => {
    const result = await cli('trian');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'trian'");
  });
});

describe('the installed bin', () => {
  it('runs as a process with exit code 2 and a clean stdout on a bad config', () => {
    const config = file('bin-bad.yaml', 'algo: nonsense\n');
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'core/bin/aligntune.js'), 'validate', '--config', config], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('algo');
  });

  it('answers --version', () => {
    const out = execFileSync(process.execPath, [join(REPO_ROOT, 'core/bin/aligntune.js'), '--version'], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('the shipped example configs', () => {
  const configs = readdirSync(join(REPO_ROOT, 'configs')).filter((name) => name.endsWith('.yaml'));

  it('include one per algorithm', () => {
    for (const algo of ['sft', 'dpo', 'ppo', 'grpo', 'gspo', 'dapo', 'drgrpo', 'reward', 'rloo']) {
      expect(configs).toContain(`${algo}-example.yaml`);
    }
  });

  // --config-only: the tiny and demo configs name models that `aligntune model init` / the demo create first
  it.each(configs)('%s validates against the installed built-in plugins', async (name) => {
    const result = await cli('validate', '--config', join(REPO_ROOT, 'configs', name), '--config-only', '--print');
    expect(result.stderr).toContain('valid');
    expect(result.code).toBe(0);
    const { algo } = parseYaml(result.stdout) as { algo: string };
    expect(name.startsWith(`${algo}-`) || name === 'multi-task-example.yaml').toBe(true);
  });
});
