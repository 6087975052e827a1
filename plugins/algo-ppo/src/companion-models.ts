import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigValidationError, DecoderModel, loadModel, RewardModel, ValueModel, type Kernel, type ModelConfig, type PolicyModel, type TrainerLogger } from '@aligntune/core';

/** Where checkpoints and final/ keep the value model (a sequence-classification model directory). */
export const VALUE_MODEL_DIR = 'value_model';

export interface CompanionContext {
  readonly model: ModelConfig;
  readonly policy: PolicyModel;
  /** The directory the policy started from, and the checkpoint being resumed. */
  readonly startDir: string;
  readonly resumeDir?: string;
  readonly kernel: Kernel;
  readonly resolveDir: (id: string) => Promise<string>;
  /** Seeds a fresh value head (train.seed). */
  readonly seed: number;
  readonly logger?: TrainerLogger;
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
  const reward = await RewardModel.load(path, { kernel: c.kernel, resolveDir: c.resolveDir });
  const head = reward.model.config.head;
  if (head.kind === 'sequence-classification' && head.numLabels !== 1) {
    throw new ConfigValidationError([{ path: 'model.reward_path', message: `the reward model's score head has ${head.numLabels} outputs; PPO needs one` }]);
  }
  checkVocabulary(reward.model, c.policy, 'model.reward_path');
  return reward;
}

/**
 * The KL reference: model.ref_path, else the starting policy. Without a resume its weights are shared with the
 * policy's initial ones (the policy's updates replace map entries, never write into these tensors).
 */
export async function loadReference(c: CompanionContext): Promise<DecoderModel> {
  const ref = c.model.ref_path;
  if (!ref && !c.resumeDir) return new DecoderModel({ ...c.policy.model, weights: new Map(c.policy.model.weights) });
  const reference = await loadModel(ref ? await c.resolveDir(ref) : c.startDir, { kernel: c.kernel });
  checkVocabulary(reference, c.policy, 'model.ref_path');
  return reference;
}

/** The models read the policy's token ids, so they must share its vocabulary. */
function checkVocabulary(model: DecoderModel, policy: PolicyModel, field: string): void {
  const mine = model.config.vocabSize;
  const policyVocab = policy.model.config.vocabSize;
  if (mine !== policyVocab) {
    throw new ConfigValidationError([{ path: field, message: `has a vocabulary of ${mine} tokens, the policy ${policyVocab}: it must use the policy's tokenizer` }]);
  }
}
