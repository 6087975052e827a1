import type { UnifiedConfig } from '../config/unified-config.js';
import type { PeftConfig } from '../config/peft-config.js';
import { resolveModelDir } from '../data/hub/resolve-model-dir.js';
import { LoraAdapter } from '../models/lora/lora-adapter.js';
import type { LoraSettings } from '../models/lora/lora-settings.js';
import type { FrozenWeights } from '../models/quant/frozen-weights.js';
import { loadAdapterDir } from '../models/lora/peft-files.js';
import { PolicyModel } from '../models/roles/policy-model.js';
import type { TrainerLogger } from './trainer.js';

/** model.peft as the models layer's LoraSettings; a sequence classifier (reward model) also trains its score head in full, as PEFT does for SEQ_CLS. */
export function loraSettings(peft: PeftConfig, sequenceClassifier: boolean): LoraSettings {
  const modulesToSave = sequenceClassifier && !peft.modules_to_save.includes('score') ? [...peft.modules_to_save, 'score'] : peft.modules_to_save;
  return {
    r: peft.r,
    loraAlpha: peft.lora_alpha,
    loraDropout: peft.lora_dropout,
    targetModules: peft.target_modules,
    useRslora: peft.use_rslora,
    modulesToSave,
    initLoraWeights: peft.init_lora_weights,
  };
}

export interface AdapterStart {
  /** Stores the frozen base as model.precision / model.quantization say (QLoRA with quantization). */
  readonly frozen: FrozenWeights;
  /** The checkpoint being resumed: its adapter is the starting one. */
  readonly resumeDir?: string;
  readonly logger?: TrainerLogger;
}

/**
 * The policy with LoRA adapters on its (now frozen) weights, when model.peft is enabled: the resumed checkpoint's
 * adapter, else model.adapter_path's, else a fresh one (PEFT's init, seeded by train.seed). The base goes through
 * `frozen` like any frozen model, so model.precision / model.quantization store it (bf16 LoRA, QLoRA) and its
 * float32 weights are dropped. Otherwise the policy as it is.
 */
export async function withLoraAdapter(policy: PolicyModel, config: UnifiedConfig, start: AdapterStart): Promise<PolicyModel> {
  const peft = config.model.peft;
  if (!peft?.enabled) return policy;
  const model = policy.model;
  const settings = loraSettings(peft, model.config.head.kind === 'sequence-classification');
  // the base may be stored already (loaded tensor by tensor in its frozen form)
  const total = [...model.weights.values(), ...model.stored.values()].reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  const adapter = LoraAdapter.create(start.frozen.freeze(model), settings, { seed: config.train.seed, baseModelNameOrPath: config.model.sft_path ?? config.model.name_or_path });
  const from = start.resumeDir ?? (config.model.adapter_path ? await resolveModelDir(config.model.adapter_path, { logger: start.logger }) : undefined);
  if (from) await loadAdapterDir(from, adapter, start.resumeDir ? 'train.resume_from_checkpoint' : 'model.adapter_path');
  const trainable = [...adapter.tensors.values()].reduce((n, t) => n + t.data.length, 0);
  start.logger?.info(`LoRA: r ${settings.r} on ${adapter.targets.length} linear layers${from ? ` from ${from}` : ''}; ${trainable} trainable of ${total} parameters (${((100 * trainable) / total).toFixed(2)}%)`);
  return new PolicyModel(adapter.base.withAdapter(adapter));
}
