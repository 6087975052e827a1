import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigValidationError } from '../../config/config-validation-error.js';
import type { HostTensor } from '../../engine/graph-executor.js';
import { storeAs, transpose2d } from '../canonical-weights.js';
import type { PublishDtypes, StorageDtype } from '../save-dtype.js';
import { readSafetensors, writeSafetensors } from '../safetensors.js';
import type { StoredTensor } from '../safetensors-dtype.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { LoraAdapter, loraNames } from './lora-adapter.js';
import type { LoraSettings } from './lora-settings.js';
import type { DecoderModel } from '../roles/decoder-model.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** PEFT's state-dict prefix: the PeftModel's base_model (LoraModel) wraps the transformers model as `.model`. */
const PEFT_PREFIX = 'base_model.model.';

const FLOAT32: PublishDtypes = { weights: 'F32', adapter: 'F32' };

/** Whether `dir` holds a saved PEFT adapter (what LoRA runs write to final/ and checkpoints). */
export function isAdapterDir(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG_FILE));
}

/** adapter_config.json as PEFT's LoraConfig.save_pretrained writes it (the fields PEFT needs to load the adapter). */
export function adapterConfigJson(adapter: LoraAdapter, baseModelNameOrPath: string | null): Record<string, unknown> {
  const s = adapter.settings;
  const seqCls = adapter.config.head.kind === 'sequence-classification';
  return {
    peft_type: 'LORA',
    task_type: seqCls ? 'SEQ_CLS' : 'CAUSAL_LM',
    base_model_name_or_path: baseModelNameOrPath,
    r: s.r,
    lora_alpha: s.loraAlpha,
    lora_dropout: s.loraDropout,
    target_modules: [...new Set(adapter.targets.map((t) => t.hfModule.slice(t.hfModule.lastIndexOf('.') + 1)))].sort(),
    bias: 'none',
    use_rslora: s.useRslora,
    modules_to_save: s.modulesToSave.length ? [...s.modulesToSave] : null,
    fan_in_fan_out: adapter.targets.some((t) => t.fanInFanOut),
    init_lora_weights: s.initLoraWeights,
    inference_mode: true,
    use_dora: false,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    revision: null,
  };
}

/**
 * The adapter's tensors under PEFT's names and layouts: lora_A.weight [r, in], lora_B.weight [out, r] stored as
 * `dtypes.adapter`, modules_to_save as the model names them, stored as `dtypes.weights` (PEFT's copy of a base module
 * keeps the base's dtype). Default float32.
 */
export function peftTensors(adapter: LoraAdapter, dtypes: PublishDtypes = FLOAT32): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const t of adapter.targets) {
    const { a, b } = loraNames(t.module);
    out.set(`${PEFT_PREFIX}${t.hfModule}.lora_A.weight`, transposed(adapter.tensors.get(a)!, dtypes.adapter));
    out.set(`${PEFT_PREFIX}${t.hfModule}.lora_B.weight`, transposed(adapter.tensors.get(b)!, dtypes.adapter));
  }
  for (const m of adapter.saved) {
    for (const s of m.tensors) {
      const t = adapter.tensors.get(s.canonicalName)!;
      out.set(`${PEFT_PREFIX}${s.hfName}`, s.transpose ? transposed(t, dtypes.weights) : storeAs(asFloat32(t), s.hfShape, dtypes.weights));
    }
  }
  return out;
}

/** Writes adapter_config.json and adapter_model.safetensors into `dir` (a directory being written atomically). */
export async function saveAdapterDir(dir: string, adapter: LoraAdapter, baseModelNameOrPath: string | null, dtypes: PublishDtypes = FLOAT32): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), peftTensors(adapter, dtypes), { metadata: { format: 'pt' } });
  await writeJsonAtomic(join(dir, ADAPTER_CONFIG_FILE), adapterConfigJson(adapter, baseModelNameOrPath));
}

/**
 * Replaces the adapter's tensors with those saved in `dir` (a PEFT adapter directory). Its adapter_config.json must
 * describe the same adapter (r, lora_alpha, use_rslora, target modules, modules_to_save) and hold every tensor:
 * a difference is a configuration error naming `field` and the setting.
 */
export async function loadAdapterDir(dir: string, adapter: LoraAdapter, field: string): Promise<void> {
  const fail = (message: string): never => {
    throw new ConfigValidationError([{ path: field, message: `${dir}: ${message}` }]);
  };
  if (!isAdapterDir(dir)) fail(`no ${ADAPTER_CONFIG_FILE}: not a PEFT adapter directory`);
  const saved = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  if (saved.peft_type !== 'LORA') fail(`peft_type is ${JSON.stringify(saved.peft_type)}, only LORA adapters load`);
  const mine = adapterConfigJson(adapter, null);
  for (const key of ['r', 'lora_alpha', 'use_rslora', 'target_modules', 'bias']) {
    const theirs = key === 'target_modules' && Array.isArray(saved[key]) ? [...(saved[key] as string[])].sort() : saved[key];
    if (JSON.stringify(theirs ?? (key === 'use_rslora' ? false : undefined)) !== JSON.stringify(mine[key])) {
      fail(`the adapter has ${key} ${JSON.stringify(saved[key])}, model.peft gives ${JSON.stringify(mine[key])}: set model.peft.${key} to match`);
    }
  }
  const { tensors } = await readSafetensors(join(dir, ADAPTER_WEIGHTS_FILE));
  const expected = peftTensors(adapter);
  for (const [name, want] of expected) {
    const got = tensors.get(name);
    if (!got) fail(`${ADAPTER_WEIGHTS_FILE} has no tensor '${name}'`);
    if (got!.shape.join() !== want.shape.join()) fail(`tensor '${name}' is [${got!.shape.join(', ')}], this model needs [${want.shape.join(', ')}]`);
  }
  setFromPeft(adapter, tensors);
}

/** Fills the adapter's canonical tensors from PEFT-named ones (checked to be present and of the right shape). */
function setFromPeft(adapter: LoraAdapter, tensors: ReadonlyMap<string, StoredTensor>): void {
  const dtype = adapter.tensors.values().next().value?.dtype ?? 'float32';
  const read = (name: string, transpose: boolean): HostTensor => {
    const t = tensors.get(name)!;
    const data = Float32Array.from(t.data as Float32Array);
    const [rows, cols] = t.shape as [number, number];
    const canonical = transpose ? transpose2d(data, rows, cols) : data;
    return { dtype, dims: transpose ? [cols, rows] : [...t.shape], data: dtype === 'float64' ? Float64Array.from(canonical) : canonical };
  };
  for (const t of adapter.targets) {
    const { a, b } = loraNames(t.module);
    adapter.tensors.set(a, read(`${PEFT_PREFIX}${t.hfModule}.lora_A.weight`, true));
    adapter.tensors.set(b, read(`${PEFT_PREFIX}${t.hfModule}.lora_B.weight`, true));
  }
  for (const m of adapter.saved) for (const s of m.tensors) adapter.tensors.set(s.canonicalName, read(`${PEFT_PREFIX}${s.hfName}`, s.transpose));
}

function transposed(t: HostTensor, dtype: StorageDtype): StoredTensor {
  const [rows, cols] = t.dims as [number, number];
  return storeAs(transpose2d(asFloat32(t), rows, cols), [cols, rows], dtype);
}

function asFloat32(t: HostTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array);
}

/** The LoRA settings an adapter directory was saved with (adapter_config.json); `field` names the directory in errors. */
export async function readAdapterSettings(dir: string, field: string): Promise<{ settings: LoraSettings; baseModel: string | null; sequenceClassifier: boolean }> {
  if (!isAdapterDir(dir)) throw new ConfigValidationError([{ path: field, message: `${dir}: no ${ADAPTER_CONFIG_FILE}: not a PEFT adapter directory` }]);
  const c = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  if (c.peft_type !== 'LORA') throw new ConfigValidationError([{ path: field, message: `${dir}: peft_type is ${JSON.stringify(c.peft_type)}, only LORA adapters load` }]);
  const settings: LoraSettings = {
    r: Number(c.r),
    loraAlpha: Number(c.lora_alpha),
    loraDropout: Number(c.lora_dropout ?? 0),
    targetModules: typeof c.target_modules === 'string' ? [c.target_modules] : (c.target_modules as string[]),
    useRslora: c.use_rslora === true,
    modulesToSave: Array.isArray(c.modules_to_save) ? (c.modules_to_save as string[]) : [],
    initLoraWeights: true,
  };
  return { settings, baseModel: typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : null, sequenceClassifier: c.task_type === 'SEQ_CLS' };
}

/** `model` with the adapter saved in `dir` on it (settings from its adapter_config.json). */
export async function withAdapterDir(model: DecoderModel, dir: string, field: string): Promise<DecoderModel> {
  const { settings } = await readAdapterSettings(dir, field);
  const adapter = LoraAdapter.create(model, settings, { seed: 0 });
  await loadAdapterDir(dir, adapter, field);
  return model.withAdapter(adapter);
}
