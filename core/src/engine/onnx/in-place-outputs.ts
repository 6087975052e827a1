import type { OnnxGraph, OnnxNode } from './onnx-model.js';

/** Ops whose output element i reads only element i of a same-shaped input, so writing over that input as it goes is safe. */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'Sqrt', 'Abs', 'Max', 'Min', 'Where']);

/**
 * Ops whose output onnxruntime may alias to their input's buffer (or that its optimizer may turn into such an op):
 * a reader of their output reads the input's memory.
 */
const VIEWS = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Transpose', 'Cast']);

/**
 * Which graph outputs may be written into the buffer of the graph input paired with them (`pairs`: output →
 * input) within one run. onnxruntime runs nodes in a topological order but does not order a write into a bound
 * output after the other readers of an input sharing its buffer (issue 17 measured a wrong result), so this
 * proves it from the topology: every node that reads the input (directly or through a view of it) must be an
 * ancestor of the output's producer, or the producer itself when that is elementwise over the input. An output
 * not proven keeps its own buffer (ping-pong). Graphs with subgraphs (Loop, If) prove nothing.
 */
export function inPlaceOutputs(graph: OnnxGraph, pairs: ReadonlyMap<string, string>): Set<string> {
  const proven = new Set<string>();
  if (graph.node.some((n) => n.attribute?.some((a) => a.value.type === 'graph'))) return proven;
  const producer = new Map<string, OnnxNode>();
  const readers = new Map<string, OnnxNode[]>();
  for (const node of graph.node) {
    for (const out of node.output) if (out) producer.set(out, node);
    for (const input of node.input) if (input) (readers.get(input) ?? readers.set(input, []).get(input)!).push(node);
  }
  const outputs = new Set(graph.output.map((o) => o.name));
  const targets = [...pairs.values()];
  for (const [output, input] of pairs) {
    const writer = producer.get(output);
    const shared = targets.filter((t) => t === input).length > 1 || outputs.has(input);
    if (!writer || shared) continue;
    const ancestors = ancestorsOf(writer, producer);
    const direct = new Set(readers.get(input) ?? []);
    const safe = readersThroughViews(input, readers).every((r) => ancestors.has(r) || (r === writer && direct.has(r) && ELEMENTWISE.has(r.opType) && !r.domain));
    if (safe) proven.add(output);
  }
  return proven;
}

/** Nodes reading `name`, following view ops (whose outputs may share its buffer) to their readers as well. */
function readersThroughViews(name: string, readers: ReadonlyMap<string, OnnxNode[]>): OnnxNode[] {
  const found = new Set<OnnxNode>();
  const pending = [name];
  while (pending.length) {
    for (const node of readers.get(pending.pop()!) ?? []) {
      if (found.has(node)) continue;
      found.add(node);
      if (VIEWS.has(node.opType)) pending.push(...node.output.filter(Boolean));
    }
  }
  return [...found];
}

/** Every node `node`'s inputs depend on (not `node` itself). */
function ancestorsOf(node: OnnxNode, producer: ReadonlyMap<string, OnnxNode>): Set<OnnxNode> {
  const seen = new Set<OnnxNode>();
  const pending = [node];
  while (pending.length) {
    for (const input of pending.pop()!.input) {
      const from = input ? producer.get(input) : undefined;
      if (from && !seen.has(from)) {
        seen.add(from);
        pending.push(from);
      }
    }
  }
  return seen;
}
