import { type Kernel } from '@aligntune/core/kernel';
import { emitModel, encodeModel, externalizeInitializers, Graph, hostTensor, hostValues, type CompiledGraph, type GraphExecutor, type HostTensor } from '@aligntune/core/engine';
import { declareTokenInputs, loadModel, RewardModel, rightPad, Tokenizer } from '@aligntune/core/models';
import { createComputeBackend, type ComputeRequest } from '@aligntune/core/training';
import { classifierReward, positiveLabel, readClassifierHead } from './classifier-checkpoint.js';

export interface ClassifierOptions {
  /** A local checkpoint directory (Hub ids are resolved by the caller). */
  readonly dir: string;
  readonly label?: string | number;
  readonly batchSize: number;
  readonly maxLength: number;
  /** The run's `compute:` section (none: the default backend). */
  readonly compute?: ComputeRequest;
}

/**
 * A sequence-classification checkpoint run through the engine: one forward graph with the weights as
 * initializers (frozen, so onnxruntime can pre-pack them), compiled once and reused for every batch.
 */
export class SentimentClassifier {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly executor: GraphExecutor,
    private readonly graph: CompiledGraph,
    private readonly positive: number | null,
    private readonly options: ClassifierOptions & { readonly padId: number },
  ) {}

  static async load(kernel: Kernel, options: ClassifierOptions): Promise<SentimentClassifier> {
    const positive = positiveLabel(readClassifierHead(options.dir), options.label);
    // The model first: an unknown model_type is named with the installed architectures.
    const model = await loadModel(options.dir, { kernel });
    const config = model.config;
    const tokenizer = await Tokenizer.fromDir(options.dir);
    const executor = await createComputeBackend(kernel, options.compute);
    const graph = await compileForward(executor, new RewardModel(model));
    // Learned position tables (GPT-2) have no rows past max_position_embeddings.
    const maxLength = Math.min(options.maxLength, config.maxPositionEmbeddings);
    const padId = tokenizer.ownPadTokenId ?? tokenizer.eosTokenId ?? 0;
    return new SentimentClassifier(tokenizer, executor, graph, positive, { ...options, maxLength, padId });
  }

  /** One reward per text; null for a text with no tokens (there is nothing for the head to read). */
  async score(texts: readonly string[]): Promise<(number | null)[]> {
    const rows = this.tokenizer.truncate(
      texts.map((t) => this.tokenizer.encode(t)),
      { maxLength: this.options.maxLength, truncationSide: 'right' },
    );
    const out: (number | null)[] = texts.map(() => null);
    for (const chunk of lengthSortedChunks(rows, this.options.batchSize)) {
      const scores = await this.run(chunk.map((i) => rows[i]!));
      chunk.forEach((i, k) => (out[i] = scores[k]!));
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.graph.dispose();
    await this.executor.dispose();
  }

  private async run(rows: number[][]): Promise<number[]> {
    const batch = rightPad(rows, this.options.padId);
    const dims = [rows.length, batch.ids[0]!.length];
    const feeds: Record<string, HostTensor> = {
      input_ids: hostTensor('int64', dims, batch.ids.flat()),
      attention_mask: hostTensor('int64', dims, batch.mask.flat()),
      position_ids: hostTensor('int64', dims, batch.positions.flat()),
    };
    const { scores } = await this.graph.run(feeds, ['scores']);
    const logits = hostValues(scores!);
    const width = scores!.dims[1]!;
    return rows.map((_, b) => classifierReward(logits.subarray(b * width, (b + 1) * width), this.positive));
  }
}

/** [batch, seq] token inputs → [batch, numLabels] scores at each row's last real token; batch and seq stay symbolic. */
async function compileForward(executor: GraphExecutor, reward: RewardModel): Promise<CompiledGraph> {
  const g = new Graph('sentiment-classifier');
  const { scores } = reward.forward(g, declareTokenInputs(g), '', 'initializer');
  // Large checkpoints would push the ModelProto past protobuf's 2 GiB limit; external data avoids that.
  const { model, externalData } = externalizeInitializers(emitModel(g, { outputs: { scores } }));
  return executor.compile(encodeModel(model), { externalData, label: g.label });
}

/**
 * Indices of non-empty rows in chunks of `size`, shortest first, so rows of similar length share a batch
 * and little compute goes to padding.
 */
function lengthSortedChunks(rows: readonly number[][], size: number): number[][] {
  const order = rows.flatMap((r, i) => (r.length > 0 ? [i] : [])).sort((a, b) => rows[a]!.length - rows[b]!.length);
  const chunks: number[][] = [];
  for (let k = 0; k < order.length; k += size) chunks.push(order.slice(k, k + size));
  return chunks;
}
