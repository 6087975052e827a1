import { readDecoderShape, readRope, type HfModelConfig, type JsonFields, type PreNormDecoderLayout, type RopeSettings, type SharedConfigKey } from '@aligntune/core/models';

/** SmolLM3: Llama's block where some layers attend without RoPE (NoPE). */
export interface SmolLM3Config extends HfModelConfig, RopeSettings {
  readonly family: 'smollm3';
  readonly rmsNormEps: number;
  /** q/k/v/o biases (`attention_bias`). */
  readonly attentionBias: boolean;
  /** Per layer: whether it applies RoPE (config.json's `no_rope_layers`, where 1 means "uses RoPE"). */
  readonly ropeLayers: readonly boolean[];
}

/** SmolLM3Config's fields as transformers reads them (defaults: rope_theta 2e6, max_position_embeddings 32768, tied embeddings). */
export function readSmolLM3Config(f: JsonFields): Omit<SmolLM3Config, SharedConfigKey> {
  // SmolLM3Config leaves tie_word_embeddings to PretrainedConfig, whose default is true.
  const shape = readDecoderShape(f, { maxPositions: 32768, tieWordEmbeddings: true, numKvHeads: 4 });
  if (f.boolOr('mlp_bias', false)) f.fail('mlp_bias', 'SmolLM3 has no MLP biases (transformers builds its MLP without them)');
  refuseSlidingWindows(f);
  return {
    family: 'smollm3',
    ...shape,
    slidingWindow: null,
    rmsNormEps: f.numberOr('rms_norm_eps', 1e-6),
    ...readRope(f, 2000000, shape.maxPositionEmbeddings),
    attentionBias: f.boolOr('attention_bias', false),
    ropeLayers: readRopeLayers(f, shape.numLayers),
  };
}

/**
 * `no_rope_layers`: one 0/1 per layer (at least num_hidden_layers of them), 1 = the layer uses RoPE; absent,
 * every `no_rope_layer_interval`-th layer (default 4) is a NoPE layer, as SmolLM3Config builds it.
 */
function readRopeLayers(f: JsonFields, numLayers: number): boolean[] {
  if (!f.has('no_rope_layers')) {
    const interval = f.countOr('no_rope_layer_interval', 4);
    return Array.from({ length: numLayers }, (_, i) => (i + 1) % interval !== 0);
  }
  const list = f.raw.no_rope_layers;
  if (!Array.isArray(list) || !list.every((v) => v === 0 || v === 1)) f.fail('no_rope_layers', `must be a list of 0/1 (1 = the layer uses RoPE), got ${JSON.stringify(list)}`);
  if (list.length < numLayers) f.fail('no_rope_layers', `has ${list.length} entries, fewer than num_hidden_layers ${numLayers}`);
  return (list as number[]).slice(0, numLayers).map((v) => v === 1);
}

/** SmolLM3's optional sliding window applies per NoPE layer (`layer_types`); core's attention has one window per model. */
function refuseSlidingWindows(f: JsonFields): void {
  if (f.boolOr('use_sliding_window', false) && f.has('sliding_window')) f.fail('use_sliding_window', 'per-layer sliding-window attention is not supported for smollm3');
  const types = f.raw.layer_types;
  if (types === undefined || types === null) return;
  if (!Array.isArray(types) || types.some((t) => t !== 'full_attention')) f.fail('layer_types', `only "full_attention" layers are supported for smollm3, got ${JSON.stringify(types)}`);
}

/** The decoder core builds and lays out: Llama's names, biases per attention_bias. */
export function smolLM3Layout(c: SmolLM3Config): PreNormDecoderLayout {
  return { ...c, qkvBias: c.attentionBias, outBias: c.attentionBias, mlpBias: false };
}
