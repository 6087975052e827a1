import type { JsonFields } from './json-fields.js';

/** The attention shape every decoder config.json spells the same way (transformers' field names). */
export interface AttentionHeads {
  readonly hiddenSize: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

/**
 * hidden_size, num_attention_heads, num_key_value_heads (default: the heads) and head_dim (default `defaultHeadDim`,
 * else hidden / heads; absent where the type has no such field), refusing by name what the engine cannot run:
 * kv heads that do not divide the heads, an indivisible hidden size, an odd head dim (RoPE rotates pairs).
 */
export function readAttentionHeads(f: JsonFields, options: { readonly headDimField?: boolean; readonly defaultHeadDim?: number } = {}): AttentionHeads {
  const hiddenSize = f.count('hidden_size');
  const numHeads = f.count('num_attention_heads');
  const numKvHeads = f.countOr('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `${numKvHeads} does not divide num_attention_heads ${numHeads}`);
  const headDimField = options.headDimField ?? true;
  const given = headDimField && f.has('head_dim');
  if (!given && options.defaultHeadDim === undefined && hiddenSize % numHeads !== 0) f.fail('num_attention_heads', `hidden_size ${hiddenSize} is not divisible by ${numHeads}`);
  const headDim = given ? f.count('head_dim') : options.defaultHeadDim ?? hiddenSize / numHeads;
  if (headDim % 2 !== 0) f.fail(given ? 'head_dim' : 'num_attention_heads', `head dim ${headDim} must be even for rotary embeddings`);
  return { hiddenSize, numHeads, numKvHeads, headDim };
}
