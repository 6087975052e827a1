import type { Gpt2Config, HfModelConfig, LlamaConfig } from './hf-model-config.js';

/** How Hugging Face initialises a tensor (`_init_weights`). */
export type InitKind =
  | 'normal' // N(0, initializer_range)
  | 'normal-scaled' // GPT-2 c_proj: N(0, initializer_range / sqrt(2·n_layer))
  | 'embedding' // N(0, initializer_range), padding_idx row zeroed
  | 'zeros'
  | 'ones';

/**
 * One tensor of an architecture: its Hugging Face name and shape, and its name in the canonical layout.
 * Canonical linear weights are [in, out] (y = x·W), so HF `nn.Linear` weights ([out, in]) are transposed
 * and GPT-2's Conv1D weights ([in, out] already) are not. Embeddings stay [vocab, hidden]; the canonical
 * `lm_head.weight` is [hidden, vocab].
 */
export interface TensorSpec {
  readonly hfName: string;
  readonly canonicalName: string;
  readonly hfShape: readonly number[];
  readonly transpose: boolean;
  readonly init: InitKind;
}

/** Non-persistent buffers some checkpoints carry; they are recomputed, never loaded. */
const IGNORED_BUFFERS = [/(^|\.)attn\.(bias|masked_bias)$/, /(^|\.)rotary_emb\.inv_freq$/];

export function isIgnoredBuffer(name: string): boolean {
  return IGNORED_BUFFERS.some((re) => re.test(name));
}

/** The base-model prefix transformers writes: `transformer.` for GPT-2, `model.` for the Llama family. */
export function defaultTensorPrefix(config: HfModelConfig): string {
  return config.family === 'gpt2' ? 'transformer.' : 'model.';
}

/** The HF name of the token embedding without prefix; used to recognise the prefix of a checkpoint. */
function embeddingName(config: HfModelConfig): string {
  return config.family === 'gpt2' ? 'wte.weight' : 'embed_tokens.weight';
}

/**
 * Which base-model prefix a checkpoint uses: the original `gpt2` repository has none, while
 * GPT2LMHeadModel.save_pretrained writes `transformer.`. Throws if the embedding is not found at all.
 */
export function detectTensorPrefix(config: HfModelConfig, names: Iterable<string>, source = 'checkpoint'): string {
  const set = new Set(names);
  const embed = embeddingName(config);
  for (const prefix of [defaultTensorPrefix(config), '']) if (set.has(prefix + embed)) return prefix;
  throw new Error(`${source}: no token embedding found (expected ${defaultTensorPrefix(config)}${embed} or ${embed})`);
}

/** Every tensor of the model described by `config`, in module order. */
export function tensorSpecs(config: HfModelConfig, prefix = defaultTensorPrefix(config)): TensorSpec[] {
  const specs = config.family === 'gpt2' ? gpt2Specs(config, prefix) : llamaSpecs(config, prefix);
  return [...specs, ...headSpecs(config)];
}

function spec(hfName: string, canonicalName: string, hfShape: number[], init: InitKind, transpose = false): TensorSpec {
  return { hfName, canonicalName, hfShape, transpose, init };
}

/** A pair of specs for a LayerNorm (weight + bias) or an affine layer's bias. */
function norm(hf: string, canon: string, size: number, withBias: boolean): TensorSpec[] {
  const out = [spec(`${hf}.weight`, `${canon}.weight`, [size], 'ones')];
  if (withBias) out.push(spec(`${hf}.bias`, `${canon}.bias`, [size], 'zeros'));
  return out;
}

function gpt2Specs(c: Gpt2Config, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  const out = [spec(`${p}wte.weight`, 'embed.tokens', [c.vocabSize, h], 'normal'), spec(`${p}wpe.weight`, 'embed.positions', [c.maxPositionEmbeddings, h], 'normal')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}h.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...norm(`${hf}.ln_1`, `${cn}.norm1`, h, true),
      // Conv1D weights are [in, out]: the canonical layout already.
      spec(`${hf}.attn.c_attn.weight`, `${cn}.attn.qkv.weight`, [h, 3 * h], 'normal'),
      spec(`${hf}.attn.c_attn.bias`, `${cn}.attn.qkv.bias`, [3 * h], 'zeros'),
      spec(`${hf}.attn.c_proj.weight`, `${cn}.attn.out.weight`, [h, h], 'normal-scaled'),
      spec(`${hf}.attn.c_proj.bias`, `${cn}.attn.out.bias`, [h], 'zeros'),
      ...norm(`${hf}.ln_2`, `${cn}.norm2`, h, true),
      spec(`${hf}.mlp.c_fc.weight`, `${cn}.mlp.up.weight`, [h, c.intermediateSize], 'normal'),
      spec(`${hf}.mlp.c_fc.bias`, `${cn}.mlp.up.bias`, [c.intermediateSize], 'zeros'),
      spec(`${hf}.mlp.c_proj.weight`, `${cn}.mlp.down.weight`, [c.intermediateSize, h], 'normal-scaled'),
      spec(`${hf}.mlp.c_proj.bias`, `${cn}.mlp.down.bias`, [h], 'zeros'),
    );
  }
  out.push(...norm(`${p}ln_f`, 'final_norm', h, true));
  return out;
}

/** An nn.Linear: weight [out, in] transposed to canonical [in, out], plus an optional bias. */
function linear(hf: string, canon: string, inF: number, outF: number, bias: boolean): TensorSpec[] {
  const out = [spec(`${hf}.weight`, `${canon}.weight`, [outF, inF], 'normal', true)];
  if (bias) out.push(spec(`${hf}.bias`, `${canon}.bias`, [outF], 'zeros'));
  return out;
}

function llamaSpecs(c: LlamaConfig, p: string): TensorSpec[] {
  const h = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const out = [spec(`${p}embed_tokens.weight`, 'embed.tokens', [c.vocabSize, h], 'embedding')];
  for (let i = 0; i < c.numLayers; i++) {
    const hf = `${p}layers.${i}`;
    const cn = `layers.${i}`;
    out.push(
      ...norm(`${hf}.input_layernorm`, `${cn}.norm1`, h, false),
      ...linear(`${hf}.self_attn.q_proj`, `${cn}.attn.q`, h, qDim, c.qkvBias),
      ...linear(`${hf}.self_attn.k_proj`, `${cn}.attn.k`, h, kvDim, c.qkvBias),
      ...linear(`${hf}.self_attn.v_proj`, `${cn}.attn.v`, h, kvDim, c.qkvBias),
      ...linear(`${hf}.self_attn.o_proj`, `${cn}.attn.out`, qDim, h, c.outBias),
    );
    if (c.qkNorm) out.push(...norm(`${hf}.self_attn.q_norm`, `${cn}.attn.q_norm`, c.headDim, false), ...norm(`${hf}.self_attn.k_norm`, `${cn}.attn.k_norm`, c.headDim, false));
    out.push(
      ...norm(`${hf}.post_attention_layernorm`, `${cn}.norm2`, h, false),
      ...linear(`${hf}.mlp.gate_proj`, `${cn}.mlp.gate`, h, c.intermediateSize, c.mlpBias),
      ...linear(`${hf}.mlp.up_proj`, `${cn}.mlp.up`, h, c.intermediateSize, c.mlpBias),
      ...linear(`${hf}.mlp.down_proj`, `${cn}.mlp.down`, c.intermediateSize, h, c.mlpBias),
    );
  }
  out.push(...norm(`${p}norm`, 'final_norm', h, false));
  return out;
}

/** lm_head (absent when tied to the embedding) or the bias-free `score` head; both sit outside the base prefix. */
function headSpecs(c: HfModelConfig): TensorSpec[] {
  if (c.head.kind === 'sequence-classification') return linear('score', 'score', c.hiddenSize, c.head.numLabels, false);
  return c.tieWordEmbeddings ? [] : linear('lm_head', 'lm_head', c.hiddenSize, c.vocabSize, false);
}
