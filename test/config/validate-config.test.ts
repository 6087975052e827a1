import { describe, expect, it } from 'vitest';
import {
  ConfigLoader,
  ConfigValidationError,
  DatasetConfig,
  ModelConfig,
  TrainingConfig,
  UnifiedConfig,
  AlgorithmType,
} from '@aligntune/core';
import { configError, issueLines, minimal } from './fake-catalog.js';

const validate = (config: unknown) => ConfigLoader.validateConfig(config);

describe('validateConfig: required fields (no placeholder defaults)', () => {
  it('reports every missing required field at once', () => {
    expect(issueLines(() => validate({}))).toEqual([
      'algo: is required',
      'model: is required',
      'datasets: is required',
      'train: is required',
    ]);
  });

  it('requires model.name_or_path, a dataset name and a training length', () => {
    const lines = issueLines(() => validate({ algo: 'sft', model: {}, datasets: [{ split: 'train' }], train: {} }));
    expect(lines).toEqual([
      'model.name_or_path: is required',
      'datasets.0.name: is required',
      'train: set train.max_steps or train.epochs (required: there is no default training length)',
    ]);
  });

  it('requires at least one dataset', () => {
    expect(issueLines(() => validate({ ...minimal(), datasets: [] }))).toEqual(['datasets: must list at least 1 (got [])']);
  });

  it('rejects a non-mapping configuration', () => {
    expect(issueLines(() => validate([1, 2]))).toEqual(['the configuration must be a mapping (got [1,2])']);
    expect(issueLines(() => validate('algo: dpo'))).toEqual(['the configuration must be a mapping (got "algo: dpo")']);
  });
});

describe('validateConfig: defaults', () => {
  it('applies documented defaults (TRL / TrainingArguments)', () => {
    const config = validate(minimal());
    expect(config).toBeInstanceOf(UnifiedConfig);
    expect(config.train).toBeInstanceOf(TrainingConfig);
    expect(config.model).toBeInstanceOf(ModelConfig);
    expect(config.datasets[0]).toBeInstanceOf(DatasetConfig);
    expect(config.train).toMatchObject({
      per_device_batch_size: 8,
      gradient_accumulation_steps: 1,
      learning_rate: 5e-5,
      optimizer: 'adamw',
      lr_scheduler: 'linear',
      max_grad_norm: 1,
      shuffle: true,
      seed: 42,
      max_length: 1024,
      max_prompt_length: 512,
      truncation_mode: 'keep_end',
    });
    expect(config.datasets[0]).toMatchObject({ split: 'train', weight: 1, column_mapping: {} });
    expect(config.model).toMatchObject({ precision: 'auto', attn_implementation: 'auto', gradient_checkpointing: false });
    expect(config.distributed).toMatchObject({ backend: 'single', nodes: 1, gpus_per_node: 1, seed: 42 });
    expect(config.logging).toMatchObject({ loggers: [], output_dir: './output', level: 'info' });
    expect(config.caching).toMatchObject({ root: './cache', enabled: true });
    expect(config).toMatchObject({ tasks: [], rewards: [], plugins: [] });
  });

  it('distributed.seed defaults to train.seed but may differ', () => {
    expect(validate({ ...minimal(), train: { max_steps: 1, seed: 7 } }).distributed.seed).toBe(7);
    expect(validate({ ...minimal(), distributed: { seed: 3 } }).distributed.seed).toBe(3);
  });

  it('treats empty YAML sections (null) as absent', () => {
    expect(validate({ ...minimal(), logging: null, distributed: null }).logging.output_dir).toBe('./output');
  });

  it('accepts a UnifiedConfig built in code, like the spec example, without modifying it', () => {
    const config = new UnifiedConfig();
    config.algo = AlgorithmType.PPO;
    config.model = Object.assign(new ModelConfig(), { name_or_path: 'microsoft/DialoGPT-small' });
    config.datasets = [Object.assign(new DatasetConfig(), { name: 'Anthropic/hh-rlhf', percent: 1 })];
    config.train = Object.assign(new TrainingConfig(), { max_steps: 100 });
    const validated = validate(config);
    expect(validated).not.toBe(config);
    expect(validated.datasets[0]!.percent).toBe(1);
    expect(config.distributed.seed).toBeUndefined();
  });

  it('null disables max_grad_norm and keeps save_total_limit unset', () => {
    const config = validate({ ...minimal(), train: { max_steps: 1, max_grad_norm: null, save_total_limit: null } });
    expect(config.train.max_grad_norm).toBeNull();
  });
});

describe('validateConfig: wrong types and ranges', () => {
  it('names the path, the rule and the offending value', () => {
    const lines = issueLines(() =>
      validate({
        ...minimal(),
        model: { name_or_path: 42, precision: 'fp64', gradient_checkpointing: 'yes' },
        train: { max_steps: 2.5, learning_rate: 'abc', optimizer: 'adam', warmup_ratio: 1, shuffle: 1, epochs: -1 },
        logging: { loggers: 'tensorboard' },
        datasets: [{ name: 'x', percent: 0, max_samples: 0, weight: -1, column_mapping: { prompt: 3 } }],
      }),
    );
    expect(lines).toEqual([
      'model.name_or_path: must be a non-empty string (got 42)',
      'model.precision: must be one of "auto", "fp32", "fp16", "bf16" (got "fp64")',
      'model.gradient_checkpointing: must be true or false (got "yes")',
      'datasets.0.percent: must be a number in (0, 100] (got 0)',
      'datasets.0.max_samples: must be a positive integer (got 0)',
      'datasets.0.column_mapping: must be a mapping of strings to strings (got {"prompt":3})',
      'datasets.0.weight: must be a number >= 0 (got -1)',
      'train.max_steps: must be a positive integer (got 2.5)',
      'train.epochs: must be a positive integer (got -1)',
      'train.learning_rate: must be a positive number (got "abc")',
      'train.optimizer: must be one of "adamw", "sgd" (got "adam")',
      'train.warmup_ratio: must be a number in [0, 1) (got 1)',
      'train.shuffle: must be true or false (got 1)',
      'logging.loggers: must be a list of strings (got "tensorboard")',
    ]);
  });

  it('reports a section of the wrong shape once, not once per field', () => {
    const lines = issueLines(() => validate({ ...minimal(), model: 'gpt2', datasets: { name: 'x' }, rewards: ['length', 3] }));
    expect(lines).toEqual([
      'model: must be a mapping (got "gpt2")',
      'datasets: must be a list (got {"name":"x"})',
      'rewards.1: must be a mapping (got 3)',
    ]);
  });

  it('rejects NaN and Infinity', () => {
    const lines = issueLines(() => validate({ ...minimal(), train: { max_steps: 1, learning_rate: Number.NaN, kl_coef: Infinity } }));
    expect(lines).toEqual([
      'train.kl_coef: must be a number >= 0 (got Infinity)',
      'train.learning_rate: must be a positive number (got NaN)',
    ]);
  });
});

describe('validateConfig: unknown keys', () => {
  it('rejects unknown keys everywhere, with did-you-mean suggestions', () => {
    const lines = issueLines(() =>
      validate({
        ...minimal(),
        modle: {},
        model: { name_or_path: 'gpt2', precison: 'fp32', trust_remote_code: true },
        datasets: [{ name: 'x', splt: 'test' }],
        distributed: { backened: 'single' },
        caching: { enable: false },
      }),
    );
    expect(lines).toEqual([
      'model.precison: unknown key (did you mean "precision"?)',
      'model.trust_remote_code: unknown key',
      'datasets.0.splt: unknown key (did you mean "split"?)',
      'distributed.backened: unknown key (did you mean "backend"?)',
      'caching.enable: unknown key (did you mean "enabled"?)',
      'modle: unknown key (did you mean "model"?)',
    ]);
  });

  it('without a catalog, keys under train that TrainingConfig lacks are errors (options cannot be checked)', () => {
    expect(issueLines(() => validate({ ...minimal(), train: { max_steps: 1, beta: 0.2, learnig_rate: 1 } }))).toEqual([
      'train.beta: unknown key; no plugin catalog was given, so algorithm options cannot be checked',
      'train.learnig_rate: unknown key (did you mean "learning_rate"?); no plugin catalog was given, so algorithm options cannot be checked',
    ]);
  });
});

describe('validateConfig: cross-field rules', () => {
  it('rejects warmup_steps with warmup_ratio, and a prompt longer than the sequence', () => {
    const lines = issueLines(() =>
      validate({ ...minimal(), train: { max_steps: 1, warmup_steps: 10, warmup_ratio: 0.1, max_length: 128, max_prompt_length: 256 } }),
    );
    expect(lines).toEqual([
      'train.warmup_ratio: set either warmup_steps or warmup_ratio, not both',
      'train.max_prompt_length: must not exceed train.max_length (256 > 128)',
    ]);
  });

  it('rejects all-zero dataset weights, duplicate tasks and loggers', () => {
    const lines = issueLines(() =>
      validate({
        ...minimal(),
        datasets: [{ name: 'a', weight: 0 }],
        tasks: [{ name: 'math' }, { name: 'math' }],
        logging: { loggers: ['tensorboard', 'tensorboard'] },
      }),
    );
    expect(lines).toEqual([
      'datasets: at least one dataset needs a weight > 0',
      'tasks.1.name: duplicate task "math" (also at index 0)',
      'logging.loggers.1: duplicate logger "tensorboard" (also at index 0)',
    ]);
  });

  it('accepts epochs alone, and max_steps with epochs', () => {
    expect(validate({ ...minimal(), train: { epochs: 2 } }).train.epochs).toBe(2);
    expect(validate({ ...minimal(), train: { epochs: 2, max_steps: 5 } }).train.max_steps).toBe(5);
  });
});

describe('validateConfig: features not built yet are errors, never ignored', () => {
  it('rejects a max_memory device other than the host, fused attention; accepts bf16, quantization, gradient checkpointing', () => {
    const lines = issueLines(() =>
      validate({
        ...minimal(),
        model: {
          name_or_path: 'gpt2',
          precision: 'bf16',
          quantization: { load_in_4bit: true },
          gradient_checkpointing: true,
          max_memory: { '0': '20GiB' },
          attn_implementation: 'flash_attention_2',
        },
      }),
    );
    expect(lines).toEqual([
      'model.max_memory.0: only the host budget is checked (key "cpu"); a budget for device "0" is not supported yet',
      'model.attn_implementation: "flash_attention_2" is not supported by the cpu compute backend yet; use "eager" or "auto"',
    ]);
  });

  it('accepts fp32, auto, eager and an empty quantization mapping', () => {
    const model = { name_or_path: 'gpt2', precision: 'fp32', attn_implementation: 'eager', quantization: {}, max_memory: {} };
    expect(validate({ ...minimal(), model }).model.precision).toBe('fp32');
  });

  it('model.quantization: BitsAndBytesConfig keys act or are refused, each named', () => {
    const withQuantization = (q: Record<string, unknown>) => validate({ ...minimal(), model: { name_or_path: 'gpt2', quantization: q } });
    const quantization = (q: Record<string, unknown>) => issueLines(() => withQuantization(q));
    expect(withQuantization({ load_in_4bit: true, bnb_4bit_quant_type: 'nf4', block_size: 32, bnb_4bit_compute_dtype: 'float32', bnb_4bit_use_double_quant: false }).model.quantization).toMatchObject({ load_in_4bit: true });
    expect(withQuantization({ load_in_8bit: true }).model.quantization).toEqual({ load_in_8bit: true });
    expect(quantization({ load_in_4bit: true, llm_int8_threshold: 6, bnb_4bit_quant_type: 'nf8', block_size: 48 })).toEqual([
      'model.quantization.llm_int8_threshold: unknown key (supported: load_in_4bit, load_in_8bit, bnb_4bit_quant_type, block_size, bnb_4bit_compute_dtype, bnb_4bit_use_double_quant)',
      'model.quantization.bnb_4bit_quant_type: "nf8" is not one of nf4, fp4, int4',
      'model.quantization.block_size: must be a power of two from 16 to 4096, got 48',
    ]);
    expect(quantization({ load_in_4bit: true, load_in_8bit: true, bnb_4bit_use_double_quant: true, bnb_4bit_compute_dtype: 'bfloat16' })).toEqual([
      'model.quantization.bnb_4bit_use_double_quant: double quantization (8-bit absmax) is not supported yet; set it to false',
      'model.quantization.bnb_4bit_compute_dtype: "bfloat16": the cpu compute backend dequantizes to and computes in float32; use float32',
      'model.quantization: set load_in_4bit or load_in_8bit, not both',
    ]);
    expect(quantization({ load_in_8bit: true, bnb_4bit_quant_type: 'nf4' })).toEqual(['model.quantization.bnb_4bit_quant_type: applies to load_in_4bit only']);
    expect(quantization({ load_in_4bit: false, bnb_4bit_quant_type: 'nf4' })).toEqual(['model.quantization: bnb_4bit_quant_type: needs load_in_4bit: true or load_in_8bit: true (or leave quantization empty)']);
    expect(withQuantization({ load_in_4bit: false }).model.quantization).toEqual({ load_in_4bit: false });
  });

  it('rejects several processes with the single backend', () => {
    const lines = issueLines(() => validate({ ...minimal(), distributed: { backend: 'single', nodes: 2, gpus_per_node: 4 } }));
    expect(lines).toEqual([
      'distributed.nodes: the "single" backend runs one process: nodes must be 1',
      'distributed.gpus_per_node: the "single" backend runs one process: gpus_per_node must be 1',
    ]);
  });

  it('without a catalog, checks algo and backend against the spec lists', () => {
    const lines = issueLines(() => validate({ ...minimal(), algo: 'grpoo', distributed: { backend: 'horovod' } }));
    expect(lines).toEqual([
      'algo: unknown algorithm "grpoo" (did you mean "grpo"?); known: ppo, dpo, grpo, gspo, dapo, drgrpo, sft, reward',
      'distributed.backend: unknown distributed backend "horovod"; known: single, ddp, fsdp, deepspeed',
    ]);
  });
});

describe('ConfigValidationError', () => {
  it('lists every issue in its message, with the source file', () => {
    const error = configError(() => ConfigLoader.validateConfig({ algo: 'dpo' }, undefined, 'configs/x.yaml'));
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigValidationError');
    expect(error.source).toBe('configs/x.yaml');
    expect(error.message).toBe(
      [
        'Invalid configuration in configs/x.yaml (3 problems):',
        '  - model: is required',
        '  - datasets: is required',
        '  - train: is required',
      ].join('\n'),
    );
  });
});
