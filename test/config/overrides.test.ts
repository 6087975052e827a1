import { describe, expect, it } from 'vitest';
import { IsArray, IsIn, IsNumber } from 'class-validator';
import { ConfigLoader, applyOverrides, describeFields, parseTypedValue } from '@aligntune/core';
import { catalogWithDpo, issueLines, minimal } from './fake-catalog.js';

function overridden(overrides: string[], base: Record<string, unknown> = minimal()) {
  const issues = applyOverrides(base, overrides, catalogWithDpo());
  return { plain: base, lines: issues.map((i) => `${i.path}: ${i.message}`) };
}

describe('--set overrides: typing by the target field', () => {
  it('parses numbers, integers, booleans, enums and keeps strings as strings', () => {
    const { plain, lines } = overridden([
      'train.learning_rate=1e-6',
      'train.epochs=3',
      'train.shuffle=true',
      'train.lr_scheduler=cosine',
      'model.name_or_path=true',
      'logging.run_name=42',
    ]);
    expect(lines).toEqual([]);
    expect(plain.train).toMatchObject({ learning_rate: 1e-6, epochs: 3, shuffle: true, lr_scheduler: 'cosine' });
    expect(plain.model).toEqual({ name_or_path: 'true' });
    expect(plain.logging).toEqual({ run_name: '42' });
  });

  it('lists of numbers and lists of allowed values get their own kinds and parse item by item', () => {
    class ListOptions {
      @IsArray()
      @IsNumber({}, { each: true })
      weights: number[] = [];

      @IsArray()
      @IsIn(['pii', 'toxicity'], { each: true })
      categories: string[] = [];
    }
    const fields = describeFields(ListOptions);
    const [weights, categories] = [fields.get('weights'), fields.get('categories')];
    expect([weights!.kind, categories!.kind]).toEqual(['number-list', 'enum-list']);
    expect(parseTypedValue('[1, 0.5]', weights!)).toEqual({ ok: true, value: [1, 0.5] });
    expect(parseTypedValue('2,0.25', weights!)).toEqual({ ok: true, value: [2, 0.25] });
    expect(parseTypedValue('[1, x]', weights!)).toMatchObject({ ok: false, message: expect.stringContaining('expects a list of numbers') });
    expect(parseTypedValue('pii', categories!)).toEqual({ ok: true, value: ['pii'] });
    expect(parseTypedValue('[pii, toxcity]', categories!)).toMatchObject({ ok: false, message: expect.stringContaining('did you mean "toxicity"') });
  });

  it('types algorithm options through the catalog, and coerces values nobody declares', () => {
    const { plain, lines } = overridden(['train.beta=0.5', 'train.loss_type=ipo']);
    expect(lines).toEqual([]);
    expect(plain.train).toMatchObject({ beta: 0.5, loss_type: 'ipo' });
    const untyped = applyOverrides({ ...minimal(), algo: 'ppo', train: {} }, ['train.whiten_rewards=true', 'train.vf=[1,2]']);
    expect(untyped).toEqual([]);
  });

  it('accepts JSON / YAML flow values for lists and mappings, and a comma list shorthand', () => {
    const { plain, lines } = overridden([
      'plugins=["@acme/aligntune-kto", ./local-plugin]',
      'logging.loggers=tensorboard,wandb',
      'model.max_memory={cpu: 64GiB}',
      'datasets=[{"name": "a"}, "b:test"]',
      'rewards.0={"type": "math", "tolerance": 0.01}',
    ]);
    expect(lines).toEqual([]);
    expect(plain.plugins).toEqual(['@acme/aligntune-kto', './local-plugin']);
    expect(plain.logging).toEqual({ loggers: ['tensorboard', 'wandb'] });
    expect(plain.model).toMatchObject({ max_memory: { cpu: '64GiB' } });
    expect(plain.datasets).toEqual([{ name: 'a' }, 'b:test']);
    expect(plain.rewards).toEqual([{ type: 'math', tolerance: 0.01 }]);
  });

  it('addresses list entries by index, appends at the end, and edits spec-string entries', () => {
    const base = { ...minimal(), algo: 'grpo', datasets: ['gsm8k:train#max=10', { name: 'b' }], rewards: ['length:min_length=3'] };
    const { plain, lines } = overridden(['datasets.0.split=test', 'datasets.2.name=c', 'rewards.0.max_length=9', 'logging.loggers.0=tensorboard'], base);
    expect(lines).toEqual([]);
    expect(plain.datasets).toEqual([{ name: 'gsm8k', split: 'test', max_samples: 10 }, { name: 'b' }, { name: 'c' }]);
    expect(plain.rewards).toEqual([{ type: 'length', min_length: 3, max_length: 9 }]);
    expect(plain.logging).toEqual({ loggers: ['tensorboard'] });
    expect(ConfigLoader.validateConfig(plain, catalogWithDpo()).rewards[0]!.params).toMatchObject({ min_length: 3, max_length: 9 });
  });

  it('null unsets an optional field', () => {
    const { plain } = overridden(['train.max_grad_norm=null', 'datasets.0.percent=null']);
    expect(plain.train).toMatchObject({ max_grad_norm: null });
    expect((plain.datasets as Record<string, unknown>[])[0]).toMatchObject({ percent: null });
  });
});

describe('--set overrides: errors', () => {
  it('reports bad paths with suggestions', () => {
    const { lines } = overridden([
      'trian.max_steps=1',
      'model.name_or_pth=x',
      'train.bta=0.1',
      'datasets.x.name=a',
      'datasets.0.nme=a',
      'train.max_steps.value=1',
      'train..max_steps=1',
      '=3',
      'rewards.1.type=x',
      'datasets.0.column_mapping.prompt.x=1',
    ]);
    expect(lines).toEqual([
      'trian.max_steps: unknown key "trian" in the configuration (did you mean "train"?) [--set trian.max_steps=1]',
      'model.name_or_pth: unknown key "name_or_pth" in model (did you mean "name_or_path"?) [--set model.name_or_pth=x]',
      'train.bta: unknown key "bta" in train (did you mean "beta"?) [--set train.bta=0.1]',
      'datasets.x.name: datasets is a list: expected an index, got "x" [--set datasets.x.name=a]',
      'datasets.0.nme: unknown key "nme" in datasets.0 (did you mean "name"?) [--set datasets.0.nme=a]',
      'train.max_steps.value: train.max_steps is an integer value: it has no key after "max_steps" [--set train.max_steps.value=1]',
      'train..max_steps: empty path segment [--set train..max_steps=1]',
      ': expected path=value, e.g. train.learning_rate=1e-5 [--set =3]',
      'rewards.1.type: index 1 is out of range: rewards has 0 entries (use 0 to append) [--set rewards.1.type=x]',
      'datasets.0.column_mapping.prompt.x: datasets.0.column_mapping.prompt is a string value: it has no key after "prompt" [--set datasets.0.column_mapping.prompt.x=1]',
    ]);
  });

  it('reports bad values for the target type', () => {
    const { lines } = overridden([
      'train.learning_rate=fast',
      'train.max_steps=1.5',
      'train.shuffle=yes',
      'train.optimizer=adam',
      'train.beta=high',
      'logging.loggers=[1, 2]',
      'model.quantization=[4bit]',
      'model.max_memory={cpu: ',
      'datasets.0=gsm8k#percent=x',
    ]);
    expect(lines).toEqual([
      'train.learning_rate: expects a number (got "fast") [--set train.learning_rate=fast]',
      'train.max_steps: expects an integer (got "1.5") [--set train.max_steps=1.5]',
      'train.shuffle: expects true or false (got "yes") [--set train.shuffle=yes]',
      'train.optimizer: expects one of "adamw", "sgd" (got "adam") (did you mean "adamw"?) [--set train.optimizer=adam]',
      'train.beta: expects a number (got "high") [--set train.beta=high]',
      'logging.loggers: expects a list of strings (got "[1, 2]") [--set logging.loggers=[1, 2]]',
      'model.quantization: expects a mapping written as JSON/YAML {...} (got "[4bit]") [--set model.quantization=[4bit]]',
      expect.stringMatching(/^model\.max_memory: is not valid JSON\/YAML: .* \[--set model\.max_memory=\{cpu: \]$/),
      // a whole entry may be a spec string; it is checked when the config is validated
    ]);
    expect(issueLines(() => ConfigLoader.load(minimal(), { overrides: ['datasets.0=gsm8k#percent=x'] }))).toEqual([
      'datasets.0: dataset spec "gsm8k#percent=x": percent at character 6 expects a number (got "x")',
    ]);
  });

  it('reports a bad spec string entry when editing inside it', () => {
    const base = { ...minimal(), datasets: ['gsm8k#max=x'] };
    expect(overridden(['datasets.0.split=test'], base).lines).toEqual([
      'datasets.0.split: dataset spec "gsm8k#max=x": max at character 6 expects an integer (got "x") [--set datasets.0.split=test]',
    ]);
  });

  it('ConfigLoader.applyOverrides throws all bad overrides at once', () => {
    expect(issueLines(() => ConfigLoader.applyOverrides(minimal(), ['modle.name_or_path=1', 'b=2']))).toEqual([
      'modle.name_or_path: unknown key "modle" in the configuration (did you mean "model"?) [--set modle.name_or_path=1]',
      'b: unknown key "b" in the configuration [--set b=2]',
    ]);
  });
});
