import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readSafetensors, writeSafetensors, type HfModelConfig, type Kernel, type ModelConfig, type StoredTensor, type Tokenizer } from '@aligntune/core';
import { createTrainer, runConfig, tempDir, tinyTokenizer, trainingKernel, updateError, writeJsonl, writeTinyModel, type TinyFamily } from '../training/helpers.js';
import { PREF_ROWS, SFT_ROWS } from '../training/exactness-rows.js';
import type { RefPair, RefSequence } from '../training/reference-losses.js';
import { storedWeights } from '../training/stored-weights.js';

/**
 * An adapter written the way PEFT saves one, by hand (not through aligntune's LoRA code): lora_A.weight [r, in],
 * lora_B.weight [out, r] under `base_model.model.<module path>`, random (scale 0.3) so both factors get gradients.
 */
export interface PeftFixture {
  readonly r: number;
  readonly alpha: number;
  /** Module paths (HF names without `.weight`) with their shapes and whether W is stored [in, out] (Conv1D). */
  readonly modules: readonly { readonly path: string; readonly inF: number; readonly outF: number; readonly conv1d: boolean }[];
  readonly tensors: Map<string, StoredTensor>;
}

/** The linear modules of `tensors` (a tiny model's HF-named weights) whose last name part is in `names`. */
export function peftModules(config: HfModelConfig, tensors: ReadonlyMap<string, StoredTensor>, names: readonly string[]): PeftFixture['modules'] {
  const conv1d = config.modelType === 'gpt2';
  return [...tensors]
    .filter(([n, t]) => n.endsWith('.weight') && t.shape.length === 2 && names.includes(n.split('.').at(-2)!))
    .map(([n, t]) => {
      const [rows, cols] = t.shape as [number, number];
      return { path: n.slice(0, -'.weight'.length), inF: conv1d ? rows : cols, outF: conv1d ? cols : rows, conv1d };
    });
}

/** Writes adapter_config.json and adapter_model.safetensors into `dir`; `extra` tensors (modules_to_save) are added as given. */
export async function writePeftAdapter(dir: string, config: HfModelConfig, modules: PeftFixture['modules'], o: { r: number; alpha: number; seed: number; extra?: Map<string, StoredTensor>; taskType?: string; modulesToSave?: string[] }): Promise<PeftFixture> {
  let seed = o.seed;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.6;
  const tensors = new Map<string, StoredTensor>();
  for (const m of modules) {
    tensors.set(`base_model.model.${m.path}.lora_A.weight`, { dtype: 'F32', shape: [o.r, m.inF], data: Float32Array.from({ length: o.r * m.inF }, random) });
    tensors.set(`base_model.model.${m.path}.lora_B.weight`, { dtype: 'F32', shape: [m.outF, o.r], data: Float32Array.from({ length: m.outF * o.r }, random) });
  }
  for (const [n, t] of o.extra ?? []) tensors.set(n, t);
  mkdirSync(dir, { recursive: true });
  await writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors);
  const targets = [...new Set(modules.map((m) => m.path.split('.').at(-1)!))];
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', task_type: o.taskType ?? 'CAUSAL_LM', r: o.r, lora_alpha: o.alpha, lora_dropout: 0, target_modules: targets, bias: 'none', modules_to_save: o.modulesToSave ?? null }));
  return { r: o.r, alpha: o.alpha, modules, tensors };
}

/**
 * The float64 weights the reference forward reads: the base's HF tensors with W + (α/r)·B·A on each adapted
 * module ((B·A)ᵀ for Conv1D, PEFT's fan_in_fan_out) and the adapter's full copies (modules_to_save) replacing theirs.
 */
export function effectiveWeights(base: ReadonlyMap<string, Float64Array>, fixture: PeftFixture, adapter: ReadonlyMap<string, Float64Array>): Map<string, Float64Array> {
  const out = new Map(base);
  const scale = fixture.alpha / fixture.r;
  for (const m of fixture.modules) {
    const a = adapter.get(`base_model.model.${m.path}.lora_A.weight`)!;
    const b = adapter.get(`base_model.model.${m.path}.lora_B.weight`)!;
    const w = Float64Array.from(base.get(`${m.path}.weight`)!);
    for (let o = 0; o < m.outF; o++) {
      for (let i = 0; i < m.inF; i++) {
        let ba = 0;
        for (let k = 0; k < fixture.r; k++) ba += b[o * fixture.r + k]! * a[k * m.inF + i]!;
        w[m.conv1d ? i * m.outF + o : o * m.inF + i] += scale * ba;
      }
    }
    out.set(`${m.path}.weight`, w);
  }
  for (const [name, t] of adapter) if (!name.includes('.lora_')) out.set(name.slice('base_model.model.'.length), t);
  return out;
}

export function float64(tensors: ReadonlyMap<string, StoredTensor>): Map<string, Float64Array> {
  return new Map([...tensors].map(([n, t]) => [n, Float64Array.from(t.data as Float32Array)]));
}

export interface LoraStep {
  readonly config: HfModelConfig;
  /** The base's weights as the run's forward reads them (dequantized with `storage`), float64. */
  readonly base: Map<string, Float64Array>;
  /** The base's weights as written (float32 values), float64. */
  readonly written: Map<string, Float64Array>;
  readonly fixture: PeftFixture;
  readonly after: Map<string, StoredTensor>;
  readonly out: string;
}

export interface LoraRun {
  readonly arch: TinyFamily;
  readonly algo: string;
  readonly rows: readonly unknown[];
  readonly targets: string[];
  readonly train?: Record<string, unknown>;
  readonly kernel?: Kernel;
  /** Steps to run (default 1, SGD at lr 1, the rows as one batch unless `train` says otherwise). */
  readonly steps?: number;
  /** Modules trained in full (model.peft.modules_to_save): the starting adapter holds random copies of their tensors. */
  readonly modulesToSave?: string[];
  /** More model fields (companion models written into the run's directory), e.g. PPO's value_path. */
  readonly companions?: (dir: string) => Promise<Record<string, unknown>>;
  /** The rows are rollouts to replay (train.rollouts_from), not a dataset. */
  readonly replay?: boolean;
  /** How the frozen base is stored (model.precision / model.quantization: bf16 LoRA, QLoRA); `base` is then its dequantized weights. */
  readonly storage?: Pick<ModelConfig, 'precision' | 'quantization'>;
  /** model.peft.lora_dropout (default 0). */
  readonly dropout?: number;
  /** Writes the starting model into a directory (default: a random tiny causal LM of `arch`). */
  readonly model?: (dir: string) => Promise<{ config: HfModelConfig; tensors: Map<string, StoredTensor> }>;
}

const R = 2;
const ALPHA = 6;

/** Writes a tiny model and a random adapter on `targets`, trains SGD steps of `algo` with LoRA from it, and reads the final adapter back. */
export async function oneLoraStep(run: LoraRun): Promise<LoraStep> {
  const { arch, algo, rows, targets } = run;
  const dir = tempDir();
  const model = await (run.model ?? ((d: string) => writeTinyModel(d, arch, { seed: 7 })))(join(dir, 'model'));
  const saved = [...model.tensors].filter(([n]) => run.modulesToSave?.some((m) => n.startsWith(`${m}.`) || n.includes(`.${m}.`)));
  let seed = 5;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.6;
  const extra = new Map(saved.map(([n, t]) => [`base_model.model.${n}`, { ...t, data: Float32Array.from(t.data as Float32Array, random) }]));
  const modules = peftModules(model.config, model.tensors, targets);
  const seqCls = model.config.head.kind === 'sequence-classification';
  const fixture = await writePeftAdapter(join(dir, 'adapter'), model.config, modules, { r: R, alpha: ALPHA, seed: 11, extra, taskType: seqCls ? 'SEQ_CLS' : undefined, modulesToSave: run.modulesToSave });
  const data = writeJsonl(join(dir, 'data.jsonl'), rows);
  const sgd = { optimizer: 'sgd', learning_rate: 1, shuffle: false, max_grad_norm: 0, lr_scheduler: 'constant', max_steps: run.steps ?? 1 };
  const config = runConfig(algo, join(dir, 'model'), data, join(dir, 'out'), { ...sgd, per_device_batch_size: rows.length, ...(run.replay ? { rollouts_from: data } : {}), ...run.train });
  const peft = { r: R, lora_alpha: ALPHA, target_modules: targets, lora_dropout: run.dropout ?? 0, ...(run.modulesToSave ? { modules_to_save: run.modulesToSave } : {}) };
  config.model = { ...(config.model as object), ...(await run.companions?.(dir)), ...run.storage, peft, adapter_path: join(dir, 'adapter') };
  const trainer = await createTrainer(config, run.kernel ?? trainingKernel());
  expect((await trainer.train()).steps).toBe(run.steps ?? 1);
  const { tensors: after } = await readSafetensors(join(dir, 'out/final/adapter_model.safetensors'));
  const written = float64(model.tensors);
  const base = run.storage ? await storedWeights(join(dir, 'model'), run.storage) : written;
  return { config: model.config, base, written, fixture, after, out: join(dir, 'out') };
}

/** The update's relative error against −lr·∇L over the adapter's tensors (the saved names must be PEFT's, the fixture's). */
export function loraUpdateError(step: LoraStep, loss: (weights: Map<string, Float64Array>) => number, lr = 1): { relError: number; checked: number } {
  expect([...step.after.keys()].sort()).toEqual([...step.fixture.tensors.keys()].sort());
  loss(effectiveWeights(step.base, step.fixture, float64(step.fixture.tensors)));
  return updateError(step.fixture.tensors, step.after, (adapter) => loss(effectiveWeights(step.base, step.fixture, adapter)), lr);
}


let cachedTokenizer: Tokenizer | undefined;
const tok = () => (cachedTokenizer ??= tinyTokenizer());
const completionIds = (text: string) => [...tok().encode(text, { addSpecialTokens: false }), tok().eosTokenId!];

/** SFT_ROWS as the reference losses read them (tiny tokenizer, completion + EOS). */
export const sftSequences = (): RefSequence[] => SFT_ROWS.map((r) => ({ prompt: tok().encode(r.prompt), completion: completionIds(r.completion) }));

/** PREF_ROWS as chosen / rejected sequences for the reference DPO loss. */
export const prefPairs = (): RefPair[] =>
  PREF_ROWS.map((r) => ({ chosen: { prompt: tok().encode(r.prompt), completion: completionIds(r.chosen) }, rejected: { prompt: tok().encode(r.prompt), completion: completionIds(r.rejected) } }));
