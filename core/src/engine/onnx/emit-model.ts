import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { attr } from './attr.js';
import { InitializerPool, Lowering, neededNodes, valueInfo } from './lowering.js';
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxOpsetImport, OnnxValueInfo } from './onnx-model.js';

/** ai.onnx opset the engine emits: 21 has everything it needs (LayerNormalization 17, Gelu 20, axes-as-input reductions 18). */
export const ENGINE_OPSET = 21;
export const ENGINE_IR_VERSION = 10;

export interface EmitOptions {
  /** Graph outputs by name (default: the graph's `output()`s). */
  outputs?: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;
  /** Inputs to declare, in order (default: the graph's inputs that the outputs use). */
  inputs?: readonly Tensor[];
  /** Allow com.microsoft ops (FusedMatMul). Default true. */
  contribOps?: boolean;
  name?: string;
}

export function opsetImports(contribOps: boolean): OnnxOpsetImport[] {
  const ops: OnnxOpsetImport[] = [{ domain: '', version: ENGINE_OPSET }];
  if (contribOps) ops.push({ domain: 'com.microsoft', version: 1 });
  return ops;
}

function outputEntries(g: Graph, opts: EmitOptions): Array<[string, Tensor]> {
  const o = opts.outputs ?? g.outputs;
  return o instanceof Map ? [...o.entries()] : Object.entries(o as Record<string, Tensor>);
}

/** IR → OnnxModel: dead nodes dropped, constants as initializers, trainable params as graph inputs. */
export function emitModel(g: Graph, opts: EmitOptions = {}): OnnxModel {
  const contribOps = opts.contribOps ?? true;
  const outputs = outputEntries(g, opts);
  const pool = new InitializerPool();
  const body = emitScope(g, pool, contribOps, outputs, opts.inputs);
  const graph: OnnxGraph = { name: opts.name ?? g.label, ...body, initializer: pool.tensors };
  return { irVersion: ENGINE_IR_VERSION, opsetImport: opsetImports(contribOps), producerName: 'aligntune', graph };
}

export interface EmittedScope {
  node: OnnxNode[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

/**
 * Lowers the part of `g` that computes `outputs` into one scope. `bound` pre-binds some IR tensors to
 * names defined by the caller (Loop bodies bind params to loop-carried inputs); other used graph
 * inputs become scope inputs.
 */
export function emitScope(
  g: Graph,
  pool: InitializerPool,
  contribOps: boolean,
  outputs: ReadonlyArray<[string, Tensor]>,
  inputs?: readonly Tensor[],
  lowering: Lowering = new Lowering(pool, contribOps),
  bound: ReadonlyMap<number, string> = new Map(),
): EmittedScope {
  const nodes = neededNodes(g.nodes, outputs.map(([, t]) => t));
  const used = new Set(nodes.flatMap((n) => n.inputs.map((t) => t.id)).concat(outputs.map(([, t]) => t.id)));
  const declared = inputs ?? g.inputs.filter((t) => used.has(t.id) && !bound.has(t.id));
  for (const t of g.inputs) if (used.has(t.id) && !bound.has(t.id) && !declared.includes(t)) throw new Error(`emit: input '${t.name}' is used but not declared`);
  for (const t of declared) lowering.bind(t, t.name as string);
  const preferred = new Map<number, string>();
  for (const [name, t] of outputs) if (t.producer && t.producer.op !== 'Constant' && t.producer.op !== 'Initializer' && !preferred.has(t.id)) preferred.set(t.id, name);
  lowering.lower(nodes, preferred);
  for (const [name, t] of outputs) {
    const have = lowering.nameOf(t);
    if (have !== name) lowering.add('Identity', [have], [name]);
  }
  return {
    node: lowering.nodes,
    input: declared.map((t) => valueInfo(t.name as string, t)),
    output: outputs.map(([name, t]) => valueInfo(name, t)),
  };
}

export { attr };
