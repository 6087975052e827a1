/** PEFT's `"all-linear"`: every linear layer of the decoder (not the output head). */
export const ALL_LINEAR_TARGETS = 'all-linear';

/** One LoRA adapter's hyperparameters, as PEFT's LoraConfig names them (the config's model.peft, resolved). */
export interface LoraSettings {
  readonly r: number;
  readonly loraAlpha: number;
  readonly loraDropout: number;
  /** Module names matched as suffixes of the Hugging Face module path, or [ALL_LINEAR_TARGETS]; undefined: the architecture's attention projections. */
  readonly targetModules?: readonly string[];
  readonly useRslora: boolean;
  /** Modules trained in full beside the adapters (PEFT's ModulesToSaveWrapper), by module name. */
  readonly modulesToSave: readonly string[];
  /** PEFT's init (A Kaiming-uniform, B = 0); false: B Kaiming-uniform too, so the adapter changes the model from the start. */
  readonly initLoraWeights: boolean;
}

/** The factor of B·A: lora_alpha / r, or lora_alpha / √r with rank-stabilised LoRA. */
export function loraScale(s: Pick<LoraSettings, 'r' | 'loraAlpha' | 'useRslora'>): number {
  return s.useRslora ? s.loraAlpha / Math.sqrt(s.r) : s.loraAlpha / s.r;
}
