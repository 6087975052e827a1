import type { CompiledGraph, GraphExecutor, HostTensor, RunValue } from '../../engine/graph-executor.js';
import { compileWithSharedWeights } from '../../engine/compile-with-shared-weights.js';
import { emitModel } from '../../engine/onnx/emit-model.js';
import { buildDecodeGraph, buildPrefillGraph, TEMPERATURE, type GenerationGraph } from '../graph/generation-graphs.js';
import type { WeightMode } from '../graph/graph-weights.js';
import { layerWindows } from '../hf-model-config.js';
import type { DecoderModel } from '../roles/decoder-model.js';
import { SeededRandom } from '../../util/seeded-random.js';
import type { Tokenizer } from '../tokenizer.js';
import { GenerationWeightLayout } from './generation-weight-layout.js';
import { KvSlots } from './kv-slots.js';
import { StoredWeightDecode } from './stored-weight-decode.js';
import { leftPad } from './prompt-batch.js';
import { applyRepetitionPenalty, argmax, chosenLogProb, DEFAULT_SAMPLER, drawWeighted, filteredWeights, type Probabilities, type SamplerSettings } from './sampler.js';

export interface GenerateOptions extends Partial<SamplerSettings> {
  readonly maxNewTokens: number;
  /** Completions per prompt; results are grouped: rows i·n … i·n + n − 1 belong to prompt i (GRPO's groups). */
  readonly numReturnSequences?: number;
  /** Seeds the per-row generators (`SeededRandom(seed, "<prompt>/<sample>")`), so a row's draws do not depend on the batch. */
  readonly seed?: number;
  /** Stop a completion once its text contains one of these (the string is kept, as transformers' StopStringCriteria does). */
  readonly stopStrings?: readonly string[];
  /** Default: the tokenizer's EOS, else the model config's eos_token_id(s). */
  readonly eosTokenIds?: readonly number[];
  /**
   * Weights by graph name to generate with instead of the model's own, in `input` mode: e.g. a TrainSession's
   * current parameters, resident in the backend, fed as they are (no copy, no recompile after an update).
   */
  readonly weights?: Readonly<Record<string, RunValue>>;
}

export type FinishReason = 'eos' | 'stop' | 'length';

export interface Completion {
  readonly promptIndex: number;
  /** Generated ids, EOS included when the completion ended with it. */
  readonly tokenIds: number[];
  /** Decoded without special tokens ('' without a tokenizer). */
  readonly text: string;
  /** Per token: log softmax(logits / temperature) of the chosen token, before penalties and filters — what the training graph's tokenLogProbs computes. */
  readonly logprobs: number[];
  readonly finishReason: FinishReason;
  /** No EOS and no stop string: cut at max_new_tokens. */
  readonly truncated: boolean;
}

export interface RolloutStats {
  readonly prefillMs: number;
  /** Making the generation's weights (once per generate()): a stored base decoded to float32, the decode graph's transposed copies. */
  readonly weightLayoutMs: number;
  /** Decode runs, from dispatch until their logits are back (what overlaps a run is inside). */
  readonly decodeMs: number;
  /** The JS slot cache's work between decode runs: window masks, feeds, writing each step's new keys/values into their slot. */
  readonly kvCacheMs: number;
  /** Choosing the tokens and reading their log-probs: on the critical path between two decode runs. */
  readonly samplingMs: number;
  readonly decodeSteps: number;
  readonly generatedTokens: number;
}

export interface RolloutResult {
  readonly completions: Completion[];
  readonly stats: RolloutStats;
}

export interface RolloutEngineOptions {
  readonly tokenizer?: Tokenizer;
  /**
   * `input` (default): weights are fed every run, so a policy's updates are seen at once without recompiling.
   * `initializer`: weights are baked into the sessions (call refresh() after they change).
   */
  readonly weights?: WeightMode;
}

interface Compiled {
  readonly spec: GenerationGraph;
  readonly graph: CompiledGraph;
}

/**
 * Batched sampling with a KV cache: one prefill run over the (deduplicated, left-padded) prompts, then one
 * decode run per token against a slot cache kept in JS (KvSlots). Each run also returns softmax(logits / T)
 * (the graphs' sampling tail); the draw runs in TypeScript on those [rows, vocab] probabilities. With weights
 * fed as inputs, the decode graph multiplies by transposed copies of the weight matrices, made once per
 * generate() (GenerationWeightLayout). A frozen LoRA base is read as constants when float32, and decoded once per
 * generate() when stored (StoredWeightDecode), not at every step.
 */
export class RolloutEngine {
  private prefill!: Compiled;
  private decode!: Compiled;
  private layout?: GenerationWeightLayout;
  private storedDecode?: StoredWeightDecode;

  private constructor(
    readonly model: DecoderModel,
    private readonly executor: GraphExecutor,
    readonly options: RolloutEngineOptions,
  ) {}

  static async create(model: DecoderModel, executor: GraphExecutor, options: RolloutEngineOptions = {}): Promise<RolloutEngine> {
    const engine = new RolloutEngine(model, executor, options);
    await engine.refresh();
    return engine;
  }

  /** (Re)compiles the graphs; needed after weight updates only in `initializer` mode. */
  async refresh(): Promise<void> {
    await this.disposeGraphs();
    const mode = this.options.weights ?? 'input';
    this.prefill = await this.compile(buildPrefillGraph(this.model, mode));
    this.decode = await this.compile(buildDecodeGraph(this.model, mode));
    this.layout = await GenerationWeightLayout.create(this.executor, this.decode.spec.transposedWeights);
    this.storedDecode = await StoredWeightDecode.create(this.executor, new Map([...this.prefill.spec.decodedWeights, ...this.decode.spec.decodedWeights]));
  }

  /** A frozen base (LoRA) is shared with the train step's session rather than copied into each generation graph. */
  private async compile(spec: GenerationGraph): Promise<Compiled> {
    const graph = await compileWithSharedWeights(this.executor, emitModel(spec.graph, { outputs: spec.outputs }), { label: spec.graph.label });
    return { spec, graph };
  }

  async generate(prompts: readonly (string | readonly number[])[], options: GenerateOptions): Promise<RolloutResult> {
    if (prompts.length === 0) return { completions: [], stats: { prefillMs: 0, weightLayoutMs: 0, decodeMs: 0, samplingMs: 0, kvCacheMs: 0, decodeSteps: 0, generatedTokens: 0 } };
    const run = new GenerationRun(this, this.encodePrompts(prompts), options);
    try {
      return await run.execute(this.prefill, this.decode, this.layout, this.storedDecode);
    } finally {
      // the transposed copies of a decoded base are as large as it: not kept between generations
      if (this.storedDecode) this.layout?.release();
    }
  }

  private encodePrompts(prompts: readonly (string | readonly number[])[]): number[][] {
    return prompts.map((p) => {
      if (typeof p !== 'string') return [...p];
      if (!this.options.tokenizer) throw new Error('RolloutEngine: text prompts need a tokenizer');
      return this.options.tokenizer.encode(p);
    });
  }

  /**
   * Where rows stop unless the caller says: the tokenizer's EOS (what chat templates end a turn with) and every
   * id of generation_config.json's `eos_token_id` list, else config.json's, as transformers' generate stops
   * (Llama 3.x Instruct: <|eot_id|> and also <|end_of_text|>, <|eom_id|>).
   */
  eosTokenIds(options: GenerateOptions): number[] {
    if (options.eosTokenIds) return [...options.eosTokenIds];
    const fromTokenizer = this.options.tokenizer?.eosTokenId;
    const fromModel = this.model.generationConfig?.eosTokenIds.length ? this.model.generationConfig.eosTokenIds : this.model.config.eosTokenIds;
    return [...new Set([...(fromTokenizer != null ? [fromTokenizer] : []), ...fromModel])];
  }

  private async disposeGraphs(): Promise<void> {
    await this.prefill?.graph.dispose();
    await this.decode?.graph.dispose();
    await this.layout?.dispose();
    await this.storedDecode?.dispose();
  }

  async dispose(): Promise<void> {
    await this.disposeGraphs();
  }
}

/** One generate() call: its rows, their state and the step loop. */
class GenerationRun {
  private readonly settings: SamplerSettings;
  private readonly n: number;
  private readonly rows: number;
  private readonly eos: Set<number>;
  private readonly tokens: number[][];
  private readonly logprobs: number[][];
  private readonly seen: Set<number>[];
  private readonly rngs: SeededRandom[];
  private readonly finished: (FinishReason | null)[];
  /** Reused for every row's weights: a 50k-entry allocation per row per step shows in profiles. */
  private readonly scratch: Float64Array;
  private readonly stats = { prefillMs: 0, weightLayoutMs: 0, decodeMs: 0, samplingMs: 0, kvCacheMs: 0, decodeSteps: 0, generatedTokens: 0 };
  /** The graphs' temperature feed (their `probs` are taken at it). */
  private readonly temperatureFeed: Record<string, HostTensor>;
  /** A stored base's float32 weights, decoded once for this generation (StoredWeightDecode). */
  private decodedBase: Readonly<Record<string, RunValue>> = {};

  constructor(
    private readonly engine: RolloutEngine,
    private readonly prompts: number[][],
    private readonly options: GenerateOptions,
  ) {
    if (!(options.maxNewTokens >= 1)) throw new Error(`maxNewTokens must be ≥ 1, got ${options.maxNewTokens}`);
    const greedy = options.greedy ?? (options.temperature === 0);
    this.settings = { ...DEFAULT_SAMPLER, ...definedOnly(options), greedy, temperature: greedy && !options.temperature ? 1 : options.temperature ?? 1 };
    this.n = options.numReturnSequences ?? 1;
    this.rows = prompts.length * this.n;
    this.eos = new Set(engine.eosTokenIds(options));
    this.tokens = Array.from({ length: this.rows }, () => []);
    this.logprobs = Array.from({ length: this.rows }, () => []);
    this.seen = Array.from({ length: this.rows }, (_, r) => new Set(prompts[this.promptOf(r)]));
    this.rngs = Array.from({ length: this.rows }, (_, r) => new SeededRandom(options.seed ?? 0, `${this.promptOf(r)}/${r % this.n}`));
    this.finished = new Array<FinishReason | null>(this.rows).fill(null);
    this.scratch = new Float64Array(engine.model.config.vocabSize);
    this.temperatureFeed = { [TEMPERATURE]: { dtype: 'float32', dims: [], data: Float32Array.of(this.settings.temperature) } };
  }

  private promptOf(row: number): number {
    return Math.floor(row / this.n);
  }

  async execute(prefill: Compiled, decode: Compiled, layout: GenerationWeightLayout | undefined, storedDecode: StoredWeightDecode | undefined): Promise<RolloutResult> {
    const { ids, mask, positions } = leftPad(this.prompts, this.engine.eosTokenIds(this.options)[0] ?? 0);
    const promptLen = ids[0]!.length;
    let t0 = performance.now();
    this.decodedBase = (await storedDecode?.run()) ?? {};
    this.stats.weightLayoutMs = performance.now() - t0;
    t0 = performance.now();
    const pre = await prefill.graph.run({ ...tokenFeeds(ids, mask, positions), ...this.temperatureFeed, ...this.weightFeeds(prefill) });
    this.stats.prefillMs = performance.now() - t0;
    const vocab = this.engine.model.config.vocabSize;
    const promptOf = Array.from({ length: this.rows }, (_, r) => this.promptOf(r));
    this.sampleStep(sampling(pre), vocab, promptOf);
    const cfg = this.engine.model.config;
    const windows = [...new Set(layerWindows(cfg))];
    const cache = new KvSlots({ layers: cfg.numLayers, kvHeads: cfg.numKvHeads, headDim: cfg.headDim, windows }, this.rows, promptLen + this.options.maxNewTokens - 1);
    cache.loadPrefill(pre, promptOf, mask);
    const realLen = mask.map((m) => m.reduce((a, b) => a + b, 0));
    let decodeWeights: Record<string, RunValue> | undefined;
    for (let step = 0; step + 1 < this.options.maxNewTokens && this.finished.some((f) => f === null); step++) {
      decodeWeights ??= await this.decodeWeights(decode, layout); // not before a first decode step is certain
      const positionIds = BigInt64Array.from(promptOf, (p) => BigInt(realLen[p]! + step));
      const out = await this.decodeStep(decode, cache, decodeWeights, promptLen + step, positionIds);
      this.sampleStep(out, vocab, Array.from({ length: this.rows }, (_, r) => r));
    }
    return { completions: this.completions(), stats: { ...this.stats } };
  }

  /** One decode run on the last tokens, its new keys/values written into `slot`; returns its logits and probabilities. */
  private async decodeStep(decode: Compiled, cache: KvSlots, weights: Readonly<Record<string, RunValue>>, slot: number, positions: BigInt64Array): Promise<SamplingRows> {
    let t0 = performance.now();
    cache.applyWindows(slot);
    const cacheFeeds = cache.feeds();
    this.stats.kvCacheMs += performance.now() - t0;
    const last = this.tokens.map((t) => t[t.length - 1] ?? 0);
    t0 = performance.now();
    const out = await decode.graph.run({
      input_ids: { dtype: 'int64', dims: [this.rows, 1], data: BigInt64Array.from(last, BigInt) },
      position_ids: { dtype: 'int64', dims: [this.rows, 1], data: positions },
      ...cacheFeeds,
      ...this.temperatureFeed,
      ...weights,
    });
    this.stats.decodeMs += performance.now() - t0;
    this.stats.decodeSteps++;
    t0 = performance.now();
    cache.write(out, slot);
    this.stats.kvCacheMs += performance.now() - t0;
    return sampling(out);
  }

  /** The decode graph's weight feeds, with the transposed copies made from the current weights (`layout`). */
  private async decodeWeights(decode: Compiled, layout: GenerationWeightLayout | undefined): Promise<Record<string, RunValue>> {
    const t0 = performance.now();
    const transposed = await layout?.apply(this.weightSource(decode));
    if (layout) this.stats.weightLayoutMs += performance.now() - t0;
    return this.weightFeeds(decode, transposed);
  }

  /** The weights to generate with: `options.weights` when given, else the model's own; a stored base decoded. */
  private weightSource({ spec }: Compiled): Readonly<Record<string, RunValue>> {
    return { ...(this.options.weights ?? spec.weightFeeds()), ...this.decodedBase };
  }

  /** The graph's weight inputs, the transposed copies of a decode graph's (`transposed`) included. */
  private weightFeeds(compiled: Compiled, transposed: Readonly<Record<string, RunValue>> = {}): Record<string, RunValue> {
    const source = { ...this.weightSource(compiled), ...transposed };
    return Object.fromEntries(compiled.graph.inputNames.filter((name) => name in source).map((name) => [name, source[name]!]));
  }

  /** Picks the next token of every unfinished row; `source[r]` is the logits row that row r reads. */
  private sampleStep({ logits, probs }: SamplingRows, vocab: number, source: readonly number[]): void {
    const t0 = performance.now();
    const penalised = this.settings.repetitionPenalty !== 1;
    for (let r = 0; r < this.rows; r++) {
      if (this.finished[r] !== null) continue;
      const raw = logits.subarray(source[r]! * vocab, (source[r]! + 1) * vocab);
      const rowProbs = probs.subarray(source[r]! * vocab, (source[r]! + 1) * vocab);
      // The penalty edits a copy (`raw` gives the reported log-prob, and prefill rows are shared by a group), whose
      // weights then come from its own exp pass: the graph's probabilities are those of the unpenalised logits.
      const row = penalised ? raw.slice() : raw;
      applyRepetitionPenalty(row, this.seen[r]!, this.settings.repetitionPenalty);
      const token = this.settings.greedy ? argmax(row) : drawWeighted(filteredWeights(row, this.settings, this.scratch, penalised ? undefined : rowProbs), this.rngs[r]!.nextFloat());
      this.tokens[r]!.push(token);
      this.logprobs[r]!.push(chosenLogProb(raw, rowProbs, token, this.settings.temperature));
      this.seen[r]!.add(token);
      this.stats.generatedTokens++;
      this.finished[r] = this.finishReason(r, token);
    }
    this.stats.samplingMs += performance.now() - t0;
  }

  private finishReason(r: number, token: number): FinishReason | null {
    if (this.eos.has(token)) return 'eos';
    if (this.stopIndex(r) >= 0) return 'stop';
    return this.tokens[r]!.length >= this.options.maxNewTokens ? 'length' : null;
  }

  /** End of the first stop string in row r's text, or −1. Only the tail that can hold a new match is decoded. */
  private stopIndex(r: number, full = false): number {
    const stops = this.options.stopStrings;
    const tokenizer = this.engine.options.tokenizer;
    if (!stops?.length || !tokenizer) return -1;
    const longest = Math.max(...stops.map((s) => s.length));
    const ids = this.tokens[r]!;
    const text = tokenizer.decode(full ? ids : ids.slice(-(longest + 1)), { skipSpecialTokens: true });
    let end = -1;
    for (const s of stops) {
      const i = text.indexOf(s);
      if (i >= 0 && (end < 0 || i + s.length < end)) end = i + s.length;
    }
    return end;
  }

  private completions(): Completion[] {
    const tokenizer = this.engine.options.tokenizer;
    return this.tokens.map((tokenIds, r) => {
      const finishReason = this.finished[r] ?? 'length';
      let text = tokenizer ? tokenizer.decode(tokenIds, { skipSpecialTokens: true }) : '';
      if (finishReason === 'stop') text = text.slice(0, this.stopIndex(r, true));
      return { promptIndex: this.promptOf(r), tokenIds, text, logprobs: this.logprobs[r]!, finishReason, truncated: finishReason === 'length' };
    });
  }
}

/** A generation graph run's [rows, vocab] logits and their probabilities at the run's temperature. */
interface SamplingRows {
  readonly logits: Float32Array;
  readonly probs: Probabilities;
}

function sampling(out: Readonly<Record<string, HostTensor>>): SamplingRows {
  return { logits: out.logits!.data as Float32Array, probs: out.probs!.data as Probabilities };
}

function definedOnly(options: Partial<SamplerSettings>): Partial<SamplerSettings> {
  return Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k in DEFAULT_SAMPLER)) as Partial<SamplerSettings>;
}

function tokenFeeds(ids: number[][], mask: number[][], positions: number[][]): Record<string, HostTensor> {
  const dims = [ids.length, ids[0]!.length];
  const t = (rows: number[][]): HostTensor => ({ dtype: 'int64', dims, data: BigInt64Array.from(rows.flat(), BigInt) });
  return { input_ids: t(ids), attention_mask: t(mask), position_ids: t(positions) };
}
