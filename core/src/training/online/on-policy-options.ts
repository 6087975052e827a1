import type { ConfigIssue } from '../../config/config-validation-error.js';
import { trainOptions } from '../../config/config-loader.js';
import { Describe, NonNegativeNumber, NumberRange, OneOf, Optional, PositiveInt, PositiveNumber } from '../../config/field-rules.js';
import type { TrainingConfig } from '../../config/training-config.js';
import type { UnifiedConfig } from '../../config/unified-config.js';
import { validCounts } from '../../config/unified-key-use.js';
import type { SamplingKnobs } from '../../models/rollout/sampling-defaults.js';

export const STOP_TOKENS = ['eos', 'none'] as const;
export type StopToken = (typeof STOP_TOKENS)[number];

/**
 * TRL's OnPolicyConfig, shared by the trainers built like its PPOTrainer (a rollout batch, then num_ppo_epochs
 * shuffled passes of num_mini_batches optimizer steps). The seed's unified kl_coef, cliprange, num_ppo_epochs and
 * rollout_batch_size are redeclared here with TRL's defaults: such an algorithm reads them as they are.
 */
export class OnPolicyOptions {
  /** Derives rollout_batch_size / num_mini_batches from each other (TRL's batch identity) and checks them. */
  static checkConfig(config: UnifiedConfig): ConfigIssue[] {
    const o = trainOptions<OnPolicyOptions>(config);
    if (!validCounts(o.per_device_batch_size, o.gradient_accumulation_steps, o.num_mini_batches ?? 1, o.rollout_batch_size ?? 1)) return [];
    const micro = o.per_device_batch_size * o.gradient_accumulation_steps;
    // TRL: batch_size = per_device_train_batch_size × gradient_accumulation_steps × num_mini_batches (default 1)
    o.rollout_batch_size ??= (o.num_mini_batches ?? 1) * micro;
    return batchIssues(o, micro);
  }

  /** The sampling option PPO and RLOO have: temperature, TRL's 0.7 unless set or given by generation_config.json (no top-k / top-p, as in TRL). */
  static samplingKnobs(o: OnPolicyOptions): SamplingKnobs {
    return { temperature: { key: 'train.temperature', value: o.temperature, fallback: 0.7 } };
  }

  @Describe('Completions per rollout batch and process (several processes: the rollout batch is this × processes, TRL\'s local_batch_size × world_size). Unset (default) = num_mini_batches × gradient_accumulation_steps × per_device_batch_size, num_mini_batches defaulting to 1 (TRL\'s derived batch_size).') @Optional() @PositiveInt()
  rollout_batch_size?: number;

  @Describe('Mini-batches (= optimizer steps) per epoch over a rollout batch; rollout_batch_size = num_mini_batches × gradient_accumulation_steps × per_device_batch_size. Unset (default) = derived from that identity (1 when rollout_batch_size is unset too).') @Optional() @PositiveInt()
  num_mini_batches?: number;

  @Describe('Optimisation epochs per rollout batch. Default 4 (TRL).') @PositiveInt()
  num_ppo_epochs = 4;

  @Describe('KL penalty coefficient: reward −kl_coef·KL against the reference. Default 0.05 (TRL).') @NonNegativeNumber()
  kl_coef = 0.05;

  @Describe('Ratio clip range of the policy loss. Default 0.2 (TRL).') @PositiveNumber()
  cliprange = 0.2;

  @Describe('New tokens sampled per completion. Default 53 (TRL).') @PositiveInt()
  response_length = 53;

  @Describe('Sampling temperature; the log-probs of the policy, the old policy and the reference use logits / temperature too. Unset (default) = the model\'s generation_config.json temperature, else 0.7 (TRL).') @Optional() @PositiveNumber()
  temperature?: number;

  @Describe('"eos" (default): a completion ends at its first EOS (kept), the rest is padding. "none": EOS does not stop sampling; every completion is response_length tokens (TRL\'s stop_token: null).') @OneOf(STOP_TOKENS)
  stop_token: StopToken = 'eos';

  @Describe('Subtracted from the score of completions that contain no EOS. Unset (default) = no penalty.') @Optional() @NonNegativeNumber()
  missing_eos_penalty?: number;

  @Describe('Write a completions table (prompt, completion, rewards, score) to the metric loggers (and <output_dir>/tables/completions/step-<N>.jsonl) every N steps; 0 = never. Default 0.') @NumberRange(0, Number.MAX_SAFE_INTEGER)
  log_completions_steps = 0;
}

/** TRL's batch identity, naming the fields. */
function batchIssues(o: TrainingConfig & OnPolicyOptions, micro: number): ConfigIssue[] {
  const size = o.rollout_batch_size!;
  if (o.num_mini_batches !== undefined && o.num_mini_batches * micro !== size) {
    return [{
      path: 'train.rollout_batch_size',
      message: `must equal num_mini_batches × gradient_accumulation_steps × per_device_batch_size = ${o.num_mini_batches} × ${o.gradient_accumulation_steps} × ${o.per_device_batch_size} (got ${size})`,
    }];
  }
  if (size % micro !== 0) {
    return [{ path: 'train.rollout_batch_size', message: `must be a multiple of gradient_accumulation_steps × per_device_batch_size = ${micro} (got ${size})` }];
  }
  return [];
}
