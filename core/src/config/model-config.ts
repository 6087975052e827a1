import { Bool, Describe, Mapping, Nested, NonEmptyStr, OneOf, Optional, StrRecord } from './field-rules.js';
import { PeftConfig } from './peft-config.js';

export const PRECISIONS = ['auto', 'fp32', 'fp16', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Hugging Face `attn_implementation` values; only `auto` and `eager` run on the current compute backend. */
export const ATTN_IMPLEMENTATIONS = ['auto', 'eager', 'sdpa', 'flash_attention_2', 'flex_attention'] as const;
export type AttnImplementation = (typeof ATTN_IMPLEMENTATIONS)[number];

/** `model:` — the policy and the optional companion models. */
export class ModelConfig {
  @Describe('Hugging Face Hub id or local directory of the policy model (required).')
  @NonEmptyStr()
  name_or_path!: string;

  @Describe('SFT checkpoint to start from; defaults to name_or_path.')
  @Optional()
  @NonEmptyStr()
  sft_path?: string;

  @Describe('Reference model for KL / DPO; defaults to a frozen copy of the starting policy.')
  @Optional()
  @NonEmptyStr()
  ref_path?: string;

  @Describe('Reward model (PPO); unset means rewards come from reward functions only.')
  @Optional()
  @NonEmptyStr()
  reward_path?: string;

  @Describe('Value model (PPO); defaults to a value head initialised from the reward model or the policy.')
  @Optional()
  @NonEmptyStr()
  value_path?: string;

  @Describe('LoRA adapters (Hugging Face PEFT): train low-rank adapters on a frozen base; see docs/lora.md. The seed\'s flat use_peft, lora_r, lora_alpha, lora_dropout, lora_target_modules are read into it.')
  @Optional()
  @Nested(() => PeftConfig)
  peft?: PeftConfig;

  @Describe('A saved PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors) to start from; needs model.peft with the same settings.')
  @Optional()
  @NonEmptyStr()
  adapter_path?: string;

  @Describe('Storage of frozen weights (LoRA base, reference, reward model): bf16/fp16 halve them, cast to float32 in the graph; trainable weights stay float32. Default "auto": the checkpoint config.json torch_dtype (bfloat16, float16, else fp32), fp32 for a reference sharing the starting policy.')
  @OneOf(PRECISIONS)
  precision: Precision = 'auto';

  @Describe('Frozen weights stored quantized, as BitsAndBytesConfig: load_in_4bit (bnb_4bit_quant_type nf4|fp4|int4) or load_in_8bit, block_size (default 64). Needs a frozen model: a LoRA base (QLoRA, model.peft), a reference or reward model.')
  @Mapping()
  quantization: Record<string, unknown> = {};

  @Describe('Attention kernel, as Hugging Face names it. Default "auto"; only "auto" and "eager" are supported yet.')
  @OneOf(ATTN_IMPLEMENTATIONS)
  attn_implementation: AttnImplementation = 'auto';

  @Describe('Gradient checkpointing: the backward pass recomputes each decoder layer\'s activations from the layer\'s input instead of keeping them, and the LM head and log-softmax run in chunks of 4096 vocabulary entries, so the [batch, seq, vocab] logits are never held whole (less memory, about one more forward of compute). Default false.')
  @Bool()
  gradient_checkpointing = false;

  @Describe('Memory budget, e.g. {cpu: "8GiB"} (KB/MB/GB are powers of 10, KiB/MiB/GiB of 2): before the first step the trainer refuses a run whose memory estimate exceeds it, saying what to change. Only the host ("cpu") is checked.')
  @Optional()
  @StrRecord()
  max_memory?: Record<string, string>;
}
