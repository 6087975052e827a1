import { describe, expect, it } from 'vitest';
import { ConfigLoader, trainOptions } from '@aligntune/core';
import { FakeDpoOptions, FakeLengthParams, catalogWithDpo, fakeCatalog, issueLines, minimal } from './fake-catalog.js';

const withDpo = (config: unknown) => ConfigLoader.validateConfig(config, catalogWithDpo());

describe('algorithm options under train:', () => {
  it('validates options with TrainingConfig keys in one pass and sets them, with defaults, on train', () => {
    const config = withDpo({ ...minimal(), train: { max_steps: 5, beta: 0.3 } });
    const train = trainOptions<FakeDpoOptions>(config);
    expect(train.beta).toBe(0.3);
    expect(train.loss_type).toBe('sigmoid');
    expect(train.max_steps).toBe(5);
  });

  it("lets the options class set a TrainingConfig key's default, and the user override it", () => {
    expect(withDpo(minimal()).train.learning_rate).toBe(1e-6);
    expect(withDpo({ ...minimal(), train: { max_steps: 1, learning_rate: 3e-4 } }).train.learning_rate).toBe(3e-4);
    // a bad value of a shared key is reported once
    expect(issueLines(() => withDpo({ ...minimal(), train: { max_steps: 1, learning_rate: -1 } }))).toEqual([
      'train.learning_rate: must be a positive number (got -1)',
    ]);
  });

  it('reports bad option values and unknown keys together with core errors', () => {
    const lines = issueLines(() =>
      withDpo({ ...minimal(), model: {}, train: { max_steps: 0, beta: 'high', loss_type: 'sigmod', bta: 1, learnig_rate: 1 } }),
    );
    expect(lines).toEqual([
      'model.name_or_path: is required',
      'train.max_steps: must be a positive integer (got 0)',
      'train.bta: unknown key (did you mean "beta"?); not an option of algorithm "dpo"',
      'train.learnig_rate: unknown key (did you mean "learning_rate"?); not an option of algorithm "dpo"',
      'train.beta: must be a positive number (got "high")',
      'train.loss_type: must be one of "sigmoid", "hinge", "ipo" (got "sigmod")',
    ]);
  });

  it('says no installed plugin provides the algorithm when its options cannot be known', () => {
    const lines = issueLines(() => ConfigLoader.validateConfig({ ...minimal(), train: { max_steps: 1, beta: 0.1 } }, fakeCatalog()));
    expect(lines).toEqual(['train.beta: unknown key; no installed plugin provides algorithm "dpo", so its options are unknown']);
  });

  it('rejects options for an algorithm that takes none', () => {
    const lines = issueLines(() => withDpo({ ...minimal(), algo: 'sft', train: { max_steps: 1, beta: 0.1 } }));
    expect(lines).toEqual(['train.beta: unknown key; algorithm "sft" takes no options']);
  });

  it('accepts an algorithm id that only a plugin provides', () => {
    const catalog = fakeCatalog({ algorithm: { kto: {} } });
    expect(ConfigLoader.validateConfig({ ...minimal(), algo: 'kto' }, catalog).algo).toBe('kto');
    expect(issueLines(() => ConfigLoader.validateConfig({ ...minimal(), algo: 'ktoo' }, catalog))).toEqual([
      'algo: unknown algorithm "ktoo" (did you mean "kto"?); known: ppo, dpo, grpo, gspo, dapo, drgrpo, sft, reward, kto',
    ]);
  });
});

describe('reward and task parameters', () => {
  it('collects extra keys (flat or under params) into params, validated by the params class', () => {
    const config = withDpo({
      ...minimal(),
      algo: 'grpo',
      rewards: [
        { type: 'length', weight: 0.5, min_length: 10, params: { max_length: 200 } },
        { type: 'safety', shield: true, strict: true },
        { type: 'math' },
      ],
    });
    expect(config.rewards[0]!.params).toBeInstanceOf(FakeLengthParams);
    expect(config.rewards[0]!.params).toMatchObject({ min_length: 10, max_length: 200 });
    expect(config.rewards[1]).toMatchObject({ shield: true, params: { strict: true } });
    expect(config.rewards[2]!.params).toMatchObject({ tolerance: 1e-6 });
  });

  it('reports bad params, unknown params with suggestions, and params of a reward that takes none', () => {
    const lines = issueLines(() =>
      withDpo({
        ...minimal(),
        algo: 'grpo',
        rewards: [
          { type: 'length', min_lenght: 3, max_length: -5 },
          { type: 'math', tolerance: 2, weigth: 1 },
          { type: 'code', language: 'python' },
          { type: 'safety', strict: true, params: { strict: false } },
        ],
      }),
    );
    expect(lines).toEqual([
      'rewards.3.strict: given both flat and under params',
      'rewards.0.min_lenght: unknown key (did you mean "min_length"?)',
      'rewards.0.max_length: must be an integer >= 0 (got -5)',
      'rewards.1.weigth: unknown key (did you mean "weight"?)',
      'rewards.1.tolerance: must be <= 1 (got 2)',
      'rewards.2.language: unknown key; reward "code" takes no parameters',
    ]);
  });

  it('validates task params the same way', () => {
    const catalog = fakeCatalog({ task: { math: { params: FakeLengthParams } } });
    const lines = issueLines(() => ConfigLoader.validateConfig({ ...minimal(), tasks: [{ name: 'math', max_lenth: 3 }] }, catalog));
    expect(lines).toEqual(['tasks.0.max_lenth: unknown key (did you mean "max_length"?)']);
  });

  it('without a catalog, reward ids are unchecked but parameters are errors', () => {
    expect(ConfigLoader.validateConfig({ ...minimal(), rewards: [{ type: 'anything', shield: true }] }).rewards[0]!.type).toBe('anything');
    expect(issueLines(() => ConfigLoader.validateConfig({ ...minimal(), rewards: [{ type: 'length', min_length: 1 }] }))).toEqual([
      'rewards.0.min_length: unknown key; no plugin catalog was given, so reward parameters cannot be checked',
    ]);
  });
});

describe('ids only plugins provide', () => {
  it('rejects unknown reward, task, loader, adapter and logger ids, listing the installed ones', () => {
    const lines = issueLines(() =>
      withDpo({
        ...minimal(),
        datasets: [{ name: 'x', loader: 'hf', adapter: 'hh_rlhf', task_type: 'maths' }],
        tasks: [{ name: 'translation' }],
        rewards: [{ type: 'lenght' }],
        logging: { loggers: ['tensorboard', 'wandb'] },
      }),
    );
    expect(lines).toEqual([
      'datasets.0.task_type: unknown task "maths" (did you mean "math"?); installed: conversation, classification, summarization, math, code',
      'datasets.0.loader: unknown dataset loader "hf"; installed: huggingface, local',
      'datasets.0.adapter: unknown schema adapter "hh_rlhf" (did you mean "hh-rlhf"?); installed: chat, hh-rlhf, ultrafeedback, alpaca',
      'tasks.0.name: unknown task "translation"; installed: conversation, classification, summarization, math, code',
      'rewards.0.type: unknown reward "lenght" (did you mean "length"?); installed: length, math, safety, code, sentiment, coherence',
      'logging.loggers.1: unknown metric logger "wandb"; installed: tensorboard',
    ]);
  });

  it('says an unregistered spec backend is not supported by this installation yet', () => {
    const lines = issueLines(() => withDpo({ ...minimal(), distributed: { backend: 'ddp', gpus_per_node: 2 } }));
    expect(lines).toEqual([
      'distributed.backend: "ddp" is not supported by this installation yet: no plugin provides distributed backend "ddp"; installed: single; install a plugin that provides it (docs/distributed.md: the Open MPI one and what it needs)',
    ]);
  });

  it('accepts a backend a plugin provides, and rejects unknown ones with suggestions', () => {
    const catalog = fakeCatalog({ 'distributed-backend': { fsdp: {} } });
    const config = ConfigLoader.validateConfig({ ...minimal(), distributed: { backend: 'fsdp', gpus_per_node: 2 } }, catalog);
    expect(config.distributed.backend).toBe('fsdp');
    expect(issueLines(() => ConfigLoader.validateConfig({ ...minimal(), distributed: { backend: 'singel' } }, catalog))).toEqual([
      'distributed.backend: unknown distributed backend "singel" (did you mean "single"?); installed: single, fsdp',
    ]);
  });

  it('says when no plugin provides any contribution of a kind', () => {
    const empty = { ids: () => [], metadata: () => undefined };
    expect(issueLines(() => ConfigLoader.validateConfig({ ...minimal(), distributed: { backend: 'single' }, rewards: [{ type: 'length' }] }, empty))).toEqual([
      'rewards.0.type: unknown reward "length"; no installed plugin provides any reward',
      'distributed.backend: "single" is not supported by this installation yet: no plugin provides distributed backend "single"; no installed plugin provides any distributed backend; install a plugin that provides it (docs/distributed.md: the Open MPI one and what it needs)',
    ]);
  });
});
