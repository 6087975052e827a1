import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type HfModelConfig, type StoredTensor } from '@aligntune/core';

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
