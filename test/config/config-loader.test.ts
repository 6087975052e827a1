import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigLoader, ConfigValidationError } from '@aligntune/core';
import { FakeDpoOptions, catalogWithDpo, configError, issueLines, minimal } from './fake-catalog.js';

let dir: string;
const catalog = catalogWithDpo();
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aligntune-config-'));
});

const YAML = `
algo: grpo
model:
  name_or_path: gpt2
datasets:
  - name: Anthropic/hh-rlhf
    split: test
  - "gsm8k:train#max=100?subset=main&map.prompt=question"
rewards:
  - "length:weight=0.5:min_length=3"
train:
  max_steps: 10
  learning_rate: 1.0e-5
`;

describe('ConfigLoader.load from files', () => {
  it('loads YAML, expanding spec strings and applying defaults', () => {
    const config = ConfigLoader.load(file('ok.yaml', YAML), { catalog });
    expect(config.algo).toBe('grpo');
    expect(config.datasets[1]).toMatchObject({ name: 'gsm8k', split: 'train', max_samples: 100, subset: 'main', column_mapping: { prompt: 'question' } });
    expect(config.rewards[0]).toMatchObject({ type: 'length', weight: 0.5, params: { min_length: 3 } });
    expect(config.train.learning_rate).toBe(1e-5);
  });

  it('loads .yml and JSON', () => {
    expect(ConfigLoader.load(file('ok.yml', YAML), { catalog }).algo).toBe('grpo');
    expect(ConfigLoader.load(file('ok.json', JSON.stringify(minimal()))).model.name_or_path).toBe('gpt2');
  });

  it('loads plain objects and validates against a catalog', () => {
    const config = ConfigLoader.load({ ...minimal(), train: { max_steps: 1, beta: 0.5 } }, { catalog: catalogWithDpo() });
    expect((config.train as unknown as FakeDpoOptions).beta).toBe(0.5);
  });

  it('names the file in validation errors', () => {
    const path = file('bad.yaml', 'algo: dpo\nmodel:\n  name_or_path: gpt2\n');
    const error = configError(() => ConfigLoader.load(path));
    expect(error.source).toBe(path);
    expect(error.message).toContain(`Invalid configuration in ${path} (2 problems):`);
    expect(error.message).toContain('  - datasets: is required');
  });

  it('reports YAML syntax errors with line and column', () => {
    const path = file('syntax.yaml', 'algo: dpo\nmodel:\n  name_or_path: [gpt2\ntrain:\n  max_steps: 1\n');
    const error = configError(() => ConfigLoader.load(path));
    expect(error.source).toBe(path);
    expect(error.issues[0]!.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
    expect(error.message).toContain(path);
  });

  it('rejects duplicate YAML keys with their line', () => {
    const error = configError(() => ConfigLoader.load(file('dup.yaml', 'algo: dpo\nalgo: sft\n')));
    expect(error.issues[0]!.message).toMatch(/^YAML syntax error at line 2, column 1: Map keys must be unique/);
  });

  it('reports JSON syntax errors with line and column', () => {
    const error = configError(() => ConfigLoader.load(file('syntax.json', '{\n  "algo": "dpo",\n}\n')));
    expect(error.issues[0]!.message).toMatch(/^JSON syntax error at line 3, column 1: /);
  });

  it('reports a missing file, an empty file, an unsupported extension and a non-mapping document', () => {
    expect(issueLines(() => ConfigLoader.load(join(dir, 'missing.yaml')))).toEqual(['file not found']);
    expect(issueLines(() => ConfigLoader.load(file('empty.yaml', '# nothing\n')))).toEqual(['the config file is empty']);
    expect(issueLines(() => ConfigLoader.load(file('config.toml', 'algo = "dpo"')))).toEqual([
      'unsupported config file extension ".toml": use .yaml, .yml or .json',
    ]);
    expect(issueLines(() => ConfigLoader.load(file('list.yaml', '- a\n- b\n')))).toEqual(['the configuration must be a mapping (got ["a","b"])']);
  });

  it('reports bad spec strings inside a file at their list position', () => {
    const path = file('specs.yaml', 'algo: dpo\nmodel: {name_or_path: gpt2}\ntrain: {max_steps: 1}\ndatasets: ["x#percent=abc"]\nrewards: [":weight=1"]\n');
    expect(issueLines(() => ConfigLoader.load(path))).toEqual([
      'datasets.0: dataset spec "x#percent=abc": percent at character 2 expects a number (got "abc")',
      'rewards.0: reward spec ":weight=1": missing reward type at the start',
    ]);
  });
});

describe('ConfigLoader.load with overrides', () => {
  it('applies --set overrides typed by their target field', () => {
    const config = ConfigLoader.load(file('ov.yaml', YAML), {
      catalog,
      overrides: [
        'train.learning_rate=3e-4',
        'train.max_steps=20',
        'train.shuffle=false',
        'model.name_or_path=123',
        'datasets.0.name=other/data',
        'datasets.2.name=third',
        'logging.loggers=[tensorboard]',
        'rewards.0.min_length=7',
        'train.max_grad_norm=null',
        'datasets.0.column_mapping.prompt=question',
      ],
    });
    expect(config.train).toMatchObject({ learning_rate: 3e-4, max_steps: 20, shuffle: false, max_grad_norm: null });
    expect(config.model.name_or_path).toBe('123');
    expect(config.datasets.map((d) => d.name)).toEqual(['other/data', 'gsm8k', 'third']);
    expect(config.datasets[0]!.column_mapping).toEqual({ prompt: 'question' });
    expect(config.logging.loggers).toEqual(['tensorboard']);
    expect(config.rewards[0]!.params).toMatchObject({ min_length: 7 });
  });

  it('reports every bad override with its path', () => {
    const error = configError(() =>
      ConfigLoader.load(file('ov-bad.yaml', YAML), {
        catalog,
        overrides: ['train.learnig_rate=1', 'train.max_steps=abc', 'datasets.5.name=x', 'noequals', 'model.precision=bf61'],
      }),
    );
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error.source).toContain('ov-bad.yaml');
    expect(error.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'train.learnig_rate: unknown key "learnig_rate" in train (did you mean "learning_rate"?) [--set train.learnig_rate=1]',
      'train.max_steps: expects an integer (got "abc") [--set train.max_steps=abc]',
      'datasets.5.name: index 5 is out of range: datasets has 2 entries (use 2 to append) [--set datasets.5.name=x]',
      'noequals: expected path=value, e.g. train.learning_rate=1e-5 [--set noequals]',
      'model.precision: expects one of "auto", "fp32", "fp16", "bf16" (got "bf61") (did you mean "bf16"?) [--set model.precision=bf61]',
    ]);
  });

  it('overrides are validated afterwards like any value', () => {
    expect(issueLines(() => ConfigLoader.load(minimal(), { overrides: ['model.quantization={"load_in_4bit": true, "block_size": 3}'] }))).toEqual([
      'model.quantization.block_size: must be a power of two from 16 to 4096, got 3',
    ]);
  });
});

describe('ConfigLoader helpers', () => {
  it('readFile returns the plain mapping without validating', () => {
    expect(ConfigLoader.readFile(file('partial.yaml', 'algo: dpo\n'))).toEqual({ algo: 'dpo' });
  });

  it('stringify round-trips through load, in declaration order', () => {
    const config = ConfigLoader.load(file('rt.yaml', YAML), { catalog: catalogWithDpo() });
    const yaml = ConfigLoader.stringify(config);
    expect(yaml.startsWith('algo: grpo\nmodel:\n  name_or_path: gpt2\n')).toBe(true);
    expect(ConfigLoader.load(file('rt2.yaml', yaml), { catalog: catalogWithDpo() })).toEqual(config);
    const json = ConfigLoader.stringify(config, 'json');
    expect(ConfigLoader.load(file('rt3.json', json), { catalog: catalogWithDpo() })).toEqual(config);
  });
});
