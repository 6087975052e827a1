import { JsonFields } from './json-fields.js';

/**
 * How a model scales rotary position embeddings (config.json's `rope_scaling`, or transformers 5's
 * `rope_parameters`). Every architecture that uses RoPE reads it through `readRope` and builds its tables
 * through `ropeInverseFrequencies`, so a scaling type added here serves every family.
 */
export type RopeScaling = { readonly type: 'linear'; /** Positions are divided by this factor (inv_freq / factor). */ readonly factor: number };

/** RoPE's base θ and scaling, as one model (or one kind of layer) uses them. */
export interface RopeSettings {
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling | null;
}

/**
 * RoPE parameters from transformers 4.x fields (`rope_theta`, `rope_scaling`) or 5.x `rope_parameters`
 * (which carries rope_theta itself). What the engine cannot compute is refused naming the field.
 */
export function readRope(f: JsonFields, defaultTheta = 10000): RopeSettings {
  const field = f.has('rope_parameters') ? 'rope_parameters' : 'rope_scaling';
  const params = f.raw[field];
  let ropeTheta = f.numberOr('rope_theta', defaultTheta);
  if (params === undefined || params === null) return { ropeTheta, ropeScaling: null };
  if (typeof params !== 'object' || Array.isArray(params)) f.fail(field, `must be an object or null, got ${JSON.stringify(params)}`);
  const p = new JsonFields(params as Record<string, unknown>, f.file);
  if (p.has('rope_theta')) ropeTheta = p.numberOr('rope_theta', ropeTheta);
  const type = p.has('rope_type') ? p.raw.rope_type : p.raw.type;
  if (type === undefined || type === 'default') return { ropeTheta, ropeScaling: null };
  if (type !== 'linear') f.fail(field, `rope type ${JSON.stringify(type)} is not supported (supported: linear, or null/default)`);
  const factor = p.raw.factor;
  if (typeof factor !== 'number' || !(factor > 0)) f.fail(field, `linear scaling needs a positive "factor", got ${JSON.stringify(factor)}`);
  return { ropeTheta, ropeScaling: { type: 'linear', factor } };
}

/** HF's inv_freq over `rotaryDim` dimensions: 1 / θ^(2i/rotaryDim), divided by the factor under linear scaling. */
export function ropeInverseFrequencies(rope: RopeSettings, rotaryDim: number): number[] {
  const factor = rope.ropeScaling?.factor ?? 1;
  return Array.from({ length: rotaryDim / 2 }, (_, i) => 1 / (rope.ropeTheta ** ((2 * i) / rotaryDim) * factor));
}
