import { ConfigValidationError } from '../../config/config-validation-error.js';
import type { HfModelConfig } from '../hf-model-config.js';
import { tensorSpecs, type TensorSpec } from '../tensor-layout.js';
import { ALL_LINEAR_TARGETS } from './lora-settings.js';

/** A linear layer an adapter is attached to. */
export interface LoraTarget {
  /** Canonical module name (`layers.0.attn.q`): its weight is `<module>.weight`, [inFeatures, outFeatures]. */
  readonly module: string;
  /** The Hugging Face module path under the model class (`model.layers.0.self_attn.q_proj`), PEFT's tensor-name stem. */
  readonly hfModule: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The checkpoint stores W as [in, out] (GPT-2's Conv1D; PEFT's fan_in_fan_out). */
  readonly fanInFanOut: boolean;
}

/** A module trained in full (modules_to_save): its tensors by canonical and Hugging Face name. */
export interface SavedModule {
  readonly hfModule: string;
  readonly tensors: readonly TensorSpec[];
}

const HEADS = new Set(['lm_head.weight', 'score.weight']);

/** The decoder's linear layers in module order (2-D weights other than embeddings and the output head), named as transformers names them. */
export function linearLayers(config: HfModelConfig): LoraTarget[] {
  return tensorSpecs(config)
    .filter((s) => s.hfShape.length === 2 && s.canonicalName.endsWith('.weight') && !s.canonicalName.startsWith('embed.') && !HEADS.has(s.canonicalName))
    .map((s) => {
      const [rows, cols] = s.hfShape as [number, number];
      return {
        module: s.canonicalName.slice(0, -'.weight'.length),
        hfModule: s.hfName.slice(0, -'.weight'.length),
        inFeatures: s.transpose ? cols : rows,
        outFeatures: s.transpose ? rows : cols,
        fanInFanOut: !s.transpose,
      };
    });
}

/** PEFT's rule for a name in target_modules / modules_to_save: the whole module path or its dotted suffix. */
export function matchesModule(path: string, name: string): boolean {
  return path === name || path.endsWith(`.${name}`);
}

const shortName = (path: string) => path.slice(path.lastIndexOf('.') + 1);

/**
 * The attention projections of the architecture (q/k/v/o; GPT-2's c_attn; Phi-3's qkv_proj and o_proj), the seed's
 * default: a name that also names a linear outside attention (GPT-2's c_proj, in both blocks) is left out.
 */
export function defaultTargetModules(config: HfModelConfig): string[] {
  const layers = linearLayers(config);
  const outside = new Set(layers.filter((l) => !l.module.includes('.attn.')).map((l) => shortName(l.hfModule)));
  return [...new Set(layers.filter((l) => l.module.includes('.attn.')).map((l) => shortName(l.hfModule)))].filter((n) => !outside.has(n));
}

/** The linears `targetModules` selects; a name that matches none is an error naming model.peft.target_modules and the model's own names. */
export function resolveTargets(config: HfModelConfig, targetModules: readonly string[]): LoraTarget[] {
  const layers = linearLayers(config);
  if (targetModules.includes(ALL_LINEAR_TARGETS)) return layers;
  const unmatched = targetModules.filter((name) => !layers.some((l) => matchesModule(l.hfModule, name)));
  if (unmatched.length) {
    const known = [...new Set(layers.map((l) => shortName(l.hfModule)))].join(', ');
    const message = `${unmatched.map((n) => `"${n}"`).join(', ')} ${unmatched.length > 1 ? 'match' : 'matches'} no linear layer of this ${config.modelType} model (its linear layers: ${known}, or "${ALL_LINEAR_TARGETS}")`;
    throw new ConfigValidationError([{ path: 'model.peft.target_modules', message }]);
  }
  return layers.filter((l) => targetModules.some((name) => matchesModule(l.hfModule, name)));
}

/** The modules `names` selects for full training, each with its tensors; a name that matches none is an error naming model.peft.modules_to_save. */
export function resolveSavedModules(config: HfModelConfig, names: readonly string[]): SavedModule[] {
  const byModule = new Map<string, TensorSpec[]>();
  for (const s of tensorSpecs(config)) {
    const hfModule = s.hfName.slice(0, s.hfName.lastIndexOf('.'));
    if (names.some((n) => matchesModule(hfModule, n))) byModule.set(hfModule, [...(byModule.get(hfModule) ?? []), s]);
  }
  const unmatched = names.filter((n) => ![...byModule.keys()].some((m) => matchesModule(m, n)));
  if (unmatched.length) {
    throw new ConfigValidationError([{ path: 'model.peft.modules_to_save', message: `${unmatched.map((n) => `"${n}"`).join(', ')} names no module of this ${config.modelType} model` }]);
  }
  return [...byModule].map(([hfModule, tensors]) => ({ hfModule, tensors }));
}
