import type { SaveDtype } from '../config/training-config.js';
import { readConfigJson } from './hf-model-config.js';

/** How a published tensor is stored in safetensors. */
export type StorageDtype = 'F32' | 'F16' | 'BF16';

/** The dtypes a published model is written in: the model's weights (and PEFT's modules_to_save), and a LoRA adapter's lora_A / lora_B. */
export interface PublishDtypes {
  readonly weights: StorageDtype;
  readonly adapter: StorageDtype;
}

const BY_TORCH_NAME: Readonly<Record<string, StorageDtype>> = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' };

/**
 * The dtype config.json records (`torch_dtype`, or transformers v5's `dtype`; "torch.bfloat16" spellings too);
 * float32 when it names none or another (transformers' default when loading).
 */
export function recordedDtype(rawConfig: Readonly<Record<string, unknown>>): StorageDtype {
  const name = String(rawConfig.torch_dtype ?? rawConfig.dtype ?? '').replace(/^torch\./, '');
  return BY_TORCH_NAME[name] ?? 'F32';
}

/**
 * What `setting` asks for a model whose checkpoint config is `rawConfig`. `auto` keeps the checkpoint's dtype, as
 * save_pretrained writes the model in the dtype it was loaded in, and keeps LoRA adapters float32, as PEFT upcasts
 * adapter weights of a bf16/fp16 base (autocast_adapter_dtype) and saves them so; a named dtype applies to both.
 */
export function publishDtypes(setting: SaveDtype, rawConfig: Readonly<Record<string, unknown>>): PublishDtypes {
  if (setting === 'auto') return { weights: recordedDtype(rawConfig), adapter: 'F32' };
  const dtype = BY_TORCH_NAME[setting]!;
  return { weights: dtype, adapter: dtype };
}

/** The config.json of model directory `dir` as raw JSON; empty when it cannot be read (loading the model reports that). */
export async function rawModelConfig(dir: string): Promise<Readonly<Record<string, unknown>>> {
  try {
    return (await readConfigJson(dir)).raw;
  } catch {
    return {};
  }
}

/** The torch name of a storage dtype, as config.json's torch_dtype spells it. */
export function torchDtypeName(dtype: StorageDtype): string {
  return Object.keys(BY_TORCH_NAME).find((name) => BY_TORCH_NAME[name] === dtype)!;
}
