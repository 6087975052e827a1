// Direct preference optimization from TypeScript: node examples/library/dist/dpo.js [--model DIR] [--data FILE] [--out DIR] [--steps N]
import { AlgorithmType, DatasetConfig, LoggingConfig, ModelConfig, TrainerFactory, TrainingConfig, UnifiedConfig } from '@aligntune/core';
import type { DpoOptions } from '@aligntune/plugin-algo-dpo';
import { create, exampleSettings, fixture, printResult } from './example-setup.js';

// Anthropic hh-rlhf format: whole "\n\nHuman: ...\n\nAssistant: ..." dialogues, a polite and a rude answer
const { model, data, out, steps } = await exampleSettings('dpo', { data: fixture('preferences.jsonl'), steps: 10 });

const config = create(UnifiedConfig, {
  algo: AlgorithmType.DPO,
  model: create(ModelConfig, { name_or_path: model }), // ref_path unset: the reference is a frozen copy of it
  datasets: [create(DatasetConfig, { name: data, adapter: 'hh-rlhf', max_samples: 64 })],
  train: create<TrainingConfig, DpoOptions>(TrainingConfig, {
    max_steps: steps,
    per_device_batch_size: 4,
    learning_rate: 1e-4,
    max_length: 64,
    max_prompt_length: 32,
    logging_steps: 1,
    save_interval: 0,
    beta: 0.1, // DpoOptions
    loss_type: 'sigmoid',
  }),
  logging: create(LoggingConfig, { output_dir: out }),
});

const trainer = await TrainerFactory.createTrainer(config);
printResult(await trainer.train());
