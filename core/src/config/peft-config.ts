import { Bool, Describe, NumberRange, OneOf, Optional, PositiveInt, PositiveNumber, StrList } from './field-rules.js';

/** PEFT's spelling for "every linear layer but the output head". */
export const ALL_LINEAR = 'all-linear';

/** LoRA's bias setting; only "none" (biases stay frozen) is implemented. */
export const LORA_BIASES = ['none'] as const;

/**
 * `model.peft:` — LoRA adapters as Hugging Face PEFT defines them (LoraConfig's names and defaults where
 * they are PEFT's, the seed's where it sets them). The seed's flat `model.use_peft`, `lora_r`,
 * `lora_alpha`, `lora_dropout`, `lora_target_modules` are read into this block (see peft-aliases.ts).
 */
export class PeftConfig {
  @Describe('Train LoRA adapters instead of every weight. Default true when the block is given.')
  @Bool()
  enabled = true;

  @Describe('LoRA rank r (PEFT LoraConfig.r). Default 16.')
  @PositiveInt()
  r = 16;

  @Describe('LoRA alpha: the update is scaled by lora_alpha / r (lora_alpha / sqrt(r) with use_rslora). Default 32.')
  @PositiveNumber()
  lora_alpha = 32;

  @Describe('Dropout probability on each adapted layer\'s input, on the adapter path only, in the optimizer step\'s forward and backward (never in evaluation, log-probs of the old policy or reference, or generation); masks seeded by train.seed, the step and the layer. Default 0 (PEFT\'s).')
  @NumberRange(0, 1, { maxExclusive: true })
  lora_dropout = 0;

  @Describe('Modules to adapt, by their Hugging Face names (q_proj, v_proj, c_attn, ...; matched as a suffix of the module path), or "all-linear". Default: q/k/v/o projections (c_attn for GPT-2, qkv_proj/o_proj for Phi-3).')
  @Optional()
  @StrList({ minSize: 1 })
  target_modules?: string[];

  @Describe('Scale by lora_alpha / sqrt(r) (rank-stabilised LoRA) instead of lora_alpha / r. Default false.')
  @Bool()
  use_rslora = false;

  @Describe('Modules trained fully beside the adapters and saved with them (e.g. ["score"]; a reward model\'s score head is always included, as PEFT does for SEQ_CLS).')
  @StrList()
  modules_to_save: string[] = [];

  @Describe('Which biases train: only "none" (PEFT\'s default) is supported.')
  @OneOf(LORA_BIASES)
  bias: (typeof LORA_BIASES)[number] = 'none';

  @Describe('Initialise the adapters as PEFT does (A Kaiming-uniform, B = 0: the model starts unchanged). false: B random too. Default true.')
  @Bool()
  init_lora_weights = true;
}
