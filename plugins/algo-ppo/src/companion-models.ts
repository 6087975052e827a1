import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Kernel } from '@aligntune/core/kernel';
import { ConfigValidationError, type ModelConfig } from '@aligntune/core/config';
import { loadFrozenModel, RewardModel, ValueModel, type FrozenWeights, type PolicyModel } from '@aligntune/core/models';
import { checkVocabulary, type TrainerLogger } from '@aligntune/core/training';

/** Where checkpoints and final/ keep the value model (a sequence-classification model directory). */
export const VALUE_MODEL_DIR = 'value_model';

/** Graph-name prefixes of the companion models' weights: the value model is trained (session params), the reward model frozen. */
export const VALUE_PREFIX = 'value.';
export const REWARD_PREFIX = 'reward.';

export interface CompanionContext {
  readonly model: ModelConfig;
  readonly policy: PolicyModel;
  /** The directory the policy started from (the value model's last resort), and the checkpoint being resumed. */
  readonly startDir: string;
  readonly resumeDir?: string;
  readonly kernel: Kernel;
  readonly resolveDir: (id: string) => Promise<string>;
  /** Seeds a fresh value head (train.seed). */
  readonly seed: number;
  readonly logger?: TrainerLogger;
  /** Gives the frozen reward model model.precision / model.quantization's storage. */
  readonly frozen: FrozenWeights;
}

/**
 * The value model: the resumed checkpoint's, else model.value_path, else the reward model (TRL's default: its
 * backbone and score head), else the starting policy with a fresh one-output score head.
 */
export async function loadValueModel(c: CompanionContext): Promise<ValueModel> {
  const resumed = c.resumeDir && join(c.resumeDir, VALUE_MODEL_DIR);
  if (resumed && !existsSync(resumed)) throw new Error(`${c.resumeDir}: not a PPO checkpoint (no ${VALUE_MODEL_DIR}/)`);
  const [field, source] = resumed
    ? ['train.resume_from_checkpoint', resumed]
    : c.model.value_path
      ? ['model.value_path', c.model.value_path]
      : c.model.reward_path
        ? ['model.reward_path', c.model.reward_path]
        : ['model.sft_path / model.name_or_path', c.startDir];
  c.logger?.info(`value model from ${source} (${field})`);
  const value = await ValueModel.load(source, { kernel: c.kernel, resolveDir: c.resolveDir, scoreHead: { numLabels: 1, seed: c.seed } });
  checkVocabulary(value.model, c.policy, field);
  return value;
}

/** model.reward_path: a sequence-classification checkpoint with one output. */
export async function loadRewardModel(c: CompanionContext): Promise<RewardModel | undefined> {
  const path = c.model.reward_path;
  if (!path) return undefined;
  // stored as it is read (model.precision / model.quantization), never whole in float32
  const reward = new RewardModel(await loadFrozenModel(path, c.frozen, { kernel: c.kernel, resolveDir: c.resolveDir }));
  const head = reward.model.config.head;
  if (head.kind === 'sequence-classification' && head.numLabels !== 1) {
    throw new ConfigValidationError([{ path: 'model.reward_path', message: `the reward model's score head has ${head.numLabels} outputs; PPO needs one` }]);
  }
  checkVocabulary(reward.model, c.policy, 'model.reward_path');
  return reward;
}
