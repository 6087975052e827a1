import {
  Bool,
  Describe,
  NonEmptyStr,
  NonNegativeInt,
  NonNegativeNumber,
  NumberRange,
  OneOf,
  Optional,
  PositiveInt,
  PositiveNumber,
} from './field-rules.js';

export const OPTIMIZERS = ['adamw', 'sgd'] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

export const LR_SCHEDULERS = ['constant', 'linear', 'cosine'] as const;
export type LrScheduler = (typeof LR_SCHEDULERS)[number];

export const MEMORY_SAVINGS = ['auto', 'off', 'update', 'full'] as const;
export type MemorySaving = (typeof MEMORY_SAVINGS)[number];

/** TRL's max_prompt_length; an unset max_prompt_length is this, or max_length when that is smaller. */
export const DEFAULT_MAX_PROMPT_LENGTH = 512;

/**
 * TrainingConfig keys that only some algorithms read: the seed's four PPO-style keys, and rollout replay. An
 * algorithm's options class declares its use of each (see UnifiedKeyUse); the others refuse them, so none
 * is accepted and then ignored.
 */
export const ALGORITHM_TRAINING_KEYS = ['rollout_batch_size', 'kl_coef', 'cliprange', 'num_ppo_epochs', 'rollouts_from'] as const;
export type AlgorithmTrainingKey = (typeof ALGORITHM_TRAINING_KEYS)[number];

/** train.save_dtype: `auto` keeps the start checkpoint's torch_dtype (as save_pretrained keeps the model's dtype), else the torch name. */
export const SAVE_DTYPES = ['auto', 'float32', 'bfloat16', 'float16'] as const;
export type SaveDtype = (typeof SAVE_DTYPES)[number];

export const TRUNCATION_MODES = ['keep_start', 'keep_end'] as const;
export type TruncationMode = (typeof TRUNCATION_MODES)[number];


/**
 * `train:` — the spec's TrainingConfig plus the optimiser/schedule/length settings of Hugging Face
 * TrainingArguments. Defaults follow TRL / TrainingArguments (see docs/configuration.md). Algorithm plugins
 * add their own options (DPO `beta`...) under the same `train:` key; after validation they are set on this
 * object too (see `trainOptions`).
 */
export class TrainingConfig {
  @Describe('Batch size per device (HF per_device_train_batch_size). Default 8.')
  @PositiveInt()
  per_device_batch_size = 8;

  @Describe('Micro-batches accumulated per optimizer step. Default 1.')
  @PositiveInt()
  gradient_accumulation_steps = 1;

  @Describe('Optimizer steps to run; wins over epochs when both are set. One of max_steps/epochs is required.')
  @Optional()
  @PositiveInt()
  max_steps?: number;

  @Describe('Passes over the training data. One of max_steps/epochs is required.')
  @Optional()
  @PositiveInt()
  epochs?: number;

  @Describe('Evaluate every N optimizer steps; 0 disables periodic evaluation. Default 0.')
  @NonNegativeInt()
  eval_interval = 0;

  @Describe(
    'Rows per task the evaluator scores at each evaluation besides the loss (task metrics: preference accuracy and margin, perplexity, math accuracy, ROUGE, pass@k, mean reward, KL to the reference; docs/observability.md). 0 turns it off. Default 32.',
  )
  @NonNegativeInt()
  eval_samples = 32;

  @Describe('Save a checkpoint every N optimizer steps; 0 saves only at the end. Default 500 (HF save_steps).')
  @NonNegativeInt()
  save_interval = 500;

  @Describe('Prompts per rollout batch of online algorithms that declare it (PPO: derived from its batch identity when unset). Refused by algorithms that do not use it.')
  @Optional()
  @PositiveInt()
  rollout_batch_size?: number;

  @Describe('KL penalty coefficient against the reference model (the seed\'s name). PPO reads it as is (default 0.05); the GRPO family reads it as `beta`. Refused by algorithms without a KL penalty.')
  @Optional()
  @NonNegativeNumber()
  kl_coef?: number;

  @Describe('PPO-style ratio clip range (the seed\'s name). PPO reads it as is (default 0.2); the GRPO family reads it as `epsilon`. Refused by algorithms without a clipped ratio.')
  @Optional()
  @PositiveNumber()
  cliprange?: number;

  @Describe('Optimisation epochs per rollout batch (PPO; default 4). Refused by algorithms that do not use it.')
  @Optional()
  @PositiveInt()
  num_ppo_epochs?: number;

  @Describe('Peak learning rate. Default 5e-5 (HF TrainingArguments); an algorithm plugin may set its own default.')
  @PositiveNumber()
  learning_rate = 5e-5;

  @Describe('Optimizer: "adamw" (default) or "sgd".')
  @OneOf(OPTIMIZERS)
  optimizer: Optimizer = 'adamw';

  @Describe('Decoupled weight decay. Default 0.')
  @NonNegativeNumber()
  weight_decay = 0;

  @Describe('AdamW beta1. Default 0.9.')
  @NumberRange(0, 1, { maxExclusive: true })
  adam_beta1 = 0.9;

  @Describe('AdamW beta2. Default 0.999.')
  @NumberRange(0, 1, { maxExclusive: true })
  adam_beta2 = 0.999;

  @Describe('AdamW epsilon. Default 1e-8.')
  @PositiveNumber()
  adam_epsilon = 1e-8;

  @Describe('SGD momentum. Default 0.')
  @NumberRange(0, 1, { maxExclusive: true })
  sgd_momentum = 0;

  @Describe('Learning-rate schedule after warmup: "constant", "linear" (default) or "cosine".')
  @OneOf(LR_SCHEDULERS)
  lr_scheduler: LrScheduler = 'linear';

  @Describe('Linear warmup steps. Default 0. Set at most one of warmup_steps/warmup_ratio.')
  @NonNegativeInt()
  warmup_steps = 0;

  @Describe('Warmup as a fraction of total steps, 0 <= x < 1. Default 0.')
  @NumberRange(0, 1, { maxExclusive: true })
  warmup_ratio = 0;

  @Describe('Clip the global gradient norm; 0 or null disables. Default 1.0.')
  @Optional()
  @NonNegativeNumber()
  max_grad_norm: number | null = 1;

  @Describe(
    'Memory over speed for large models (onnxruntime-node returns every output in a fresh buffer, so a one-run step holds old and new weights and optimizer state at once). "off": forward, backward and update in one run (fastest). "update": gradients in one run, then the update group by group (optimizer_group_mb), at about the same speed. "full": that, and no session keeps working memory between runs (lowest peak; gpt2-small DPO: 7.3 → 4.0 GiB, steps ~1.5× slower). "auto" (default): "off" on a compute backend that keeps weights and optimizer state resident (nothing is copied per step; docs/backends.md lists which), else "full" when the trainable parameters exceed 256 MiB, else "off".',
  )
  @OneOf(MEMORY_SAVINGS)
  memory_saving: MemorySaving = 'auto';

  @Describe('Parameter group size of the grouped optimizer update (memory_saving "update" or "full"), in MiB; a larger tensor is a group alone. Default 64.')
  @PositiveNumber()
  optimizer_group_mb = 64;

  @Describe('Shuffle training data each epoch. Default true.')
  @Bool()
  shuffle = true;

  @Describe('Random seed for initialisation, shuffling and sampling. Default 42.')
  @NonNegativeInt()
  seed = 42;

  @Describe('Log metrics every N optimizer steps. Default 10 (TRL).')
  @PositiveInt()
  logging_steps = 10;

  @Describe('dtype of the published model (final/): "auto" (default) keeps the start checkpoint config.json torch_dtype, as save_pretrained keeps the model dtype (a LoRA adapter stays float32, as PEFT upcasts adapters; the value_model/ of PPO follows the policy); "float32", "bfloat16" or "float16" force one. Checkpoints for resuming always hold float32 master weights.')
  @OneOf(SAVE_DTYPES)
  save_dtype: SaveDtype = 'auto';

  @Describe('Keep at most N checkpoints (oldest deleted first); null keeps all. Default null.')
  @Optional()
  @PositiveInt()
  save_total_limit?: number | null;

  @Describe('Checkpoint directory to resume from, or "latest" for the newest in output_dir. Default: none.')
  @Optional()
  @NonEmptyStr()
  resume_from_checkpoint?: string;

  @Describe('Maximum tokens per sequence (prompt + completion). Default 1024 (TRL).')
  @PositiveInt()
  max_length = 1024;

  @Describe(`Maximum prompt tokens. Default ${DEFAULT_MAX_PROMPT_LENGTH} (TRL), or max_length when that is smaller.`)
  @PositiveInt()
  max_prompt_length = DEFAULT_MAX_PROMPT_LENGTH; // validation lowers it to a smaller max_length when it was not set

  @Describe('How over-long prompts are cut: "keep_end" (default, TRL DPO) keeps the end nearest the completion.')
  @OneOf(TRUNCATION_MODES)
  truncation_mode: TruncationMode = 'keep_end';

  @Describe('Fraction of training rows held out for evaluation when no dataset has eval_split, 0 <= x < 1. Default 0.')
  @NumberRange(0, 1, { maxExclusive: true })
  eval_fraction = 0;

  @Describe('Rollout replay for online algorithms (PPO, the GRPO family; refused by the others): a JSONL file of prompt, completion and reward(s) rows used instead of sampling (G consecutive rows per prompt). Unset (default): sample from the policy.')
  @Optional()
  @NonEmptyStr()
  rollouts_from?: string;
}
