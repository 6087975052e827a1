// Reward-model training from TypeScript: node examples/library/dist/reward.js [--model DIR] [--data FILE] [--out DIR] [--steps N]
// The final model (<out>/final, a *ForSequenceClassification checkpoint) can score PPO: ppo.js --reward-model <out>/final
import { AlgorithmType, DatasetConfig, LoggingConfig, ModelConfig, TrainerFactory, TrainingConfig, UnifiedConfig } from '@aligntune/core';
import type { RewardOptions } from '@aligntune/plugin-algo-reward';
import { create, exampleSettings, fixture, printResult } from './example-setup.js';

// Anthropic hh-rlhf format: the chosen answer opens politely, the rejected one rudely
const { model, data, out, steps } = await exampleSettings('reward', { data: fixture('preferences.jsonl'), steps: 10 });

const config = create(UnifiedConfig, {
  algo: AlgorithmType.REWARD,
  model: create(ModelConfig, { name_or_path: model }), // a causal LM gets a new score head
  datasets: [create(DatasetConfig, { name: data, adapter: 'hh-rlhf', max_samples: 64 })],
  train: create<TrainingConfig, RewardOptions>(TrainingConfig, {
    max_steps: steps,
    per_device_batch_size: 4,
    learning_rate: 1e-4,
    max_length: 64,
    max_prompt_length: 32,
    logging_steps: 1,
    save_interval: 0,
    center_rewards_coefficient: 0.01, // RewardOptions: keeps the rewards near zero mean
  }),
  logging: create(LoggingConfig, { output_dir: out }),
});

const trainer = await TrainerFactory.createTrainer(config);
printResult(await trainer.train());
