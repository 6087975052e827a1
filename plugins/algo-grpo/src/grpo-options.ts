import { IsArray, IsNumber, IsOptional } from 'class-validator';
import { Bool, Describe, NonNegativeNumber, NumberRange, OneOf, Optional, PositiveInt, PositiveNumber, trainOptions, validCounts } from '@aligntune/core/config';
import { type ConfigIssue, type UnifiedConfig, type UnifiedKeyUse } from '@aligntune/core/config';

export const GRPO_LOSS_TYPES = ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const;
export type GrpoLossType = (typeof GRPO_LOSS_TYPES)[number];
export const SCALE_REWARDS = ['group', 'batch', 'none'] as const;
export type ScaleRewards = (typeof SCALE_REWARDS)[number];
export const IMPORTANCE_LEVELS = ['token', 'sequence'] as const;
export type ImportanceSamplingLevel = (typeof IMPORTANCE_LEVELS)[number];

/** GRPO options under `train:` (TRL GRPOConfig names and defaults); the presets subclass it with their own defaults. */
export class GrpoOptions {
  /** The seed maps the GRPO family's KL weight and clip range from its unified names: β ← kl_coef, ε ← cliprange. */
  static readonly unifiedKeys: UnifiedKeyUse = {
    uses: ['rollouts_from'],
    renames: { kl_coef: 'beta', cliprange: 'epsilon' },
    rewards: true,
    instead: {
      num_ppo_epochs: 'use train.num_iterations (optimisation passes over each generation batch, TRL\'s μ)',
      rollout_batch_size: 'the generation batch is per_device_batch_size × steps_per_generation completions: use train.steps_per_generation',
    },
  };

  /** Cross-field rules, naming the fields (run at validation with every other check). */
  static checkConfig(config: UnifiedConfig): ConfigIssue[] {
    const o = trainOptions<GrpoOptions>(config);
    const issues: ConfigIssue[] = [];
    if (validCounts(o.num_generations) && o.num_generations < 2) {
      issues.push({ path: 'train.num_generations', message: `must be at least 2 (got ${o.num_generations}): advantages compare completions of one prompt` });
    }
    const stepsPerGeneration = stepsPerGenerationOf(o);
    // TRL's rule: the generation batch (every process's) holds whole groups; a group may straddle two ranks
    const processes = config.distributed.nodes * config.distributed.gpus_per_node;
    const generationBatch = o.per_device_batch_size * processes * stepsPerGeneration;
    if (o.num_generations >= 2 && validCounts(o.per_device_batch_size, o.num_generations, processes, stepsPerGeneration) && generationBatch % o.num_generations !== 0) {
      const of = processes > 1 ? ` × ${processes} processes` : '';
      issues.push({ path: 'train.per_device_batch_size', message: `counts completions: the generation batch per_device_batch_size${of} × steps_per_generation = ${generationBatch} must be divisible by train.num_generations (${o.num_generations})` });
    }
    if (validCounts(stepsPerGeneration, o.gradient_accumulation_steps) && stepsPerGeneration % o.gradient_accumulation_steps !== 0) {
      issues.push({ path: 'train.steps_per_generation', message: `must be a multiple of train.gradient_accumulation_steps (${stepsPerGeneration} vs ${o.gradient_accumulation_steps})` });
    }
    const rewards = config.rewards?.length ?? 0;
    if (Array.isArray(o.reward_weights) && o.reward_weights.length !== rewards) {
      issues.push({ path: 'train.reward_weights', message: `has ${o.reward_weights.length} entries but there are ${rewards} rewards` });
    }
    if (rewards === 0 && !o.rollouts_from) issues.push({ path: 'rewards', message: `${config.algo} needs at least one reward (or train.rollouts_from)` });
    return issues;
  }

  @Describe('Completions sampled per prompt (G >= 2); train.per_device_batch_size counts completions, and the generation batch (per_device_batch_size × processes × steps_per_generation) must be divisible by it. Default 8 (TRL).')
  @PositiveInt()
  num_generations = 8;

  @Describe('Maximum completion tokens generated per prompt. Default 256 (TRL).')
  @PositiveInt()
  max_completion_length = 256;

  @Describe('Sampling temperature; log-probs in the loss use logits / temperature too. Unset (default) = the model\'s generation_config.json temperature, else 1.')
  @Optional()
  @PositiveNumber()
  temperature?: number;

  @Describe('Nucleus sampling threshold in (0, 1]. Unset (default) = the model\'s generation_config.json top_p, else 1 (off).')
  @Optional()
  @NumberRange(0, 1, { minExclusive: true })
  top_p?: number;

  @Describe('Top-k sampling; 0 = off. Unset (default) = the model\'s generation_config.json top_k, else 0.')
  @Optional()
  @NumberRange(0, Number.MAX_SAFE_INTEGER)
  top_k?: number;

  @Describe('KL coefficient β (k3 estimator against the reference model, built only when β > 0). Default 0 (TRL).')
  @NonNegativeNumber()
  beta = 0;

  @Describe('Lower clipping range ε: the ratio is clipped to [1 − ε, 1 + epsilon_high]. Default 0.2.')
  @NonNegativeNumber()
  epsilon = 0.2;

  @Describe('Upper clipping range; unset = epsilon. DAPO uses 0.28.')
  @Optional()
  @NonNegativeNumber()
  epsilon_high?: number;

  @Describe('Two-sided GRPO: cap the ratio at δ in the unclipped term (δ > 1 recommended). Unset = off.')
  @Optional()
  @PositiveNumber()
  delta?: number;

  @Describe('Optimisation passes (μ) over each generation batch. Default 1.')
  @PositiveInt()
  num_iterations = 1;

  @Describe('Micro-batches per generation batch; unset = gradient_accumulation_steps.')
  @Optional()
  @PositiveInt()
  steps_per_generation?: number;

  @Describe('Advantage scaling: "group" (default, group std), "batch" (batch std) or "none" (Dr. GRPO).')
  @OneOf(SCALE_REWARDS)
  scale_rewards: ScaleRewards = 'group';

  @Describe('Loss aggregation: "grpo" (mean of per-sequence means), "bnpo" (token mean per micro-batch), "dr_grpo" (÷ batch × max_completion_length), "dapo" (token mean over the generation batch).')
  @OneOf(GRPO_LOSS_TYPES)
  loss_type: GrpoLossType = 'grpo';

  @Describe('Importance ratios per "token" (GRPO) or per "sequence" (GSPO: exp of the mean log-ratio).')
  @OneOf(IMPORTANCE_LEVELS)
  importance_sampling_level: ImportanceSamplingLevel = 'token';

  @Describe('Mask completions that hit max_completion_length without EOS out of the loss entirely (DAPO). Default false (true for dapo).')
  @Bool()
  mask_truncated_completions = false;

  @Describe('Weights of the rewards, one per `rewards:` entry (TRL reward_weights); unset = each reward\'s `weight`.')
  @IsOptional()
  @IsArray({ message: 'must be a list of numbers' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true, message: 'must be a list of numbers' })
  reward_weights?: number[];

  @Describe('Dynamic sampling (DAPO): groups whose rewards all tie are dropped and more prompts sampled, at most this many extra generation rounds per batch. 0 = off (default; dapo: 8).')
  @NumberRange(0, 1000)
  max_resample = 0;

  @Describe('Write a completions table (prompt, completion, rewards, advantage) to the metric loggers (and <output_dir>/tables/completions/step-<N>.jsonl) every N steps; 0 = never. Default 0.')
  @NumberRange(0, Number.MAX_SAFE_INTEGER)
  log_completions_steps = 0;

  @Describe('Peak learning rate. Default 1e-6 (TRL GRPOConfig).')
  @PositiveNumber()
  learning_rate = 1e-6;
}

/** DAPO (Yu et al. 2025): token-level loss over the generation batch, clip-higher, overlong masking, dynamic sampling. */
export class DapoOptions extends GrpoOptions {
  override loss_type: GrpoLossType = 'dapo';
  override epsilon_high?: number = 0.28;
  override mask_truncated_completions = true;
  override max_resample = 8;
}

/** Dr. GRPO (Liu et al. 2025): no std scaling, constant normaliser. */
export class DrGrpoOptions extends GrpoOptions {
  override loss_type: GrpoLossType = 'dr_grpo';
  override scale_rewards: ScaleRewards = 'none';
}

/** GSPO (Zheng et al. 2025): sequence-level importance ratios. */
export class GspoOptions extends GrpoOptions {
  override importance_sampling_level: ImportanceSamplingLevel = 'sequence';
}

/** Micro-batches per generation batch: steps_per_generation, else gradient_accumulation_steps (TRL). */
export function stepsPerGenerationOf(o: { steps_per_generation?: number; gradient_accumulation_steps: number }): number {
  return o.steps_per_generation ?? o.gradient_accumulation_steps;
}
