import type { CompiledGraph, GraphExecutor, ResidentTensor, RunValue } from '../../engine/graph-executor.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { emitModel } from '../../engine/onnx/emit-model.js';
import { encodeModel } from '../../engine/onnx/onnx-encoder.js';
import { buildWeightLayoutGraph } from '../graph/generation-graphs.js';

/**
 * The decode graph's transposed weights (`GenerationGraph.transposedWeights`), made from the weights as they are
 * fed by one run of a compiled layout graph per rollout: an updated policy is seen without recompiling anything,
 * for one pass over its weights. A backend with resident values keeps the copies inside it, reused from rollout
 * to rollout; any other returns them as host tensors. One rollout at a time per layout (the copies are shared).
 */
export class GenerationWeightLayout {
  private copies?: Record<string, ResidentTensor>;

  private constructor(
    private readonly graph: CompiledGraph,
    private readonly executor: GraphExecutor,
    private readonly transposed: ReadonlyMap<string, Tensor>,
  ) {}

  /** Undefined when the decode graph takes no weight transposed (weights baked in as initializers). */
  static async create(executor: GraphExecutor, transposed: ReadonlyMap<string, Tensor>): Promise<GenerationWeightLayout | undefined> {
    if (transposed.size === 0) return undefined;
    const { graph, outputs } = buildWeightLayoutGraph(transposed);
    const compiled = await executor.compile(encodeModel(emitModel(graph, { outputs })), { label: graph.label });
    return new GenerationWeightLayout(compiled, executor, transposed);
  }

  /** The transposed copies of `weights` (by the weights' graph names), by their fed names. */
  async apply(weights: Readonly<Record<string, RunValue>>): Promise<Record<string, RunValue>> {
    const feeds = Object.fromEntries(this.graph.inputNames.filter((name) => name in weights).map((name) => [name, weights[name]!]));
    const resident = this.executor.resident;
    if (!resident) return this.graph.run(feeds);
    this.copies ??= Object.fromEntries([...this.transposed].map(([fed, weight]) => [fed, resident.create({ dtype: weight.dtype, dims: [...weight.shape].reverse() as number[] })]));
    await this.graph.run(feeds, [], { into: this.copies });
    return this.copies;
  }

  /** Frees the resident copies (made again by the next apply). */
  release(): void {
    for (const copy of Object.values(this.copies ?? {})) copy.dispose();
    this.copies = undefined;
  }

  async dispose(): Promise<void> {
    await this.graph.dispose();
    this.release();
  }
}
