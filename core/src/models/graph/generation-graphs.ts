import type { HostTensor } from '../../engine/graph-executor.js';
import { dimAdd } from '../../engine/ir/dim.js';
import { Graph, type MatMulOptions } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { sharedWeightsAsConstants, storedWeightsDecodedOnce, type WeightMode } from './graph-weights.js';
import type { StoredWeight } from '../quant/stored-weight.js';
import { layerWindows } from '../hf-model-config.js';
import type { DecoderModel } from '../roles/decoder-model.js';
import { AttentionContext, type KvPair } from './attention.js';
import { BATCH, cachedDecoderForward, declareTokenInputs } from './causal-lm.js';

/** Graph names of the generation graphs' cache tensors. */
export const kvNames = {
  /** Prefill outputs and decode/export inputs/outputs, the Optimum / transformers.js spelling. */
  pastKey: (layer: number) => `past_key_values.${layer}.key`,
  pastValue: (layer: number) => `past_key_values.${layer}.value`,
  presentKey: (layer: number) => `present.${layer}.key`,
  presentValue: (layer: number) => `present.${layer}.value`,
  /** The decode step's [batch, slots] bias of the layers with sliding window `window` (null: full attention). */
  slotBias: (window: number | null) => (window === null ? 'slot_bias' : `slot_bias.window_${window}`),
} as const;

export const SLOTS = 'slots';
/** The prefill and decode graphs' float32 scalar input: the temperature their `probs` output is taken at. */
export const TEMPERATURE = 'temperature';
export const PAST = 'past_sequence_length';

function kvInput(g: Graph, model: DecoderModel, name: string, len: string, slots = false): Tensor {
  const c = model.config;
  return g.input(name, model.dtype, slots ? [BATCH, c.numKvHeads, 1, len, c.headDim] : [BATCH, c.numKvHeads, len, c.headDim]);
}

function presentOutputs(presents: readonly KvPair[]): Record<string, Tensor> {
  return Object.fromEntries(presents.flatMap((p, i) => [[kvNames.presentKey(i), p.key], [kvNames.presentValue(i), p.value]]));
}

export interface GenerationGraph {
  readonly graph: Graph;
  readonly outputs: Record<string, Tensor>;
  /** Weight feeds when the weights are graph inputs (empty for initializers). */
  readonly weightFeeds: () => Record<string, HostTensor>;
  /** Weights the graph takes transposed ([out, in]): the fed name (`transposedName`) → the weight's own graph input. */
  readonly transposedWeights: ReadonlyMap<string, Tensor>;
  /** Stored frozen weights (a LoRA base in bf16, nf4, …) the graph takes decoded, as float32 inputs: graph name → stored weight. */
  readonly decodedWeights: ReadonlyMap<string, StoredWeight>;
}

/** The graph name of a weight fed in [out, in] layout (see `LeftWeightGraph`). */
export const transposedName = (weight: string) => `${weight}.transposed`;

/**
 * A graph whose matmuls by a 2-D weight input take the weight as the left operand, y = (W'·xᵀ)ᵀ with W' = Wᵀ fed
 * [out, in] (a tied head's [vocab, hidden] embedding already is). Why: MLAS packs a GEMM's right operand on every
 * call unless it is a constant (then once, at session creation); at decode batch sizes that per-step repacking of
 * every weight matrix costs as much as the multiply itself, while the left operand is read where it lies and only
 * the few activation columns get packed. Measured in docs/performance.md.
 */
class LeftWeightGraph extends Graph {
  /** weight input → its transposed input */
  private readonly fedFor = new Map<Tensor, Tensor>();

  /** The transposed inputs by name → the weight input each stands for. */
  get transposed(): ReadonlyMap<string, Tensor> {
    return new Map([...this.fedFor].map(([weight, fed]) => [fed.name!, weight]));
  }

  override matmul(a: Tensor, b: Tensor, opts: MatMulOptions = {}): Tensor {
    if (!this.isWeightInput(b) || opts.transA || (opts.alpha ?? 1) !== 1 || a.rank < 2) return super.matmul(a, b, opts);
    const left = opts.transB ? b : this.transposedInput(b);
    const columns = this.transpose(this.reshape(a, [-1, a.shape[a.rank - 1]!]), [1, 0]);
    const rows = this.transpose(super.matmul(left, columns), [1, 0]);
    return this.reshape(rows, [...a.shape.slice(0, -1), left.shape[0]!]);
  }

  private isWeightInput(t: Tensor): boolean {
    return t.producer === undefined && t.rank === 2 && t.shape.every((d) => typeof d === 'number') && this.inputs.includes(t);
  }

  private transposedInput(weight: Tensor): Tensor {
    let fed = this.fedFor.get(weight);
    if (!fed) {
      fed = this.input(transposedName(weight.name!), weight.dtype, [weight.shape[1]!, weight.shape[0]!]);
      this.fedFor.set(weight, fed);
    }
    return fed;
  }
}

/**
 * The sampling tail of the prefill and decode graphs: `logits` [batch, vocab] and `probs` = softmax(logits /
 * temperature) in float32, computed by onnxruntime's vectorized, multi-threaded kernel. Why: the exp pass over
 * the vocabulary cost ~1.5 ms per row in JS (Math.exp), on the critical path between two decode runs; with the
 * probabilities at hand the draw is one cumulative pass and the chosen token's log-prob a lookup.
 */
function samplingOutputs(g: Graph, logits: Tensor): { logits: Tensor; probs: Tensor } {
  const temperature = g.input(TEMPERATURE, 'float32', []);
  const scaled = g.div(logits.dtype === 'float32' ? logits : g.cast(logits, 'float32'), temperature);
  return { logits, probs: g.softmax(scaled) };
}

/**
 * Prefill: left-padded prompts [batch, seq] → `logits` of the last position [batch, vocab] (the lm head
 * runs on one position only) with their `probs` (`samplingOutputs`) and `present.N.key/value` [batch, kvHeads, seq, headDim].
 */
export function buildPrefillGraph(model: DecoderModel, mode: WeightMode): GenerationGraph {
  const g = new Graph('prefill');
  sharedWeightsAsConstants(g);
  const decodedWeights = storedWeightsDecodedOnce(g);
  const inputs = declareTokenInputs(g);
  const { hidden, presents, weights } = model.forward(g, inputs, mode);
  const last = g.gather(hidden, g.scalar(-1, 'int64'), 1);
  const outputs = { ...samplingOutputs(g, model.lmLogits(g, weights, last)), ...presentOutputs(presents) };
  return { graph: g, outputs, weightFeeds: () => weights.feeds(), transposedWeights: new Map(), decodedWeights };
}

/**
 * One decode step against a caller-managed slot buffer (`slots` attention): input_ids/position_ids
 * [batch, 1], `slot_bias` [batch, slots] (one per distinct sliding window, `kvNames.slotBias`), `past_key_values.N.*` [batch, kvHeads, 1, slots, headDim] → `logits`
 * [batch, vocab] with their `probs` (`samplingOutputs`) and `present.N.*` holding only the new token's keys/values [batch, kvHeads, 1, headDim].
 */
export function buildDecodeGraph(model: DecoderModel, mode: WeightMode): GenerationGraph {
  // Constant weights are prepacked by onnxruntime; weights fed every step multiply as the left operand instead
  const g = mode === 'input' ? new LeftWeightGraph('decode') : new Graph('decode');
  sharedWeightsAsConstants(g);
  const decodedWeights = storedWeightsDecodedOnce(g);
  const inputIds = g.input('input_ids', 'int64', [BATCH, 1]);
  const positionIds = g.input('position_ids', 'int64', [BATCH, 1]);
  const slotBias = (window: number | null) => g.input(kvNames.slotBias(window), model.dtype, [BATCH, SLOTS]);
  const past = (layer: number): KvPair => ({ key: kvInput(g, model, kvNames.pastKey(layer), SLOTS, true), value: kvInput(g, model, kvNames.pastValue(layer), SLOTS, true) });
  const attention = new AttentionContext(g, { mode: 'slots', dtype: model.dtype, slotBias, past, queryLen: 1, windows: layerWindows(model.config) });
  const weights = model.bind(g, mode);
  const { hidden, presents } = cachedDecoderForward(g, model.architecture, model.config, weights, inputIds, positionIds, attention);
  const logits = g.reshape(model.lmLogits(g, weights, hidden), [BATCH, model.config.vocabSize]);
  const transposedWeights = g instanceof LeftWeightGraph ? g.transposed : new Map<string, Tensor>();
  return { graph: g, outputs: { ...samplingOutputs(g, logits), ...presentOutputs(presents) }, weightFeeds: () => weights.feeds(), transposedWeights, decodedWeights };
}

/** The [out, in] copies a decode graph's `transposedWeights` name, from the weights as they are fed: run once per weight update. */
export function buildWeightLayoutGraph(transposed: ReadonlyMap<string, Tensor>): { graph: Graph; outputs: Record<string, Tensor> } {
  const g = new Graph('decode-weight-layout');
  const outputs: Record<string, Tensor> = {};
  for (const [fed, weight] of transposed) outputs[fed] = g.transpose(g.input(weight.name!, weight.dtype, weight.shape), [1, 0]);
  return { graph: g, outputs };
}

/**
 * The exported inference graph in the layout transformers.js and Optimum use: `input_ids`,
 * `attention_mask` [batch, past + seq], `position_ids`, `past_key_values.N.key/value`
 * [batch, kvHeads, past, headDim] → `logits` [batch, seq, vocab], `present.N.key/value` (past ++ new).
 * A first call passes past tensors of length 0.
 */
export function buildExportGraph(model: DecoderModel, mode: WeightMode = 'initializer'): GenerationGraph {
  const g = new Graph('model');
  const seq = 'sequence_length';
  const inputIds = g.input('input_ids', 'int64', [BATCH, seq]);
  const attentionMask = g.input('attention_mask', 'int64', [BATCH, dimAdd(PAST, seq)]);
  const positionIds = g.input('position_ids', 'int64', [BATCH, seq]);
  const pastTensors = Array.from({ length: model.config.numLayers }, (_, i) => ({ key: kvInput(g, model, kvNames.pastKey(i), PAST), value: kvInput(g, model, kvNames.pastValue(i), PAST) }));
  const attention = new AttentionContext(g, { mode: 'concat', dtype: model.dtype, attentionMask, past: (i) => pastTensors[i]!, queryLen: seq, windows: layerWindows(model.config) });
  const weights = model.bind(g, mode);
  const { hidden, presents } = cachedDecoderForward(g, model.architecture, model.config, weights, inputIds, positionIds, attention);
  return { graph: g, outputs: { logits: model.lmLogits(g, weights, hidden), ...presentOutputs(presents) }, weightFeeds: () => weights.feeds(), transposedWeights: new Map(), decodedWeights: new Map() };
}
