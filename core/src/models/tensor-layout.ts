import type { HfModelConfig } from './hf-model-config.js';

/** How Hugging Face initialises a tensor (`_init_weights`). */
export type InitKind =
  | 'normal' // N(0, initializer_range)
  | 'normal-scaled' // residual projections (GPT-2 c_proj): N(0, initializer_range / sqrt(2·n_layer))
  | 'embedding' // N(0, initializer_range), padding_idx row zeroed
  | 'zeros'
  | 'ones';

/**
 * One tensor of an architecture: its Hugging Face name and shape, and its name in the canonical layout.
 * Canonical linear weights are [in, out] (y = x·W), so HF `nn.Linear` weights ([out, in]) are transposed
 * and Conv1D weights ([in, out] already) are not. Embeddings stay [vocab, hidden]; the canonical
 * `lm_head.weight` is [hidden, vocab].
 */
export interface TensorSpec {
  readonly hfName: string;
  readonly canonicalName: string;
  readonly hfShape: readonly number[];
  readonly transpose: boolean;
  readonly init: InitKind;
}

/** Whether a checkpoint tensor is a buffer the model type recomputes (never loaded). */
export function isIgnoredBuffer(config: HfModelConfig, name: string): boolean {
  return (config.traits.ignoredTensors ?? []).some((re) => re.test(name));
}

/** The base-model prefix transformers writes for the config's model type (`model.`, `transformer.`). */
export function defaultTensorPrefix(config: HfModelConfig): string {
  return config.traits.tensorPrefix;
}

/**
 * Which base-model prefix a checkpoint uses: the original `gpt2` repository has none, while
 * GPT2LMHeadModel.save_pretrained writes `transformer.`. Throws if the embedding is not found at all.
 */
export function detectTensorPrefix(config: HfModelConfig, names: Iterable<string>, source = 'checkpoint'): string {
  const set = new Set(names);
  const embed = config.traits.embeddingName;
  for (const prefix of [defaultTensorPrefix(config), '']) if (set.has(prefix + embed)) return prefix;
  throw new Error(`${source}: no token embedding found (expected ${defaultTensorPrefix(config)}${embed} or ${embed})`);
}

/** Every tensor of the model described by `config`, in module order: its model type's, then the head. */
export function tensorSpecs(config: HfModelConfig, prefix = defaultTensorPrefix(config)): TensorSpec[] {
  return [...config.traits.tensorSpecs(config, prefix), ...headSpecs(config)];
}

/** One tensor; `transpose` for nn.Linear weights ([out, in] in the checkpoint). */
export function tensorSpec(hfName: string, canonicalName: string, hfShape: number[], init: InitKind, transpose = false): TensorSpec {
  return { hfName, canonicalName, hfShape, transpose, init };
}

/** A norm's weight (ones), and its bias (zeros) for a LayerNorm. */
export function normSpecs(hf: string, canon: string, size: number, withBias: boolean): TensorSpec[] {
  const out = [tensorSpec(`${hf}.weight`, `${canon}.weight`, [size], 'ones')];
  if (withBias) out.push(tensorSpec(`${hf}.bias`, `${canon}.bias`, [size], 'zeros'));
  return out;
}

/** An nn.Linear: weight [out, in] transposed to canonical [in, out], plus an optional bias. */
export function linearSpecs(hf: string, canon: string, inF: number, outF: number, bias: boolean): TensorSpec[] {
  const out = [tensorSpec(`${hf}.weight`, `${canon}.weight`, [outF, inF], 'normal', true)];
  if (bias) out.push(tensorSpec(`${hf}.bias`, `${canon}.bias`, [outF], 'zeros'));
  return out;
}

/**
 * The q/k/v/o projections of an attention layer (`<hf>.self_attn.{q,k,v,o}_proj` → `<canon>.attn.{q,k,v,out}`),
 * as every Llama-lineage family names them.
 */
export function attentionProjectionSpecs(hf: string, canon: string, c: Pick<HfModelConfig, 'hiddenSize' | 'numHeads' | 'numKvHeads' | 'headDim'>, qkvBias: boolean, outBias: boolean): TensorSpec[] {
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  return [
    ...linearSpecs(`${hf}.self_attn.q_proj`, `${canon}.attn.q`, c.hiddenSize, qDim, qkvBias),
    ...linearSpecs(`${hf}.self_attn.k_proj`, `${canon}.attn.k`, c.hiddenSize, kvDim, qkvBias),
    ...linearSpecs(`${hf}.self_attn.v_proj`, `${canon}.attn.v`, c.hiddenSize, kvDim, qkvBias),
    ...linearSpecs(`${hf}.self_attn.o_proj`, `${canon}.attn.out`, qDim, c.hiddenSize, outBias),
  ];
}

/** The gated MLP's projections (`<hf>.mlp.{gate,up,down}_proj` → `<canon>.mlp.{gate,up,down}`). */
export function gatedMlpSpecs(hf: string, canon: string, hidden: number, intermediate: number, bias: boolean): TensorSpec[] {
  return [
    ...linearSpecs(`${hf}.mlp.gate_proj`, `${canon}.mlp.gate`, hidden, intermediate, bias),
    ...linearSpecs(`${hf}.mlp.up_proj`, `${canon}.mlp.up`, hidden, intermediate, bias),
    ...linearSpecs(`${hf}.mlp.down_proj`, `${canon}.mlp.down`, intermediate, hidden, bias),
  ];
}

/** lm_head (absent when tied to the embedding) or the bias-free `score` head; both sit outside the base prefix. */
function headSpecs(c: HfModelConfig): TensorSpec[] {
  if (c.head.kind === 'sequence-classification') return linearSpecs('score', 'score', c.hiddenSize, c.head.numLabels, false);
  return c.tieWordEmbeddings ? [] : linearSpecs('lm_head', 'lm_head', c.hiddenSize, c.vocabSize, false);
}
