// Supervised fine-tuning from TypeScript: node examples/library/dist/sft.js [--model DIR] [--data FILE] [--out DIR] [--steps N]
import { AlgorithmType, DatasetConfig, LoggingConfig, ModelConfig, TrainerFactory, TrainingConfig, UnifiedConfig } from '@aligntune/core';
import type { SftOptions } from '@aligntune/plugin-algo-sft';
import { create, exampleSettings, fixture, printResult } from './example-setup.js';

// prompt/completion rows: "Reverse the words: sun red rain" → "rain red sun"
const { model, data, out, steps } = await exampleSettings('sft', { data: fixture('sft.jsonl'), steps: 10 });

const config = create(UnifiedConfig, {
  algo: AlgorithmType.SFT,
  model: create(ModelConfig, { name_or_path: model }),
  datasets: [create(DatasetConfig, { name: data, max_samples: 64 })],
  train: create<TrainingConfig, SftOptions>(TrainingConfig, {
    max_steps: steps,
    per_device_batch_size: 4,
    learning_rate: 1e-3,
    max_length: 64,
    max_prompt_length: 32,
    logging_steps: 1,
    save_interval: 0,
    completion_only_loss: true, // SftOptions: prompt tokens are masked out of the loss
  }),
  logging: create(LoggingConfig, { output_dir: out }),
});

// Discovers the plugins installed in this application (package.json), validates the config against them
// (SFT's options included), and creates the algorithm's trainer.
const trainer = await TrainerFactory.createTrainer(config);
printResult(await trainer.train());
