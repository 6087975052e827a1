// The GRPO family from TypeScript, one algorithm per run:
//   node examples/library/dist/grpo.js [--algo grpo|dapo|drgrpo|gspo] [--model DIR] [--data FILE] [--out DIR] [--steps N]
import { AlgorithmType, DatasetConfig, LoggingConfig, ModelConfig, RewardConfig, TrainerFactory, TrainingConfig, UnifiedConfig } from '@aligntune/core';
import type { GrpoOptions } from '@aligntune/plugin-algo-grpo';
import { create, exampleSettings, fixture, printResult } from './example-setup.js';

// One implementation, four presets: dapo (asymmetric clip, dynamic sampling), drgrpo (no length/std
// normalisation), gspo (sequence-level ratios). The options are GrpoOptions for all four.
const FAMILY = [AlgorithmType.GRPO, AlgorithmType.DAPO, AlgorithmType.DRGRPO, AlgorithmType.GSPO];

const { model, data, out, steps, options } = await exampleSettings('grpo', { data: fixture('sft.jsonl'), steps: 4, options: { algo: 'grpo' } });
const algo = FAMILY.find((id) => id === options.algo);
if (!algo) throw new Error(`--algo ${options.algo}: expected one of ${FAMILY.join(', ')}`);

const config = create(UnifiedConfig, {
  algo,
  model: create(ModelConfig, { name_or_path: model }),
  // The fixture's completion becomes the reference answer, so rows are prompts alone: GRPO samples the completions.
  datasets: [create(DatasetConfig, { name: data, max_samples: 64, column_mapping: { reference: 'completion' } })],
  rewards: [
    create(RewardConfig, { type: 'exact_match', weight: 1 }), // 1 when the completion is the reference
    create(RewardConfig, { type: 'length', weight: 0.1, params: { target: 3 } }), // partial credit for three words
  ],
  train: create<TrainingConfig, GrpoOptions>(TrainingConfig, {
    max_steps: steps,
    per_device_batch_size: 8, // completions: two prompts × num_generations
    learning_rate: 1e-4,
    max_prompt_length: 32,
    logging_steps: 1,
    save_interval: 0,
    num_generations: 4,
    max_completion_length: 8,
    temperature: 1,
  }),
  logging: create(LoggingConfig, { output_dir: out }),
});

const trainer = await TrainerFactory.createTrainer(config);
printResult(await trainer.train());
