import type { CompiledGraph, GraphExecutor, HostTensor, RunValue } from '../../engine/graph-executor.js';
import { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { emitModel } from '../../engine/onnx/emit-model.js';
import { encodeModel } from '../../engine/onnx/onnx-encoder.js';
import { asFeed, type StoredWeight } from '../quant/stored-weight.js';

/** Prefixed to the stored parts' input names. */
const STORED = 'stored.';

/**
 * The generation graphs' stored frozen weights (`GenerationGraph.decodedWeights`: a bf16 or quantized LoRA base)
 * decoded to float32 by one run of a compiled graph per generate(), instead of by every prefill and decode run. The
 * stored parts are fed as they are held (no copy); the float32 weights live while the generation reads them, so
 * generation holds a float32 copy of the stored base (the graph's decode, the same values as a train step's).
 */
export class StoredWeightDecode {
  private constructor(
    private readonly graph: CompiledGraph,
    private readonly feeds: Readonly<Record<string, HostTensor>>,
  ) {}

  /** Undefined when the graphs take no stored weight decoded. */
  static async create(executor: GraphExecutor, weights: ReadonlyMap<string, StoredWeight>): Promise<StoredWeightDecode | undefined> {
    if (weights.size === 0) return undefined;
    const g = new Graph('stored-weight-decode');
    const outputs: Record<string, Tensor> = {};
    const feeds: Record<string, HostTensor> = {};
    for (const [name, stored] of weights) {
      const parts = Object.fromEntries(
        Object.entries(stored.parts).map(([suffix, value]) => {
          // under their own names: a half weight's one part has the weight's name, which the output takes; as fed
          // (bf16 bits go in as uint16: onnxruntime-node feeds no bfloat16)
          const feed = (feeds[STORED + name + suffix] = asFeed(value));
          return [suffix, g.input(STORED + name + suffix, feed.dtype, [...feed.dims])];
        }),
      );
      outputs[name] = stored.decode(g, parts);
    }
    const graph = await executor.compile(encodeModel(emitModel(g, { outputs })), { label: g.label });
    return new StoredWeightDecode(graph, feeds);
  }

  /** The float32 weights by graph name. */
  run(): Promise<Record<string, RunValue>> {
    return this.graph.run(this.feeds);
  }

  dispose(): Promise<void> {
    return this.graph.dispose();
  }
}
