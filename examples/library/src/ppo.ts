// PPO from TypeScript, the seed's Quick Start:
//   node examples/library/dist/ppo.js [--reward-model DIR] [--model DIR] [--data FILE] [--out DIR] [--steps N]
import { AlgorithmType, DatasetConfig, LoggingConfig, ModelConfig, RewardConfig, TrainerFactory, TrainingConfig, UnifiedConfig } from '@aligntune/core';
import type { PpoOptions } from '@aligntune/plugin-algo-ppo';
import { create, exampleSettings, fixture, printResult } from './example-setup.js';

// --reward-model: a reward model to score completions with, e.g. the final/ directory reward.js wrote
const { model, data, out, steps, options } = await exampleSettings('ppo', { data: fixture('sft.jsonl'), steps: 4, options: { 'reward-model': undefined } });

const config = create(UnifiedConfig, {
  algo: AlgorithmType.PPO,
  // value_path unset: the value model starts from the reward model when there is one, else from the policy
  model: create(ModelConfig, { name_or_path: model, reward_path: options['reward-model'] }),
  // The fixture's completion becomes the reference answer, so rows are prompts alone: PPO samples the completions.
  datasets: [create(DatasetConfig, { name: data, percent: 25, column_mapping: { reference: 'completion' } })],
  // Added to the reward model's score (PpoOptions.reward_model_weight weighs that one).
  rewards: [
    create(RewardConfig, { type: 'exact_match', weight: 1 }),
    create(RewardConfig, { type: 'length', weight: 0.1, params: { target: 3 } }),
  ],
  train: create<TrainingConfig, PpoOptions>(TrainingConfig, {
    max_steps: steps,
    per_device_batch_size: 4,
    rollout_batch_size: 8, // prompts per rollout: two mini-batches of 4
    num_ppo_epochs: 2, // so one rollout batch gives 2 × 2 optimizer steps
    kl_coef: 0.05,
    cliprange: 0.2,
    learning_rate: 1e-5,
    max_prompt_length: 32,
    logging_steps: 1,
    save_interval: 0,
    response_length: 8, // PpoOptions: new tokens per completion
  }),
  logging: create(LoggingConfig, { output_dir: out }),
});

const trainer = await TrainerFactory.createTrainer(config);
printResult(await trainer.train());
